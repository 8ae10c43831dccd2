/* Inside the DNS filter: shared by its UDP (dns_filter.c) and TCP
 * (dns_filter_tcp.c) front ends. */
#ifndef COI_NETPOLICY_DNS_FILTER_PRIVATE_H
#define COI_NETPOLICY_DNS_FILTER_PRIVATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <time.h>

#include "netpolicy/backend.h"
#include "netpolicy/dns_filter.h"
#include "netpolicy/dns_guard.h"
#include "netpolicy/dns_msg.h"

/* Enough for a burst of lookups (a browser-like client does ~10 at once). */
#define MAX_PENDING 64

struct pending
{
  int fd; /* connected to the upstream; -1 when free */
  uint16_t client_id, upstream_id;
  struct sockaddr_in client;
  struct coi_dns_question q;
  struct coi_port_list ports; /* empty + all_ports: every port */
  bool all_ports;
  uint8_t query[COI_DNS_MAX_UDP];
  size_t query_len;
  struct timespec deadline;
};

struct coi_dns_filter
{
  struct coi_dns_filter_config cfg;
  char container[64];
  bool learns;                    /* allowlist: answers open the firewall */
  struct coi_net_backend backend; /* one handle for the filter's life (allowlist) */
  int fd;     /* UDP */
  int tcp_fd; /* TCP: resolvers retry truncated answers there */
  struct pending pend[MAX_PENDING];
  struct coi_dns_guard guard;
  /* the query log's budget: COI_NETLOG_TOTAL lines a second, the rest counted */
  uint64_t log_window_ms, log_summary_ms;
  unsigned log_lines, log_dropped;
};

enum coi_dns_verdict
{
  COI_DNS_DROP,    /* not a query: no answer at all */
  COI_DNS_REPLY,   /* answered here (hosts entry, REFUSED, SERVFAIL): out/out_len */
  COI_DNS_FORWARD, /* allowed: ask upstream, learn the answer for ports */
};

/* Decide about one query (guard first, then the policy).  out has room for
 * COI_DNS_MAX_UDP bytes; ports must be cleared by the caller in every case. */
enum coi_dns_verdict coi_dns_filter_decide (struct coi_dns_filter *f, const uint8_t *msg, size_t n,
                                            struct coi_dns_question *q, uint8_t *out,
                                            size_t *out_len, struct coi_port_list *ports,
                                            bool *all_ports);
/* Add the A records of an upstream answer to the session's sets (allowlist;
 * nothing to do otherwise).  0, or -1 when any of them could not be added
 * or the answer is malformed (then it must not be sent). */
int coi_dns_filter_learn (struct coi_dns_filter *f, const uint8_t *answer, size_t n,
                          const struct coi_dns_question *q, const struct coi_port_list *ports,
                          bool all_ports);

int coi_dns_filter_tcp_open (struct coi_dns_filter *f, coi_error_t *err);
/* Serve one connection from the listening socket, with short timeouts. */
void coi_dns_filter_tcp_serve (struct coi_dns_filter *f);

#endif
