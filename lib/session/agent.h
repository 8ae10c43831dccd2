/* The agent inside its tmux session: started detached as the code user with
 * its environment in the exec request body (never on a command line), then
 * attached to from the user's terminal. */
#ifndef COI_SESSION_AGENT_H
#define COI_SESSION_AGENT_H

#include <signal.h>
#include <stdbool.h>

#include "incus/client.h"
#include "session/session.h"
#include "session/tool_state.h"

/* "coi-<container>" */
int coi_tmux_session_name (const char *container, char **out, coi_error_t *err);

/* TERM as the container's terminfo knows it (COI's sanitise list). */
const char *coi_sanitize_term (const char *term);

/* The environment every agent process gets: HOME, USER, LOGNAME, PATH, TERM,
 * IS_SANDBOX=1, then `extra` (KEY=VALUE; later entries win). Caller frees.
 * Only for values that may be seen: see coi_agent_start. */
int coi_agent_env (const struct coi_agent_user *u, const char *user_name, const char *term,
                   const char *const *extra, char ***env, coi_error_t *err);

/* 1 if the tmux session exists, 0 if not. */
int coi_agent_running (struct incus_client *c, const char *container,
                       const struct coi_agent_user *u, coi_error_t *err);

/* One call into the agent's container as the agent's user. */
struct coi_agent_call
{
  const char *container;
  const struct coi_agent_user *user;
  const char *const *argv;      /* the command (unused by attach) */
  const char *const *base_env;  /* HOME, TERM, ...: goes in the exec request */
  /* The user's variables, possibly secrets: through a file that only the
     agent's processes read, so no value appears on any command line. */
  const char *const *user_env;
  /* exec: the container has just started and the same exec brings eth0 up
     first (session/ready.h); NULL: it is up. */
  const struct coi_net_up *net;
  const sigset_t *stop; /* attached runs: signals that end them on our side */
  int *stopped_by;      /* which of them did (may be NULL) */
  const struct coi_sink *sink; /* notices (NULL: none) */
};

/* Start argv in a detached tmux session (a no-op if the session is there).
 * When the agent exits the pane falls back to bash, as COI's does. */
int coi_agent_start (struct incus_client *c, const struct coi_agent_call *a, coi_error_t *err);

struct incus_exec_opts;
/* Run argv in /workspace; io gives interactive and the fds. */
int coi_agent_exec (struct incus_client *c, const struct coi_agent_call *a,
                    const struct incus_exec_opts *io, int *exit_code, coi_error_t *err);

/* Attach the local terminal to the tmux session (or run bash with `bash`);
 * *exit_code is the remote exit code. */
int coi_agent_attach (struct incus_client *c, const struct coi_agent_call *a, bool bash,
                      int *exit_code, coi_error_t *err);

/* Run argv attached to the local terminal, without tmux. */
int coi_agent_run_direct (struct incus_client *c, const struct coi_agent_call *a, int *exit_code,
                          coi_error_t *err);

#endif
