/* coi snapshot restore <name> [-f] [--stateful] and
 * coi snapshot delete <name> | --all [-f]: the destructive ones, which ask
 * first unless forced. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_container_common.h"
#include "cli/cmd_snapshot.h"
#include "cli/command.h"
#include "cli/output.h"
#include "incus/instance.h"
#include "incus/snapshot.h"
#include "util/cleanup.h"

static int must_have_snapshot (struct incus_client *c, const char *inst, const char *name,
                               coi_error_t *err)
{
  int ex = incus_snapshot_exists (c, inst, name, err);
  if (ex < 0)
    return -1;
  if (ex == 0)
    return coi_error_make (err, 404, "snapshot '%s' not found for container '%s'", name, inst);
  return 0;
}

COI_HANDLER (cmd_snapshot_restore)
{
  _cleanup_snapshot_opts_ struct snapshot_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_snapshot_parse (ctx, argc, argv, coi_snapshot_restore_options, &o, 1, 1,
                              "coi snapshot restore <name> [-c CONTAINER] [-f] [--stateful]", &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  const char *name = pos[0];
  struct incus_client *c;
  _cleanup_free_ char *inst = NULL, *status = NULL;
  if (coi_snapshot_target (ctx, &o, &c, &inst, err) < 0 || must_have_snapshot (c, inst, name, err) < 0
      || incus_instance_status (c, inst, &status, err) < 0)
    return -1;
  if (strcmp (status, "Stopped") != 0)
    {
      coi_error_make (err, 0, "container '%s' must be stopped before restore (it is %s)", inst,
                      status);
      coi_error_set_hint (err, "use 'coi container stop %s'", inst);
      return -1;
    }
  if (!o.force)
    {
      fprintf (stderr, "WARNING: This will restore container '%s' to snapshot '%s'.\n", inst, name);
      fprintf (stderr, "All changes since the snapshot will be lost.\n\n");
      if (!coi_confirm ("Continue?"))
        {
          fprintf (stderr, "Aborted\n");
          return 0;
        }
    }
  if (incus_snapshot_restore (c, inst, name, o.stateful, err) < 0)
    return -1;
  fprintf (stderr, "Restored container '%s' from snapshot '%s'\n", inst, name);
  return 0;
}

static int delete_all (struct incus_client *c, const char *inst, bool force, coi_error_t *err)
{
  _cleanup_json_ json_t *snaps = NULL;
  if (incus_snapshot_list (c, inst, &snaps, err) < 0)
    return -1;
  size_t n = json_array_size (snaps), i;
  json_t *s;
  if (n == 0)
    {
      fprintf (stderr, "No snapshots to delete for container '%s'\n", inst);
      return 0;
    }
  if (!force)
    {
      fprintf (stderr, "WARNING: This will delete ALL %zu snapshot(s) for container '%s':\n", n,
               inst);
      json_array_foreach (snaps, i, s)
        fprintf (stderr, "  - %s\n", json_string_value (json_object_get (s, "name")));
      fputc ('\n', stderr);
      if (!coi_confirm ("Continue?"))
        {
          fprintf (stderr, "Aborted\n");
          return 0;
        }
    }
  size_t failed = 0;
  json_array_foreach (snaps, i, s)
  {
    const char *name = json_string_value (json_object_get (s, "name"));
    _cleanup_error_ coi_error_t e = NULL;
    if (name == NULL)
      continue;
    /* Keep going: one stuck snapshot should not keep the others. */
    if (incus_snapshot_delete (c, inst, name, &e) < 0)
      {
        fprintf (stderr, "Failed to delete snapshot '%s': %s\n", name, e->msg);
        failed++;
      }
    else
      fprintf (stderr, "Deleted snapshot '%s'\n", name);
  }
  if (failed)
    return coi_error_make (err, 0, "delete snapshots of %s: %zu of %zu failed", inst, failed, n);
  return 0;
}

COI_HANDLER (cmd_snapshot_delete)
{
  _cleanup_snapshot_opts_ struct snapshot_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_snapshot_parse (ctx, argc, argv, coi_snapshot_delete_options, &o, 0, 1,
                              "coi snapshot delete <name> | --all [-c CONTAINER] [-f]", &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos == 1 && o.all)
    return coi_error_usage (err, "give one snapshot name or --all");
  if (p.npos == 0 && !o.all)
    return coi_error_usage (err, "snapshot name required (or use --all to delete all snapshots)");
  struct incus_client *c;
  _cleanup_free_ char *inst = NULL;
  if (coi_snapshot_target (ctx, &o, &c, &inst, err) < 0)
    return -1;
  if (o.all)
    return delete_all (c, inst, o.force, err);
  if (must_have_snapshot (c, inst, pos[0], err) < 0 || incus_snapshot_delete (c, inst, pos[0], err) < 0)
    return -1;
  fprintf (stderr, "Deleted snapshot '%s' from container '%s'\n", pos[0], inst);
  return 0;
}
