/* A whole session in one call: a plan in, an exit code out.
 *
 * The steps, in this order for every kind of session (docs/sessions.md):
 *  1. launch: create (or reuse, or resume) the container in a free slot,
 *     with its network policy and limits in force before it starts;
 *  2. record: the session's metadata (agent sessions);
 *  3. claim: while this process is attached it ends the session itself;
 *     detached (background), the supervisor does;
 *  4. guard: start the supervisor when the session needs one;
 *  5. ready: bring the network up (in the first exec, on coi images) or
 *     wait for it;
 *  6. prepare: the agent's own state (agent sessions);
 *  7. run: the command, or the agent (in tmux, or directly), attached;
 *  8. end: save the agent's state; an ephemeral session's container and
 *     its host state go (a detached agent session keeps running).
 * Any failure, and SIGINT/SIGTERM/SIGHUP at any point, run the same end. */
#ifndef COI_SESSION_LIFECYCLE_H
#define COI_SESSION_LIFECYCLE_H

#include "session/plan.h"

/* `coi run`'s exit code when the security monitor stopped the session
 * (the command's own codes are 0-255 too: this one comes with a line on
 * stderr saying so). */
#define COI_EXIT_KILLED_BY_MONITOR 253

/* Returns the exit code (the command's for COMMAND sessions, 128+N after a
 * signal), or -1 with *err set. */
int coi_session_run (struct incus_client *c, struct coi_session_plan *p, coi_error_t *err);

#endif
