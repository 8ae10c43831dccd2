/* coi shutdown [NAME...] [--timeout N] [--all] [--force]: stop gracefully,
 * force after the timeout, then delete. */
#include <stdio.h>

#include "cli/command.h"
#include "cli/targets.h"
#include "session/end.h"
#include "util/cleanup.h"

struct shutdown_opts
{
  int timeout;
  bool all;
  bool force;
};

static const struct coi_opt shutdown_options[] = {
  { "timeout", 0, OPT_INT, OPT_AT (struct shutdown_opts, timeout), "Seconds to wait for graceful shutdown before force-killing", NULL, "N" },
  { "all", 'a', OPT_BOOL, OPT_AT (struct shutdown_opts, all), "Shut down every coi container", NULL, NULL },
  { "force", 'f', OPT_BOOL, OPT_AT (struct shutdown_opts, force), "Do not ask for confirmation", NULL, NULL },
  OPT_END,
};

struct shutdown_job
{
  int timeout;
  struct coi_guard_link *guard;
};

static int shutdown_one (struct incus_client *c, const struct coi_instance_info *i, void *data,
                         coi_error_t *err)
{
  const struct shutdown_job *job = data;
  fprintf (stderr, "Shutting down %s (timeout %d s)...\n", i->name, job->timeout);
  if (coi_container_end (c, job->guard, i->name, job->timeout ? job->timeout : 1, err) < 0)
    return -1;
  printf ("Shut down %s\n", i->name);
  return 0;
}

COI_HANDLER (cmd_shutdown)
{
  struct shutdown_opts o = { .timeout = 60 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, shutdown_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (o.timeout < 0)
    return coi_error_usage (err, "invalid --timeout %d: must be 0 or more", o.timeout);
  struct shutdown_job job = { .timeout = o.timeout };
  if (coi_ctx_guard (ctx, &job.guard, err) < 0)
    return -1;
  return coi_targets_each (ctx, pos, p.npos, o.all, o.force, "shut down", shutdown_one, &job, err);
}
