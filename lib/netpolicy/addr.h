/* IPv4 addresses and prefixes as plain host-order integers.  Everything that
 * ends up in an nft batch passes through here first: nft 1.0.6 resolves host
 * names inside rules, so only strings validated by inet_pton may reach it. */
#ifndef COI_NETPOLICY_ADDR_H
#define COI_NETPOLICY_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct coi_ipv4_net
{
  uint32_t addr; /* host order, host bits cleared */
  uint8_t prefix;
};

/* Strict dotted quad (inet_pton); false on anything else. */
bool coi_ipv4_parse (const char *s, uint32_t *out);
/* "a.b.c.d" or "a.b.c.d/n"; host bits must be clear. */
int coi_ipv4_net_parse (const char *s, struct coi_ipv4_net *out, coi_error_t *err);

/* Formatting; buffers of COI_IPV4_STRLEN (16) bytes. */
#define COI_IPV4_STRLEN 16
const char *coi_ipv4_str (uint32_t a, char buf[COI_IPV4_STRLEN]);
/* "10_201_77_5": the part of nft object names that keys a session. */
const char *coi_ipv4_key (uint32_t a, char buf[COI_IPV4_STRLEN]);
/* "a.b.c.d/prefix" */
#define COI_IPV4_CIDR_STRLEN 19
const char *coi_ipv4_cidr_str (uint32_t a, unsigned prefix, char buf[COI_IPV4_CIDR_STRLEN]);
/* Parse a key back ("10_201_77_5"); false if it is not one. */
bool coi_ipv4_key_parse (const char *key, uint32_t *out);

static inline uint32_t coi_ipv4_mask (uint8_t prefix)
{
  return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}
static inline bool coi_ipv4_net_contains (const struct coi_ipv4_net *n, uint32_t a)
{
  return (a & coi_ipv4_mask (n->prefix)) == n->addr;
}

/* RFC 1918 and CGNAT 100.64/10: what "private networks" means here. */
bool coi_ipv4_is_private (uint32_t a);
/* 169.254/16, where cloud metadata services live. */
bool coi_ipv4_is_link_local (uint32_t a);
/* Does any address of the prefix fall into a private or link-local range? */
bool coi_ipv4_net_touches_local (const struct coi_ipv4_net *n);

#endif
