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
  if (o.all && p.npos)
    return coi_error_usage (err, "give container names or --all, not both");

  struct coi_targets t;
  struct incus_client *c;
  if (coi_targets_resolve (ctx, pos, p.npos, o.all, &t, err) < 0 || coi_ctx_client (ctx, &c, err) < 0)
    {
      coi_targets_clear (&t);
      return -1;
    }
  r = 0;
  if (t.n == 0)
    printf ("No containers to shut down\n");
  else if ((o.all || t.n > 1) && !coi_targets_confirm (&t, "shut down", o.force))
    r = 1;
  else
    for (size_t i = 0; i < t.n && r == 0; i++)
      {
        fprintf (stderr, "Shutting down %s (timeout %d s)...\n", t.items[i]->name, o.timeout);
        if (coi_container_end (c, t.items[i]->name, o.timeout ? o.timeout : 1, err) < 0)
          r = -1;
        else
          printf ("Shut down %s\n", t.items[i]->name);
      }
  coi_targets_clear (&t);
  return r;
}
