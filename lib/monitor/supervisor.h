/* The session supervisor: one small detached process per guarded container
 * (`coi __supervise`), started by the launcher and outliving it.  It owns
 * monitoring, the time limit (max_duration: graceful stop, then force) and
 * the end of an ephemeral session, and exits when its container is gone or
 * stopped.  One per container, guarded by a lock in the run directory. */
#ifndef COI_MONITOR_SUPERVISOR_H
#define COI_MONITOR_SUPERVISOR_H

#include <stdbool.h>
#include <sys/types.h>

#include "incus/client.h"
#include "monitor/guard_spec.h"
#include "util/error.h"
#include "util/sink.h"

/* ---- For the launcher ---- */

/* Start a supervisor for the session described by spec_path (written with
 * coi_guard_spec_save; any path, the run directory's <container>.spec.json
 * by convention).  Returns once the supervisor holds its lock and has
 * armed its monitors, with *pid its pid; if the container is already
 * guarded, *pid is that supervisor's (it is told to reload the spec).
 * coi_binary NULL means this executable.  Its stdout/stderr go to
 * <run dir>/<container>.supervisor.log.  pid NULL: return once it is
 * started, without waiting (its errors are then only in that log).
 * nflog_fd (-1: none): the session's bound nflog socket, which the
 * supervisor reads instead of binding the group itself. */
int coi_supervisor_spawn (const char *coi_binary, const char *spec_path, int nflog_fd, pid_t *pid,
                          coi_error_t *err);

/* The same without waiting: *ready_fd is the read end of its ready pipe
 * ("OK <pid>\n", "BUSY <pid>\n" or "ERR <msg>\n"; EOF: it died).
 * restarted: it replaces one that died (it says so in the audit log). */
int coi_supervisor_spawn_async (const char *coi_binary, const char *spec_path, int nflog_fd,
                                bool restarted, int *ready_fd, coi_error_t *err);

/* Whether a live supervisor holds the container's lock (for `coi list`).
 * 0, or -1 with errno; no run files means not guarded. */
int coi_supervisor_status (const char *container, bool *guarded, pid_t *pid);
/* The same for a supervisor whose spec is in run_dir (the guard's). */
int coi_supervisor_status_in (const char *run_dir, const char *container, bool *guarded, pid_t *pid);

/* ---- For the supervisor process ---- */

enum coi_end_reason
{
  COI_END_STOPPED, /* the container stopped (by the user, the tool exiting, a crash) */
  COI_END_GONE,    /* the container was deleted under us */
  COI_END_KILLED,  /* we force-stopped it on a critical finding */
  COI_END_EXPIRED, /* we stopped it at max_duration */
};

const char *coi_end_reason_name (enum coi_end_reason r);

/* Called once when the session ends: what ending means (saving state,
 * deleting an ephemeral container, forgetting host state) is the session
 * code's, which passes it in coi_supervisor_hooks. */
typedef int (*coi_session_end_fn) (struct incus_client *c, const struct coi_guard_spec *spec,
                                   enum coi_end_reason why, void *data, coi_error_t *err);

struct coi_supervisor_hooks
{
  coi_session_end_fn end; /* NULL: the supervisor ends nothing itself */
  void *data;
  const struct coi_sink *sink; /* its log lines (NULL: none) */
  const char *const *env;      /* for its Incus client (INCUS_DIR, ...) */
  bool restarted;              /* it replaces a supervisor that died */
};

/* The body of `coi __supervise`: lock, arm, loop until the session ends.
 * ready_fd (-1: none) receives "OK <pid>\n", "BUSY <pid>\n" or "ERR <msg>\n"
 * once, for coi_supervisor_spawn.  nflog_fd (-1: none) is taken over (see
 * coi_supervisor_spawn).  dns_fd (-1: none) is taken over: the read end of
 * the session's DNS filter's findings (netpolicy/dns_filter.h), which
 * become `dns-tunnel` (high) and `dns-rate` (warning) findings.  Returns
 * the process exit code. */
int coi_supervisor_main (const char *spec_path, int ready_fd, int nflog_fd, int dns_fd,
                         const struct coi_supervisor_hooks *hooks, coi_error_t *err);

#endif
