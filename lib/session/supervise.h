/* Handing a session to its supervisor: the process that keeps guarding it
 * (monitoring, time limit, the DNS filter, the end of an ephemeral session)
 * after `coi` exits or the user detaches. */
#ifndef COI_SESSION_SUPERVISE_H
#define COI_SESSION_SUPERVISE_H

#include <stdbool.h>
#include <sys/types.h>

#include "incus/client.h"
#include "monitor/supervisor.h"
#include "session/guards.h"
#include "session/session.h"

struct coi_config;

/* Whether a session needs a supervisor at all: shell sessions always (they
 * can be detached); `run` for monitoring, a time limit, the DNS filter
 * (restricted and allowlist) or logged rejects. */
bool coi_session_needs_supervisor (const struct coi_config *cfg, const struct coi_session_guards *g,
                                   bool interactive_session);
/* Whether it guards the command (monitoring, time limit, the DNS filter of
 * restricted and allowlist sessions), so that the command must wait until
 * it is armed; logging alone need not. */
bool coi_session_supervisor_guards (const struct coi_config *cfg, const struct coi_session_guards *g);

/* Have the guard start (or re-arm) the session's supervisor; wait: return
 * only once it is armed. */
int coi_session_supervise (const struct coi_session *s, const struct coi_config *cfg,
                           struct coi_session_guards *g, bool wait, coi_error_t *err);

/* The supervisor's end of a session: save the agent's state and, for an
 * ephemeral session, delete the container and its host state. */
int coi_session_end_supervised (struct incus_client *c, const struct coi_guard_spec *spec,
                                enum coi_end_reason why, void *data, coi_error_t *err);

/* While a launcher is attached it ends the session itself (it has the
 * terminal, the exit code and the user's signals); the supervisor only
 * steps in once the claim's process is gone. */
int coi_session_claim (const char *container, coi_error_t *err);
void coi_session_unclaim (const char *container);
/* The launcher's end of the supervisor's alert lines (~/.coi/run, the
 * user's): removed once the container is gone, or `coi health` would
 * count them as a leftover. */
void coi_session_forget_alerts (struct incus_client *c, const char *container);

/* In the supervisor: start the DNS filter for the spec's session
 * (restricted or allowlist; *pid 0 when the mode needs none), with the
 * rate cap and query log the spec carries.  It dies with the supervisor.
 * *findings_fd (-1: none) is the read end of its findings (struct
 * coi_dns_finding), for coi_supervisor_main. */
int coi_session_dns_filter_start (const char *spec_path, const char *const *env, pid_t *pid, int *findings_fd,
                                  coi_error_t *err);

#endif
