/* What `shell`, `run` and friends share: turning flags and configuration
 * into session options, with the abort signals blocked for the duration. */
#ifndef COI_CLI_SESSION_CLI_H
#define COI_CLI_SESSION_CLI_H

#include <signal.h>

#include "cli/command.h"
#include "session/agent.h"
#include "session/guards.h"
#include "session/session.h"

struct coi_config;

struct coi_session_cli
{
  struct coi_config *cfg;
  struct coi_mounts mounts;
  char **env; /* KEY=VALUE for the agent: forward_env, [defaults.environment], --env */
  struct coi_session_opts opts;
  struct coi_agent_user user;
  const char *user_name;
  sigset_t abort_set;
  sigset_t saved_mask;
  bool mask_saved;
  char *workspace;  /* owned: opts.workspace points here */
  char *agent_home; /* owned: user.home points here */
  struct coi_session_hooks hooks;
  struct coi_session_guards guards; /* network policy and limits behind the hooks */
};

int coi_session_cli_prepare (struct coi_ctx *ctx, struct coi_session_cli *sc, coi_error_t *err);
void coi_session_cli_release (struct coi_session_cli *sc);

/* After the agent ends or the user leaves: save state, and end an ephemeral
 * session whose container has stopped (COI leaves a running one detached).
 * `force_destroy` ends an ephemeral session regardless (signals, `run`). */
int coi_session_cli_finish (struct incus_client *c, struct coi_session_cli *sc,
                            struct coi_session *s, bool force_destroy, coi_error_t *err);

/* The exit code for a pending abort signal, or 0. */
int coi_session_cli_aborted (struct coi_session_cli *sc);

#endif
