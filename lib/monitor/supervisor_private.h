/* The supervisor's state, shared by its parts: the loop (supervisor.c), the
 * container it guards (sup_target.c), the sweep (sup_sweep.c), the kernel
 * event handlers (sup_events.c) and reporting (sup_report.c). */
#ifndef COI_MONITOR_SUPERVISOR_PRIVATE_H
#define COI_MONITOR_SUPERVISOR_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "incus/client.h"
#include "monitor/audit.h"
#include "monitor/cgroup.h"
#include "monitor/detect.h"
#include "monitor/exeid.h"
#include "monitor/guard_spec.h"
#include "monitor/pidset.h"
#include "monitor/responder.h"
#include "monitor/sockdiag.h"
#include "monitor/supervisor.h"
#include "monitor/threat.h"
#include "netpolicy/netlog.h"

#define SUP_SWEEP_MS 1000       /* reverse-shell latency bound without cn_proc */
#define SUP_FAST_MS 100         /* re-check of suspects from exec events */
#define SUP_SUSPECT_MS 2000     /* how long a suspect may stay unconfirmed */
#define SUP_STATUS_EVERY 10     /* sweeps between Incus status polls */
#define SUP_REARM_EVERY 5       /* sweeps between fanotify re-arms */
#define SUP_SOCKS_EVERY 5       /* sweeps between connection checks while conntrack reports new ones */
#define SUP_MAX_SUSPECTS 64
#define SUP_PAUSE_GRACE_MS 250  /* a critical finding often follows a high one: kill rather than pause */
#define SUP_MAX_PENDING 8
#define SUP_ACTION_WAIT_S 30     /* longest wait for a freeze/stop operation */
#define SUP_SHELLS_AGAIN_S 10    /* a program not among the known shells: read the container's again after this */

/* A process whose command line looked like a reverse shell, waiting for its
 * structure (a socket on a shell's stdio) to confirm it. */
struct sup_suspect
{
  pid_t pid;
  unsigned long long start;
  struct timespec since;
  char comm[16];
  char cmdline[512];
};

struct sup;
/* Open one of the session's user-facing files for appending: as its
 * owner when a root supervisor guards another user's session. */
int sup_open_user_file (struct sup *s, const char *path, int *fd, coi_error_t *err);

/* Counters at the last poll interval, for rates. */
struct sup_counters
{
  bool valid;
  struct timespec at;
  uint64_t read_bytes, write_bytes, egress_bytes, ingress_bytes;
  long fork_failures;
  long spawned_total;
};

struct sup
{
  struct coi_guard_spec *spec;
  const struct coi_supervisor_hooks *hooks;
  const struct coi_sink *sink; /* the supervisor's log */
  struct incus_client *client;
  struct coi_audit audit;
  char *spec_path;
  char *run_dir;     /* the spec's directory: the lock and log live there */
  char *alerts_path;
  int alerts_fd;     /* opened as the session's owner, or -1 */

  /* descriptors polled by the loop (-1 when absent) */
  int epfd, sigfd, sweep_tfd, fast_tfd, deadline_tfd;
  int cn_fd, ct_fd, fan_fd, pidfd, diag_fd, nf_fd;
  int dns_fd; /* the DNS filter's findings (sup_dns.c) */

  /* the container */
  bool host_local;  /* the server is this host: /proc and netlink see the container */
  bool privileged;  /* can use setns, cn_proc, conntrack, fanotify */
  char status[16];  /* Running, Frozen, Stopped, ... */
  bool status_dirty; /* init went away: ask Incus every sweep until it settles */
  pid_t init_pid;
  unsigned long pidns;
  char veth[32];
  struct coi_cgroup cg;
  bool cg_ok;
  struct coi_netview net;
  bool monitoring;  /* monitors armed */
  const char *degraded; /* why some monitors are missing (static text), or NULL */

  /* monitoring state */
  struct coi_responder resp;
  struct coi_pidset known;   /* pids in the container (and execs since the sweep) */
  struct coi_pidset prev;    /* pids at the last sweep, to count new ones */
  bool fork_events;          /* cn_proc sends forks (kernels without event filters) */
  long spawned_total;        /* processes created inside the container */
  struct coi_socktab socks;
  unsigned long socks_sweep; /* sweep number of the last dump */
  struct coi_exe_catalog shells; /* the container's shells and interpreters, by identity */
  struct timespec shells_at;     /* when they were last read (tv_sec 0: never) */
  pid_t *pids;
  size_t npids, pids_cap;
  long processes;
  struct sup_suspect suspects[SUP_MAX_SUSPECTS];
  size_t nsuspects;
  struct coi_threat pending[SUP_MAX_PENDING]; /* HIGH findings waiting out the pause grace */
  size_t npending;
  struct timespec pending_since;
  struct coi_rate_state rates;
  struct sup_counters last;
  struct timespec last_interval;
  json_t *last_sample;       /* the coarse values of the last sample written */
  unsigned long sweeps;
  unsigned long threat_seq;

  /* the firewall's rejects (sup_nflog.c) */
  struct coi_netlog netlog;
  bool netlog_failed;        /* a write failed (said once) */
  uint64_t nf_window_ms;
  unsigned nf_findings;      /* findings from rejects in the current minute */
  unsigned long nf_unreported;

  /* ending */
  bool done;
  bool ended; /* the session is over (not merely the supervisor signalled) */
  enum coi_end_reason end_reason;
  int exit_code;
};

/* sup_target.c */
int sup_refresh_status (struct sup *s, coi_error_t *err); /* 1 when the session ended */
int sup_arm (struct sup *s);
void sup_disarm (struct sup *s);
int sup_freeze (struct sup *s, coi_error_t *err);
int sup_kill (struct sup *s, coi_error_t *err);
int sup_expire (struct sup *s);
void sup_end (struct sup *s, enum coi_end_reason why);

/* sup_sweep.c */
bool sup_in_container (struct sup *s, pid_t pid);
/* Read (add to) the container's shells and interpreters; how many it has. */
size_t sup_read_shells (struct sup *s);
void sup_sweep (struct sup *s);
void sup_check_suspects (struct sup *s, bool final_only);
void sup_check_process (struct sup *s, pid_t pid, bool at_exec);

/* sup_events.c */
void sup_on_cnproc (struct sup *s);
void sup_on_conntrack (struct sup *s);
void sup_on_fanotify (struct sup *s);

/* sup_nflog.c: bind the session's nflog group (when its rejects are
 * logged), turn rejects into network log lines and findings. */
void sup_nflog_open (struct sup *s);
void sup_on_nflog (struct sup *s);
void sup_nflog_flush (struct sup *s, bool all);
void sup_nflog_close (struct sup *s);

/* sup_dns.c: the session's DNS filter's findings (tunnel attempts, the
 * rate cap) become findings of the session. */
void sup_dns_open (struct sup *s);
void sup_on_dns (struct sup *s);

/* sup_report.c: record a finding, act on it, alert.  Takes the threat.
 * A pause waits SUP_PAUSE_GRACE_MS (freezing takes about a second here and
 * would delay the kill of a reverse shell whose connection was seen first). */
void sup_report (struct sup *s, struct coi_threat *t);
/* Carry out a pause whose grace is over (or all pending ones, when `now`). */
void sup_flush_pending (struct sup *s, bool now);
/* Whether the fast timer is still needed (suspects or pending pauses). */
void sup_fast_timer (struct sup *s, bool on);
/* A lifecycle line ("session" record); details borrowed, may be NULL. */
void sup_lifecycle (struct sup *s, const char *event, json_t *details);
/* Process evidence for a pid: {pid, ppid, comm, exe, user, command}. */
json_t *sup_process_evidence (const struct coi_proc *p, const char *cmdline);
void sup_now (struct timespec *ts);
double sup_elapsed (const struct timespec *a, const struct timespec *b);

#endif
