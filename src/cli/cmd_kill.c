/* coi kill [NAME...] [--all] [--force]: stop at once and delete. */
#include <stdio.h>

#include "cli/command.h"
#include "cli/targets.h"
#include "session/end.h"
#include "util/cleanup.h"

struct kill_opts
{
  bool all;
  bool force;
};

static const struct coi_opt kill_options[] = {
  { "all", 'a', OPT_BOOL, OPT_AT (struct kill_opts, all), "Kill every coi container", NULL, NULL },
  { "force", 'f', OPT_BOOL, OPT_AT (struct kill_opts, force), "Do not ask for confirmation", NULL, NULL },
  OPT_END,
};

COI_HANDLER (cmd_kill)
{
  struct kill_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, kill_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
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
    printf ("No containers to kill\n");
  else if ((o.all || t.n > 1) && !coi_targets_confirm (&t, "kill", o.force))
    r = 1;
  else
    for (size_t i = 0; i < t.n && r == 0; i++)
      {
        if (coi_container_end (c, t.items[i]->name, 0, err) < 0)
          r = -1;
        else
          printf ("Killed %s\n", t.items[i]->name);
      }
  coi_targets_clear (&t);
  return r;
}
