/* coi shell: start (or resume) a session and attach to its agent
 * (lib/session/lifecycle.h). */
#include "cli/command.h"
#include "cli/session_request.h"
#include "session/lifecycle.h"
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

COI_HANDLER (cmd_shell)
{
  struct shell_opts o = { .tmux = true };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, shell_options, &o, false, &p, err);
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (p.npos > 0)
    return coi_error_usage (err, "unexpected argument '%s' - did you mean --resume=%s?", pos[0], pos[0]);
  struct coi_session_request req;
  coi_cli_session_request (ctx, COI_SESSION_AGENT, &req);
  req.debug = o.debug;
  req.background = o.background;
  req.tmux = o.tmux;
  return coi_cli_session_run (ctx, &req, err);
}
