/* coi run [--] COMMAND...: the command in a fresh isolated container, its
 * output streamed and its exit code returned (lib/session/lifecycle.h). */
#include <unistd.h>

#include "cli/command.h"
#include "cli/session_request.h"
#include "session/lifecycle.h"
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

COI_HANDLER (cmd_run)
{
  struct run_opts o = { .timeout = 120 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, run_options, &o, true, &p, err);
  _cleanup_free_ char *format = o.format;
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct coi_session_request req;
  coi_cli_session_request (ctx, COI_SESSION_COMMAND, &req);
  req.command = (const char *const *) pos;
  /* A terminal on stdin stays ours; piped input is the command's. */
  req.stdin_fd = isatty (STDIN_FILENO) ? -1 : STDIN_FILENO;
  req.stdout_fd = STDOUT_FILENO;
  req.stderr_fd = STDERR_FILENO;
  return coi_cli_session_run (ctx, &req, err);
}
