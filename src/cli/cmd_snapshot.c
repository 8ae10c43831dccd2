/* coi snapshot create|list|info (spec A.3, G.1); restore and delete are in
 * cmd_snapshot_restore.c.  The container comes from -c, $COI_CONTAINER or
 * the current workspace (coi_resolve_container). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd_container_common.h"
#include "cli/cmd_snapshot.h"
#include "cli/command.h"
#include "cli/output.h"
#include "incus/snapshot.h"
#include "session/inventory.h"
#include "util/cleanup.h"

COI_HANDLER (cmd_snapshot_create);
COI_HANDLER (cmd_snapshot_list);
COI_HANDLER (cmd_snapshot_restore);
COI_HANDLER (cmd_snapshot_delete);
COI_HANDLER (cmd_snapshot_info);

const struct coi_command coi_snapshot_commands[] = {
  { "create", "Create a container snapshot", "[name] [-c CONTAINER] [--stateful]", NULL, cmd_snapshot_create, NULL, false },
  { "list", "List container snapshots", "[-c CONTAINER] [--all] [--format text|json]", NULL, cmd_snapshot_list, NULL, false },
  { "restore", "Restore container from a snapshot", "<name> [-c CONTAINER] [-f] [--stateful]", NULL, cmd_snapshot_restore, NULL, false },
  { "delete", "Delete a container snapshot", "<name> | --all [-c CONTAINER] [-f]", NULL, cmd_snapshot_delete, NULL, false },
  { "info", "Show snapshot details", "<name> [-c CONTAINER] [--format text|json]", NULL, cmd_snapshot_info, NULL, false },
  { 0 },
};

#define SO(f) OPT_AT (struct snapshot_opts, f)
#define CONTAINER_OPT { "container", 'c', OPT_STRING, SO (container), "Container name (default: auto-detect from workspace)", NULL, "NAME" }
const struct coi_opt coi_snapshot_create_options[] = {
  CONTAINER_OPT,
  { "stateful", 0, OPT_BOOL, SO (stateful), "Include process memory state in snapshot", NULL, NULL },
  OPT_END,
};
const struct coi_opt coi_snapshot_list_options[] = {
  CONTAINER_OPT,
  { "format", 0, OPT_STRING, SO (format), "Output format: text or json", NULL, "FORMAT" },
  { "all", 'a', OPT_BOOL, SO (all), "List snapshots for all COI containers", NULL, NULL },
  OPT_END,
};
const struct coi_opt coi_snapshot_restore_options[] = {
  CONTAINER_OPT,
  { "force", 'f', OPT_BOOL, SO (force), "Skip confirmation prompt", NULL, NULL },
  { "stateful", 0, OPT_BOOL, SO (stateful), "Restore with process memory state", NULL, NULL },
  OPT_END,
};
const struct coi_opt coi_snapshot_delete_options[] = {
  CONTAINER_OPT,
  { "force", 'f', OPT_BOOL, SO (force), "Skip confirmation prompt", NULL, NULL },
  { "all", 'a', OPT_BOOL, SO (all), "Delete all snapshots", NULL, NULL },
  OPT_END,
};
const struct coi_opt coi_snapshot_info_options[] = {
  CONTAINER_OPT,
  { "format", 0, OPT_STRING, SO (format), "Output format: text or json", NULL, "FORMAT" },
  OPT_END,
};
#undef CONTAINER_OPT
#undef SO

void coi_snapshot_opts_free (struct snapshot_opts *o)
{
  free (o->container);
  free (o->format);
}

int coi_snapshot_parse (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts,
                        struct snapshot_opts *o, int min, int max, const char *usage,
                        struct coi_parsed *p, coi_error_t *err)
{
  int r = coi_cmd_parse (ctx, argc, argv, opts, o, false, p, err);
  if (r != 0)
    return r;
  if (p->npos < min || p->npos > max)
    {
      coi_error_usage (err, "expected %d to %d arg(s), received %d", min, max, p->npos);
      coi_error_set_hint (err, "usage: %s", usage);
    }
  else if (coi_check_format (o->format, "text|json", err) == 0)
    return 0;
  coi_parsed_free (p);
  return -1;
}

int coi_snapshot_target (struct coi_ctx *ctx, const struct snapshot_opts *o,
                         struct incus_client **c, char **inst, coi_error_t *err)
{
  if (coi_ctx_client (ctx, c, err) < 0)
    return -1;
  return coi_resolve_container (ctx, *c, o->container, inst, err);
}

/* COI's SnapshotInfo: name, created_at, expires_at (only when set),
 * stateful, description (only when set). */
json_t *coi_snapshot_json (json_t *s)
{
  const char *name = json_string_value (json_object_get (s, "name"));
  const char *created = json_string_value (json_object_get (s, "created_at"));
  const char *expires = json_string_value (json_object_get (s, "expires_at"));
  const char *desc = json_string_value (json_object_get (s, "description"));
  json_t *j = json_pack ("{s:s, s:s}", "name", name ? name : "", "created_at",
                         created ? created : "");
  if (j == NULL)
    return NULL;
  /* Incus spells "never" as the zero time. */
  if (expires && *expires && strncmp (expires, "0001-01-01", 10) != 0
      && json_object_set_new (j, "expires_at", json_string (expires)) < 0)
    goto fail;
  if (json_object_set_new (j, "stateful", json_boolean (json_is_true (json_object_get (s, "stateful"))))
      < 0)
    goto fail;
  if (desc && *desc && json_object_set_new (j, "description", json_string (desc)) < 0)
    goto fail;
  return j;
fail:
  json_decref (j);
  return NULL;
}

COI_HANDLER (cmd_snapshot_create)
{
  _cleanup_snapshot_opts_ struct snapshot_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_snapshot_parse (ctx, argc, argv, coi_snapshot_create_options, &o, 0, 1,
                              "coi snapshot create [name] [-c CONTAINER] [--stateful]", &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  char name[64];
  if (p.npos == 1)
    snprintf (name, sizeof name, "%s", pos[0]);
  else
    {
      time_t now = time (NULL);
      struct tm tm;
      if (localtime_r (&now, &tm) == NULL || strftime (name, sizeof name, "snap-%Y%m%d-%H%M%S", &tm) == 0)
        return coi_error_make (err, 0, "create snapshot: cannot read the clock");
    }
  if (p.npos == 1 && strlen (pos[0]) >= sizeof name)
    return coi_error_usage (err, "snapshot name '%s' is too long", pos[0]);
  struct incus_client *c;
  _cleanup_free_ char *inst = NULL;
  if (coi_snapshot_target (ctx, &o, &c, &inst, err) < 0)
    return -1;
  int ex = incus_snapshot_exists (c, inst, name, err);
  if (ex < 0)
    return -1;
  if (ex)
    return coi_error_make (err, EEXIST, "snapshot '%s' already exists for container '%s'", name,
                           inst);
  if (incus_snapshot_create (c, inst, name, o.stateful, err) < 0)
    return -1;
  fprintf (stderr, "Created %ssnapshot '%s' for container '%s'\n", o.stateful ? "stateful " : "",
           name, inst);
  return 0;
}

static int print_table (json_t *snaps, const char *indent_none, coi_error_t *err)
{
  if (json_array_size (snaps) == 0)
    {
      printf ("%s(none)\n", indent_none);
      return 0;
    }
  static const char *const head[] = { "NAME", "CREATED", "STATEFUL" };
  _cleanup_table_ struct coi_table t = { 0 };
  if (coi_table_init (&t, 3, head) < 0)
    return coi_error_errno (err, ENOMEM, "list snapshots");
  size_t i;
  json_t *s;
  json_array_foreach (snaps, i, s)
  {
    char created[20];
    coi_short_time (json_string_value (json_object_get (s, "created_at")), created);
    const char *row[] = { json_string_value (json_object_get (s, "name")), created,
                          json_is_true (json_object_get (s, "stateful")) ? "yes" : "no" };
    if (coi_table_add (&t, row) < 0)
      return coi_error_errno (err, ENOMEM, "list snapshots");
  }
  coi_table_print (&t);
  return 0;
}

static json_t *snapshots_json (json_t *snaps)
{
  json_t *arr = json_array ();
  size_t i;
  json_t *s;
  json_array_foreach (snaps, i, s)
  {
    if (arr == NULL || json_array_append_new (arr, coi_snapshot_json (s)) < 0)
      {
        json_decref (arr);
        return NULL;
      }
  }
  return arr;
}

static int list_all (struct incus_client *c, bool json, coi_error_t *err)
{
  struct coi_inventory inv = { 0 };
  if (coi_inventory_load (c, false, &inv, err) < 0)
    return -1;
  if (inv.n == 0)
    {
      coi_inventory_clear (&inv);
      fprintf (stderr, "No COI containers found\n");
      return 0;
    }
  _cleanup_json_ json_t *all = json_object ();
  int r = all ? 0 : coi_error_errno (err, ENOMEM, "list snapshots");
  for (size_t i = 0; i < inv.n && r == 0; i++)
    {
      const char *name = inv.items[i].name;
      _cleanup_json_ json_t *snaps = NULL;
      _cleanup_error_ coi_error_t e = NULL;
      if (incus_snapshot_list (c, name, &snaps, &e) < 0)
        {
          /* One container vanishing must not hide the others. */
          if (!json)
            fprintf (stderr, "\nContainer %s: (error listing snapshots)\n", name);
          continue;
        }
      if (json)
        r = json_object_set_new (all, name, snapshots_json (snaps)) < 0
                ? coi_error_errno (err, ENOMEM, "list snapshots")
                : 0;
      else
        {
          printf ("\nSnapshots for %s:\n", name);
          r = print_table (snaps, "  ", err);
        }
    }
  coi_inventory_clear (&inv);
  if (r == 0 && json)
    r = coi_print_json (all, err);
  return r;
}

COI_HANDLER (cmd_snapshot_list)
{
  _cleanup_snapshot_opts_ struct snapshot_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_snapshot_parse (ctx, argc, argv, coi_snapshot_list_options, &o, 0, 0,
                              "coi snapshot list [-c CONTAINER] [--all] [--format text|json]", &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  bool json = o.format && strcmp (o.format, "json") == 0;
  struct incus_client *c;
  if (o.all)
    return coi_ctx_client (ctx, &c, err) < 0 ? -1 : list_all (c, json, err);
  _cleanup_free_ char *inst = NULL;
  _cleanup_json_ json_t *snaps = NULL;
  if (coi_snapshot_target (ctx, &o, &c, &inst, err) < 0
      || incus_snapshot_list (c, inst, &snaps, err) < 0)
    return -1;
  if (json)
    {
      _cleanup_json_ json_t *out = json_pack ("{s:s, s:o}", "container", inst, "snapshots",
                                              snapshots_json (snaps));
      return out ? coi_print_json (out, err) : coi_error_errno (err, ENOMEM, "list snapshots");
    }
  printf ("Snapshots for %s:\n\n", inst);
  if (print_table (snaps, "", err) < 0)
    return -1;
  size_t n = json_array_size (snaps);
  printf ("\nTotal: %zu snapshot%s\n", n, n == 1 ? "" : "s");
  return 0;
}

COI_HANDLER (cmd_snapshot_info)
{
  _cleanup_snapshot_opts_ struct snapshot_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_snapshot_parse (ctx, argc, argv, coi_snapshot_info_options, &o, 1, 1,
                              "coi snapshot info <name> [-c CONTAINER] [--format text|json]", &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  struct incus_client *c;
  _cleanup_free_ char *inst = NULL;
  _cleanup_json_ json_t *snap = NULL;
  if (coi_snapshot_target (ctx, &o, &c, &inst, err) < 0)
    return -1;
  if (incus_snapshot_get (c, inst, pos[0], &snap, err) < 0)
    {
      if ((*err)->status == 404)
        return coi_error_make (err, 404, "snapshot '%s' not found for container '%s'", pos[0], inst);
      return -1;
    }
  _cleanup_json_ json_t *info = coi_snapshot_json (snap);
  if (info == NULL)
    return coi_error_errno (err, ENOMEM, "snapshot info");
  if (o.format && strcmp (o.format, "json") == 0)
    {
      _cleanup_json_ json_t *out = json_pack ("{s:s, s:O}", "container", inst, "snapshot", info);
      return out ? coi_print_json (out, err) : coi_error_errno (err, ENOMEM, "snapshot info");
    }
  char created[20], expires[20];
  coi_short_time (json_string_value (json_object_get (info, "created_at")), created);
  printf ("Snapshot: %s\nContainer: %s\nCreated: %s\n", pos[0], inst, created);
  const char *exp = json_string_value (json_object_get (info, "expires_at"));
  if (exp)
    {
      coi_short_time (exp, expires);
      printf ("Expires: %s\n", expires);
    }
  printf ("Stateful: %s\n", json_is_true (json_object_get (info, "stateful"))
                                ? "yes (includes process memory)"
                                : "no");
  const char *desc = json_string_value (json_object_get (info, "description"));
  if (desc)
    printf ("Description: %s\n", desc);
  return 0;
}
