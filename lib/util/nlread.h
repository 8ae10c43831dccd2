/* Draining a non-blocking netlink event socket (proc connector, conntrack, nflog):
 * every message of every pending datagram, and whether the kernel dropped
 * some because we were slow (ENOBUFS). */
#ifndef COI_UTIL_NLREAD_H
#define COI_UTIL_NLREAD_H

#include <linux/netlink.h>
#include <stdbool.h>

/* fn gets each netlink message; returns 0, or -1 with errno on a hard error. */
int coi_nl_drain (int fd, void (*fn) (const struct nlmsghdr *h, void *data), void *data, bool *lost);

#endif
