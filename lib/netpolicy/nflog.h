/* Reading the firewall's rejects: every reject of a session's chain is
 * logged (render.c) to the session's own nflog group with the prefix
 * "coi:<container> <reason> ".  This binds one group on a raw
 * NETLINK_NETFILTER socket (needs CAP_NET_ADMIN in the host's network
 * namespace) and turns its packet messages into events.
 *
 * Only one socket can bind a group: a second one gets EPERM/EBUSY. */
#ifndef COI_NETPOLICY_NFLOG_H
#define COI_NETPOLICY_NFLOG_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Bytes of each packet copied to us: the IPv4 header (at most 60) and the
 * first 8 bytes of the L4 header (ports, ICMP type and code). */
#define COI_NFLOG_COPY_RANGE 68

struct coi_nflog_event
{
  char container[64]; /* from the prefix; a valid instance name */
  char reason[16];    /* host, bridge, private, metadata, dns, port, allowlist, ... */
  uint8_t proto;      /* IPPROTO_*; 0 when there was no payload */
  uint32_t src, dst;  /* IPv4, host order; 0 when there was no payload */
  bool has_ports;     /* TCP/UDP/SCTP with the ports in the copied bytes */
  uint16_t sport, dport;
  int icmp_type;      /* ICMP type, or -1 */
  int icmp_code;
};

/* Bind `group` in copy-packet mode (COI_NFLOG_COPY_RANGE bytes); *fd is
 * non-blocking.  The kernel's answer to the bind is awaited, so a group
 * another process holds fails here ("...: group N is bound by another
 * process"). */
int coi_nflog_open (uint16_t group, int *fd, coi_error_t *err);

/* Parse one netlink message of `len` bytes (the message may claim more
 * than that: it is then refused).  1: a packet event in *ev; 0: another
 * kind of message (acks, config); -1: a packet message that is malformed,
 * truncated or without a coi prefix.  Never reads outside [h, h + len). */
int coi_nflog_parse (const struct nlmsghdr *h, size_t len, struct coi_nflog_event *ev);

/* Drain pending messages into fn; *lost is set when the kernel dropped
 * some (ENOBUFS).  0, or -1 with errno on a hard error. */
int coi_nflog_read (int fd, void (*fn) (const struct coi_nflog_event *ev, void *data), void *data,
                    bool *lost);

/* "tcp", "udp", "icmp", "sctp" or the number ("47"); buf >= 8 bytes. */
const char *coi_nflog_proto_name (uint8_t proto, char *buf, size_t len);

#endif
