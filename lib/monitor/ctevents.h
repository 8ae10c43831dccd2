/* New connections routed through the host, from conntrack NEW events
 * (NETLINK_NETFILTER; needs CAP_NET_ADMIN).  A short connection to the
 * metadata address ends long before any sweep could see its socket. */
#ifndef COI_MONITOR_CTEVENTS_H
#define COI_MONITOR_CTEVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct coi_flow
{
  uint8_t protocol;  /* IPPROTO_TCP, IPPROTO_UDP, ... */
  uint32_t src, dst; /* IPv4, host order */
  uint16_t sport, dport;
};

int coi_ctevents_open (int *fd, coi_error_t *err);
/* Drain IPv4 NEW events into fn.  *lost set on ENOBUFS. */
int coi_ctevents_read (int fd, void (*fn) (const struct coi_flow *f, void *data), void *data, bool *lost);

#endif
