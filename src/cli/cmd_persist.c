/* coi persist [NAME...] [--all] [--force]: turn running ephemeral sessions
 * into persistent ones.  COI only rewrote its metadata; here the container's
 * own label changes too, so no exit path deletes it any more. */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/targets.h"
#include "incus/instance.h"
#include "session/metadata.h"
#include "session/spec.h"
#include "util/cleanup.h"

struct persist_opts
{
  bool all;
  bool force;
};

static const struct coi_opt persist_options[] = {
  { "all", 'a', OPT_BOOL, OPT_AT (struct persist_opts, all), "Make every coi container persistent", NULL, NULL },
  { "force", 'f', OPT_BOOL, OPT_AT (struct persist_opts, force), "Do not ask for confirmation", NULL, NULL },
  OPT_END,
};

static int persist_one (struct incus_client *c, const struct coi_instance_info *i, void *data,
                        coi_error_t *err)
{
  (void) data;
  if (i->persistent)
    {
      printf ("%s is already persistent\n", i->name);
      return 0;
    }
  _cleanup_json_ json_t *patch = json_pack ("{s:{s:s}}", "config", COI_KEY_PERSISTENT, "true");
  if (patch == NULL || incus_instance_patch (c, i->name, patch, err) < 0)
    return patch ? -1 : coi_error_make (err, 0, "persist %s: out of memory", i->name);
  if (i->session_id && i->tool && coi_valid_session_id (i->session_id))
    {
      struct coi_session_meta m = { 0 };
      _cleanup_error_ coi_error_t missing = NULL;
      if (coi_session_meta_load (i->tool, i->session_id, &m, &missing) == 0)
        {
          m.persistent = true;
          int r = coi_session_meta_save (i->tool, &m, err);
          coi_session_meta_clear (&m);
          if (r < 0)
            return -1;
        }
    }
  printf ("%s is now persistent\n", i->name);
  return 0;
}

COI_HANDLER (cmd_persist)
{
  struct persist_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, persist_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  return coi_targets_each (ctx, pos, p.npos, o.all, o.force, "make persistent", persist_one, NULL,
                           err);
}
