/* Just enough of RFC 1035 for the filter: the question of a query, the A
 * records (with TTLs) of an answer, and the few replies it makes itself.
 * Every length is checked against the packet: input comes from the
 * container, which is not trusted. */
#ifndef COI_NETPOLICY_DNS_MSG_H
#define COI_NETPOLICY_DNS_MSG_H

#include <stddef.h>
#include <stdint.h>

#define COI_DNS_MAX_UDP 4096
#define COI_DNS_TYPE_A 1
#define COI_DNS_TYPE_CNAME 5
/* CNAME links followed from the question (resolvers give up near here). */
#define COI_DNS_MAX_CHAIN 12
#define COI_DNS_RCODE_SERVFAIL 2
#define COI_DNS_RCODE_REFUSED 5

struct coi_dns_question
{
  char name[256]; /* lower case, no trailing dot ("" for the root) */
  uint16_t qtype, qclass;
  size_t end;     /* offset just past the question */
};

/* A query: QR=0, opcode 0, exactly one question. 0 or -1. */
int coi_dns_parse_query (const uint8_t *msg, size_t len, struct coi_dns_question *q);

/* Calls fn for every A record (class IN) of the answer section whose owner
 * is the question's name or on its CNAME chain, followed from the question
 * in order (names compared without case).  Fails on malformed messages, on
 * a message without exactly one question, on a CNAME loop and on a chain
 * longer than COI_DNS_MAX_CHAIN links: such an answer must not be used at
 * all.  fn < 0 stops the walk and is returned. */
int coi_dns_foreach_a (const uint8_t *msg, size_t len,
                       int (*fn) (uint32_t addr, uint32_t ttl, void *data), void *data);

/* "A", "AAAA", "TXT", ... or "TYPE<n>"; buf has room for 12 bytes. */
const char *coi_dns_qtype_name (uint16_t qtype, char buf[12]);

static inline uint16_t coi_dns_id (const uint8_t *msg)
{
  return (uint16_t) (msg[0] << 8 | msg[1]);
}
static inline void coi_dns_set_id (uint8_t *msg, uint16_t id)
{
  msg[0] = (uint8_t) (id >> 8);
  msg[1] = (uint8_t) id;
}

/* Reply with only the header and question and the given rcode. Returns the length. */
size_t coi_dns_make_error (const uint8_t *query, const struct coi_dns_question *q, uint8_t rcode,
                           uint8_t *out, size_t outlen);
/* Reply with one A record (for [[network.hosts]]); for other qtypes an
 * empty NOERROR answer.  Returns the length, 0 if out is too small. */
size_t coi_dns_make_a (const uint8_t *query, const struct coi_dns_question *q, uint32_t addr,
                       uint32_t ttl, uint8_t *out, size_t outlen);

#endif
