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

static int kill_one (struct incus_client *c, const struct coi_instance_info *i, void *data,
                     coi_error_t *err)
{
  if (coi_container_end (c, data, i->name, 0, err) < 0)
    return -1;
  printf ("Killed %s\n", i->name);
  return 0;
}

COI_HANDLER (cmd_kill)
{
  struct kill_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, kill_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  struct coi_guard_link *guard;
  if (coi_ctx_guard (ctx, &guard, err) < 0)
    return -1;
  return coi_targets_each (ctx, pos, p.npos, o.all, o.force, "kill", kill_one, guard, err);
}
