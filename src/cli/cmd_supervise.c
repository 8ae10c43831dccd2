/* coi __supervise [--spec PATH] [--ready-fd N] [--nflog-fd N] [CONTAINER]: the hidden
 * entry point of a session supervisor (see lib/monitor/supervisor.h).  The
 * launcher starts it through coi_supervisor_spawn; by hand it is useful to
 * guard a container again after its supervisor was stopped. */
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "cli/command.h"
#include "cli/output.h"
#include "monitor/paths.h"
#include "monitor/supervisor.h"
#include "session/supervise.h"
#include "util/cleanup.h"

struct supervise_opts
{
  char *spec;
  int ready_fd;
  int nflog_fd;
  bool restarted;
};

static const struct coi_opt supervise_opts[] = {
  { "spec", 0, OPT_STRING, OPT_AT (struct supervise_opts, spec), "Session spec file (default: the run directory's)", NULL, "PATH" },
  { "ready-fd", 0, OPT_INT, OPT_AT (struct supervise_opts, ready_fd), "Descriptor to report readiness on", NULL, "N" },
  { "nflog-fd", 0, OPT_INT, OPT_AT (struct supervise_opts, nflog_fd), "The session's bound nflog socket, to take over", NULL, "N" },
  { "restarted", 0, OPT_BOOL, OPT_AT (struct supervise_opts, restarted), "It replaces a supervisor that died", NULL, NULL },
  OPT_END,
};

COI_HANDLER (cmd_supervise)
{
  struct supervise_opts o = { .ready_fd = -1, .nflog_fd = -1 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, supervise_opts, &o, false, &p, err);
  _cleanup_free_ char *spec = o.spec;
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (p.npos > 1 || (p.npos == 0 && spec == NULL))
    return coi_error_usage (err, "usage: coi __supervise [--spec PATH] [CONTAINER]");
  if (spec == NULL && coi_run_path (pos[0], COI_RUN_SPEC, &spec, err) < 0)
    return -1;
  /* Without the filter names fail closed; another supervisor of this
     container may hold its port, so this is not fatal. */
  pid_t dns = 0;
  int dns_fd = -1;
  coi_error_t dns_err = NULL;
  if (coi_session_dns_filter_start (spec, ctx->env, &dns, &dns_fd, &dns_err) < 0)
    coi_error_report (&dns_err, stderr);
  /* The session's own end: save the agent's state, then remove an
     ephemeral container and its host state (unless an attached launcher
     does it). */
  struct coi_sink sink;
  coi_cli_log_sink (&sink);
  const struct coi_supervisor_hooks hooks = { .end = coi_session_end_supervised,
                                              .data = (void *) ctx->env,
                                              .sink = &sink,
                                              .env = ctx->env,
                                              .restarted = o.restarted };
  r = coi_supervisor_main (spec, o.ready_fd, o.nflog_fd, dns_fd, &hooks, err);
  if (dns > 0)
    {
      kill (dns, SIGTERM);
      waitpid (dns, NULL, 0);
    }
  if (r < 0)
    return -1;
  return 0;
}
