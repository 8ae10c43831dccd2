/* coi run [--] COMMAND...: the command in a fresh isolated container, its
 * output streamed and its exit code returned; the container goes on every
 * exit path unless the session is persistent. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/session_cli.h"
#include "incus/exec.h"
#include "session/agent.h"
#include "session/guards.h"
#include "session/ready.h"
#include "session/supervise.h"
#include "session/tool_state.h"
#include "util/cleanup.h"

struct run_opts
{
  bool capture;
  int timeout;
  char *format;
};

/* Accepted for COI compatibility: COI parses them and ignores them. */
static const struct coi_opt run_options[] = {
  { "capture", 0, OPT_BOOL, OPT_AT (struct run_opts, capture), "Accepted for compatibility (output is always streamed)", NULL, NULL },
  { "timeout", 0, OPT_INT, OPT_AT (struct run_opts, timeout), "Accepted for compatibility", NULL, "SECONDS" },
  { "format", 0, OPT_STRING, OPT_AT (struct run_opts, format), "Accepted for compatibility", NULL, "FORMAT" },
  OPT_END,
};

/* COI documents `coi run "npm test"`: one argument with blanks is a shell
 * command line the user wrote, so it goes to sh -c as one argument. */
static bool is_command_line (int n, char **argv)
{
  return n == 1 && strpbrk (argv[0], " \t\n;|&<>$`'\"") != NULL;
}

COI_HANDLER (cmd_run)
{
  struct run_opts o = { .timeout = 120 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, run_options, &o, true, &p, err);
  _cleanup_free_ char *format = o.format;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;

  const char *default_cmd[] = { COI_WORKSPACE_PATH "/coi-run", NULL };
  const char *shell_cmd[] = { "sh", "-c", p.npos ? pos[0] : "", NULL };
  const char *const *cmd = (const char *const *) pos;
  if (p.npos == 0)
    cmd = default_cmd;
  else if (is_command_line (p.npos, pos))
    cmd = shell_cmd;

  struct coi_session_cli sc = { 0 };
  struct coi_session s = { 0 };
  struct incus_client *c = NULL;
  _cleanup_strv_ char **env = NULL;
  int code = 1;
  int stopped_by = 0;
  struct coi_net_up up;
  r = -1;
  if (coi_session_cli_prepare (ctx, &sc, err) < 0 || coi_ctx_client (ctx, &c, err) < 0)
    goto out;
  if (p.npos == 0)
    {
      _cleanup_free_ char *local = NULL;
      if (asprintf (&local, "%s/coi-run", sc.opts.workspace) < 0)
        goto out;
      if (access (local, X_OK) < 0)
        {
          coi_error_usage (err, "no command given and %s is not an executable file", local);
          coi_error_set_hint (err, "usage: coi run [--] COMMAND [ARGS...]");
          goto out;
        }
    }
  if (coi_session_launch (c, &sc.opts, &s, err) < 0)
    goto out;
  /* This process ends the run; a supervisor (monitoring, time limit, the
     DNS filter) only takes over if it dies. */
  if (coi_session_claim (s.container, err) < 0)
    goto end;
  if (coi_session_needs_supervisor (sc.cfg, &sc.guards, false))
    {
      /* It arms while the command runs when all it does is read the log;
         a restricted or allowlist session's names resolve only once its
         DNS filter listens, so those wait. */
      pid_t sup;
      bool wait = coi_session_supervisor_guards (sc.cfg, &sc.guards);
      if (coi_session_supervise (&s, sc.cfg, &sc.guards, ctx->global.remote, ctx->global.project,
                                 wait ? &sup : NULL, err) < 0)
        goto end;
    }
  bool net_up = coi_session_net_up_plan (&s, coi_guards_net_target (&sc.guards), &up);
  if ((!net_up && coi_session_wait_ready (c, s.container, 30000, err) < 0)
      || coi_agent_env (&sc.user, sc.user_name, getenv ("TERM"), NULL, &env, err) < 0)
    goto end;
  {
    struct incus_exec_opts io = INCUS_EXEC_OPTS_INIT;
    /* A terminal on stdin stays ours; piped input is the command's. */
    io.stdin_fd = isatty (STDIN_FILENO) ? -1 : STDIN_FILENO;
    io.stdout_fd = STDOUT_FILENO;
    io.stderr_fd = STDERR_FILENO;
    io.stop_signals = &sc.abort_set;
    io.stopped_by = &stopped_by;
    fflush (stdout);
    if (coi_agent_exec (c, s.container, &sc.user, cmd, (const char *const *) env,
                        (const char *const *) sc.env, net_up ? &up : NULL, &io, &code, err) < 0)
      goto end;
    r = 0;
  }

end:
  {
    int sig = stopped_by ? stopped_by : coi_session_cli_aborted (&sc);
    _cleanup_error_ coi_error_t e2 = NULL;
    if (!s.persistent)
      {
        if (coi_session_destroy (c, &s, r < 0 ? &e2 : err) < 0 && r == 0)
          r = -1;
      }
    if (r == 0 && sig)
      code = 128 + sig;
    if (s.container)
      coi_session_unclaim (s.container);
  }
out:
  coi_session_clear (&s);
  coi_session_cli_release (&sc);
  return r < 0 ? -1 : code;
}
