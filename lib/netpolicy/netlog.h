/* The network log (network.logging.path, ~/.coi/logs/network.log): one
 * text line per policy applied or removed (the launcher) and per blocked
 * attempt (the supervisor, from nflog).  Every line is a single write() to
 * an O_APPEND file, so several writers never interleave:
 *
 *   <ISO-8601 UTC> <container> applied mode=restricted address=10.201.77.5 log_group=7305
 *   <ISO-8601 UTC> <container> removed
 *   <ISO-8601 UTC> <container> blocked reason=private proto=tcp dst=10.77.0.10:80
 *   <ISO-8601 UTC> <container> suppressed count=57 reason=private proto=tcp dst=10.77.0.10:80
 *   <ISO-8601 UTC> <container> suppressed count=900 dst=*
 *   <ISO-8601 UTC> <container> dns name=api.example.com qtype=A verdict=allow
 *   <ISO-8601 UTC> <container> dns suppressed count=57
 *
 * (the "dns" lines come from the session's DNS filter: dns_filter.h)
 *
 * A flood is bounded: per destination (reason, protocol, address, port)
 * at most COI_NETLOG_PER_DEST lines a window, then one "suppressed" line
 * for the rest; while it goes on, only "suppressed" lines, in windows that
 * double up to a minute; over all destinations at most COI_NETLOG_TOTAL lines a
 * window (a port scan is many destinations), the excess summed in one
 * "dst=*" line. */
#ifndef COI_NETPOLICY_NETLOG_H
#define COI_NETPOLICY_NETLOG_H

#include <stdbool.h>
#include <stdint.h>

#include "netpolicy/nflog.h"
#include "util/error.h"

#define COI_NETLOG_WINDOW_MS 1000
#define COI_NETLOG_PER_DEST 3
#define COI_NETLOG_TOTAL 30
#define COI_NETLOG_HOT_MS 60000 /* longest window of a destination that keeps flooding */
#define COI_NETLOG_SLOTS 64
#define COI_NETLOG_IDLE_MS 60000 /* a destination quiet this long is forgotten */

struct coi_netlog_slot
{
  bool used;
  char reason[16];
  uint8_t proto;
  uint32_t dst;
  int port; /* dport, ICMP type, or -1 */
  uint64_t window_ms, span_ms, last_ms;
  bool hot; /* the last window was flooded: count only */
  unsigned lines, suppressed;
};

struct coi_netlog
{
  int fd;
  char container[64];
  uint64_t window_ms;
  unsigned lines;   /* written in the current window, all destinations */
  unsigned dropped; /* not written for lack of budget, all destinations */
  struct coi_netlog_slot slots[COI_NETLOG_SLOTS];
};

/* Create the file's directory (0700) and open it for appending (0600:
 * it names the session's destinations). */
int coi_netlog_open_fd (const char *path, int *fd, coi_error_t *err);

/* One line "<timestamp> <container> <text>" appended to path (open,
 * write, close): for the launcher's applied/removed lines. */
int coi_netlog_append (const char *path, const char *container, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* One line "<timestamp> <container> <text>" to an open log (one write()). */
int coi_netlog_write (int fd, const char *container, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* The supervisor's writer for one session; fd is taken over. */
void coi_netlog_init (struct coi_netlog *l, int fd, const char *container);
void coi_netlog_close (struct coi_netlog *l);

/* A blocked packet at monotonic time now_ms: a line, or counted. */
int coi_netlog_blocked (struct coi_netlog *l, const struct coi_nflog_event *ev, uint64_t now_ms);
/* Write the "suppressed" lines of windows that are over (all of them when
 * `all`, at the end of the session).  Call about once a window. */
int coi_netlog_flush (struct coi_netlog *l, uint64_t now_ms, bool all);

#endif
