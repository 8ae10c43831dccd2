/* coi shell: start (or resume) a session and attach to its agent. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/session_cli.h"
#include "incus/client.h"
#include "session/agent.h"
#include "session/supervise.h"
#include "session/tool_state.h"
#include "util/cleanup.h"

struct shell_opts
{
  bool debug;
  bool background;
  bool tmux;
};

static const struct coi_opt shell_options[] = {
  { "debug", 0, OPT_BOOL, OPT_AT (struct shell_opts, debug), "Launch interactive bash instead of AI tool", NULL, NULL },
  { "background", 0, OPT_BOOL, OPT_AT (struct shell_opts, background), "Run AI tool in background tmux session (detached)", NULL, NULL },
  { "tmux", 0, OPT_BOOL, OPT_AT (struct shell_opts, tmux), "Run the tool in a tmux session (default true)", NULL, NULL },
  OPT_END,
};

static int tool_command (struct coi_session_cli *sc, struct coi_session *s, bool debug,
                         char ***argv, coi_error_t *err)
{
  _cleanup_free_ char *resume_id = s->resumed ? coi_tool_state_resume_id (s) : NULL;
  struct coi_tool_argv_opts t = {
    .tool = s->tool,
    .binary_override = sc->opts.use_dummy ? "dummy" : sc->opts.tool_binary,
    .session_id = s->id,
    .resume = s->resumed,
    .resume_cli_id = resume_id,
    .debug = debug,
  };
  return coi_tool_argv (&t, argv, err);
}

static int supervise (struct coi_ctx *ctx, struct coi_session_cli *sc, struct coi_session *s,
                      coi_error_t *err)
{
  pid_t pid;
  if (!coi_session_needs_supervisor (sc->cfg, &sc->guards, true))
    return 0;
  return coi_session_supervise (s, sc->cfg, &sc->guards, ctx->global.remote, ctx->global.project,
                                &pid, err);
}

static int run_session (struct coi_ctx *ctx, struct coi_session_cli *sc,
                        const struct shell_opts *o, coi_error_t *err)
{
  struct incus_client *c;
  struct coi_session s = { 0 };
  _cleanup_strv_ char **argv = NULL;
  _cleanup_strv_ char **env = NULL;
  int code = 0;
  int stopped_by = 0;
  bool agent_started = false;

  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  fprintf (stderr, "Starting session...\n");
  if (coi_session_launch (c, &sc->opts, &s, err) < 0)
    return -1;
  fprintf (stderr, "Session ID: %s\nContainer: %s\nWorkspace: %s\n", s.id, s.container,
           s.workspace_abs);

  if (coi_session_save_meta (&s, err) < 0
      || coi_session_ready (c, &s, coi_guards_net_target (&sc->guards), 30000, err) < 0
      || coi_tool_state_push (c, &s, &sc->user, err) < 0
      || tool_command (sc, &s, o->debug, &argv, err) < 0
      || coi_agent_env (&sc->user, sc->user_name, getenv ("TERM"), NULL, &env, err) < 0)
    goto fail;

  /* Attached, this process ends the session; detached, the supervisor. */
  if (!o->background && coi_session_claim (s.container, err) < 0)
    goto fail;
  if (o->tmux)
    {
      if (coi_agent_start (c, s.container, &sc->user, (const char *const *) argv,
                           (const char *const *) env, (const char *const *) sc->env, err) < 0
          || coi_session_mark_ready (c, s.container, err) < 0
          || supervise (ctx, sc, &s, err) < 0)
        goto fail;
      agent_started = true;
      if (o->background)
        {
          fprintf (stderr, "Session running in background. Attach with: %s attach %s\n",
                   ctx->progname, s.container);
          coi_session_clear (&s);
          return 0;
        }
      if (coi_agent_attach (c, s.container, &sc->user, (const char *const *) env, false,
                            &sc->abort_set, &stopped_by, &code, err) < 0)
        goto fail;
    }
  else
    {
      if (coi_session_mark_ready (c, s.container, err) < 0 || supervise (ctx, sc, &s, err) < 0)
        goto fail;
      agent_started = true;
      if (coi_agent_run_direct (c, s.container, &sc->user, (const char *const *) argv,
                                (const char *const *) env, (const char *const *) sc->env,
                                &sc->abort_set, &stopped_by, &code, err) < 0)
        goto fail;
    }
  {
    int sig = stopped_by ? stopped_by : coi_session_cli_aborted (sc);
    int r = coi_session_cli_finish (c, sc, &s, sig != 0, err);
    coi_session_unclaim (s.container);
    coi_session_clear (&s);
    if (r < 0)
      return -1;
    return sig ? 128 + sig : 0;
  }

fail:
  {
    /* A failed or interrupted start never leaves an ephemeral container;
       once the agent ran, its state is saved first. */
    _cleanup_error_ coi_error_t e2 = NULL;
    if (agent_started)
      coi_session_cli_finish (c, sc, &s, true, &e2);
    else if (s.created && !s.persistent)
      coi_session_destroy (c, &s, &e2);
    if (s.container)
      coi_session_unclaim (s.container);
    coi_session_clear (&s);
    return -1;
  }
}

COI_HANDLER (cmd_shell)
{
  struct shell_opts o = { .tmux = true };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, shell_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos > 0)
    {
      coi_error_usage (err, "unexpected argument '%s' - did you mean --resume=%s?", pos[0], pos[0]);
      return -1;
    }
  struct coi_session_cli sc = { 0 };
  if (coi_session_cli_prepare (ctx, &sc, err) < 0)
    {
      coi_session_cli_release (&sc);
      return -1;
    }
  r = run_session (ctx, &sc, &o, err);
  coi_session_cli_release (&sc);
  return r;
}
