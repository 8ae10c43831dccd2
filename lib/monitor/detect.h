/* The detectors' judgements, free of I/O so they can be tested alone:
 * destinations, command lines, a process's standard descriptors, and rates.
 * A verdict with level < 0 means "nothing to report". */
#ifndef COI_MONITOR_DETECT_H
#define COI_MONITOR_DETECT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/guard_spec.h"
#include "monitor/proc.h"
#include "monitor/sockdiag.h"
#include "monitor/threat.h"
#include "util/error.h"

struct coi_verdict
{
  int level;          /* enum coi_level, or -1 */
  const char *rule;   /* static */
  const char *reason; /* static */
};

#define COI_NO_VERDICT ((struct coi_verdict) { -1, NULL, NULL })

enum coi_net_mode
{
  COI_NET_OPEN,
  COI_NET_RESTRICTED,
  COI_NET_ALLOWLIST,
};

/* What the session's network policy allows, as the detectors need it. */
struct coi_netview
{
  enum coi_net_mode mode;
  uint32_t self;    /* the container's IPv4 (host order), 0 unknown */
  uint32_t gateway; /* its bridge gateway, 0 unknown */
};

/* mode NULL = restricted (COI's default). */
int coi_netview_init (struct coi_netview *v, const char *mode, coi_error_t *err);

/* A connection from the container to dst:dport over `protocol` (IPPROTO_*).
 * UDP to the host or a private network is a warning, not a pause: system
 * daemons (LLMNR, mDNS, NTP) send it on their own. */
struct coi_verdict coi_judge_dest_v4 (const struct coi_netview *v, uint8_t protocol, uint32_t dst, uint16_t dport);
struct coi_verdict coi_judge_sock (const struct coi_netview *v, const struct coi_sock *s);
/* A flow conntrack reports as new.  A reply leg (from a service port to an
 * ephemeral one) shows up as new when the conntrack table was flushed, and a
 * flow to an ephemeral port of the gateway is such a reply too: neither is
 * a connection the container opened. */
struct coi_verdict coi_judge_flow (const struct coi_netview *v, uint8_t protocol, uint32_t dst, uint16_t sport,
                                   uint16_t dport);

/* A packet the firewall rejected (nflog); `reason` names the rule that did
 * it (host, bridge, private, metadata, dns, port, allowlist).  Nothing got
 * through, so only what the attempt says about intent counts: the metadata
 * endpoint is CRITICAL, a TCP connect into the LAN, the host or another
 * container HIGH; the rest WARNING (see detect.c). */
struct coi_verdict coi_judge_blocked (const struct coi_netview *v, const char *reason, uint8_t protocol,
                                      uint32_t dst, uint16_t dport);

/* A command line at exec.  Rule "reverse-shell-pattern" (HIGH) is a
 * suspicion to confirm by structure (the supervisor watches the process for
 * 2 s, and records only a warning when nothing confirms it); "metadata" is
 * CRITICAL for a network client; "env-scan" is a WARNING. */
struct coi_verdict coi_judge_cmdline (const char *comm, const char *cmdline, bool stdin_is_pipe);

/* Rule A, by what a process does with fds 0-2 and what it is.  A socket
 * there that is connected (or connecting) to a peer:
 * - in a shell or interpreter (coi_proc_is_shell: by name, or the same
 *   program as one of the container's, p->same_as): "reverse-shell",
 *   CRITICAL for a remote peer, HIGH for loopback;
 * - in any other program, only when its stdin and its stdout or stderr are
 *   one connection it opened to a remote peer (the dup2 of a reverse shell):
 *   "network-stdio", HIGH.  A server's accepted connection (inetd style), a
 *   loopback peer or stdin alone (`tar x </dev/tcp/...`) pass.
 * *sock and *fd name the socket.  Sockets not in t are not inet sockets
 * (unix ones: journald, pipes to a supervisor), so they pass. */
struct coi_verdict coi_judge_stdio (const struct coi_proc *p, const struct coi_socktab *t,
                                    const struct coi_sock **sock, int *fd);

/* Whether fds 0-2 of p hold a socket of t that is connected or connecting:
 * the cheap test before asking what p is. */
bool coi_stdio_connected (const struct coi_proc *p, const struct coi_socktab *t);

/* A TCP connection on the local port of a listener: accepted, not opened. */
bool coi_sock_accepted (const struct coi_socktab *t, const struct coi_sock *k);

/* One poll interval's worth of counters. */
struct coi_rates
{
  double interval_s;
  uint64_t read_bytes, write_bytes, egress_bytes; /* in the interval */
  long processes;      /* now */
  long spawned;        /* processes created in the interval */
  long fork_failures;  /* forks refused at the pids limit in the interval */
};

/* Consecutive intervals over a rate threshold: a rate must hold for a while
 * before it counts, so a burst (a clone, a cache fill) does not pause work. */
struct coi_rate_state
{
  int read_over, write_over, egress_over;
};

#define COI_RATE_SUSTAIN 3

/* Up to max verdicts into out; returns how many. */
int coi_judge_rates (const struct coi_monitor_settings *s, struct coi_rate_state *st,
                     const struct coi_rates *r, struct coi_verdict *out, int max);

#endif
