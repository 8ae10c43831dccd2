/* coi container list [--format text|json] and
 * coi container info <name> [--format text|json]: the raw Incus view. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_container_common.h"
#include "cli/command.h"
#include "cli/output.h"
#include "incus/instance.h"
#include "util/cleanup.h"

struct format_opts
{
  char *format;
};

static const struct coi_opt format_options[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct format_opts, format), "Output format: text or json", NULL, "FORMAT" },
  OPT_END,
};

static const char *type_of (json_t *inst)
{
  bool eph = json_is_true (json_object_get (inst, "ephemeral"));
  const char *t = json_string_value (json_object_get (inst, "type"));
  if (t && strcmp (t, "virtual-machine") == 0)
    return eph ? "VIRTUAL-MACHINE (EPHEMERAL)" : "VIRTUAL-MACHINE";
  return eph ? "CONTAINER (EPHEMERAL)" : "CONTAINER";
}

static int print_list_text (json_t *list, coi_error_t *err)
{
  static const char *const head[] = { "NAME", "STATE", "IPV4", "TYPE", "SNAPSHOTS" };
  _cleanup_table_ struct coi_table t = { 0 };
  if (coi_table_init (&t, 5, head) < 0)
    return coi_error_errno (err, ENOMEM, "list containers");
  size_t i;
  json_t *inst;
  json_array_foreach (list, i, inst)
  {
    const char *status = json_string_value (json_object_get (inst, "status"));
    const char *ip = incus_state_ipv4 (json_object_get (inst, "state"), "eth0");
    char state[32], snaps[32];
    snprintf (state, sizeof state, "%s", status ? status : "");
    for (char *s = state; *s; s++)
      *s = (char) (*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
    snprintf (snaps, sizeof snaps, "%zu", json_array_size (json_object_get (inst, "snapshots")));
    const char *row[] = { json_string_value (json_object_get (inst, "name")), state,
                          ip ? ip : "", type_of (inst), snaps };
    if (coi_table_add (&t, row) < 0)
      return coi_error_errno (err, ENOMEM, "list containers");
  }
  coi_table_print (&t);
  return 0;
}

/* Flags, n positionals and --format; returns 1 after --help, and *json. */
static int parse_format (struct coi_ctx *ctx, int argc, char **argv, int n, const char *usage,
                         char ***pos, bool *json, coi_error_t *err)
{
  struct format_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, format_options, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  if (r != 0)
    return r;
  *pos = p.pos;
  *json = format && strcmp (format, "json") == 0;
  if (coi_expect_args (&p, n, usage, err) < 0 || coi_check_format (format, "text|json", err) < 0)
    return -1;
  return 0;
}

COI_HANDLER (cmd_container_list)
{
  _cleanup_free_ char **pos = NULL;
  bool json;
  int r = parse_format (ctx, argc, argv, 0, "coi container list [--format text|json]", &pos,
                        &json, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct incus_client *c;
  _cleanup_json_ json_t *list = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0 || incus_instance_list (c, 2, NULL, &list, err) < 0)
    return -1;
  return json ? coi_print_json (list, err) : print_list_text (list, err);
}

static void print_info_text (json_t *inst)
{
  json_t *state = json_object_get (inst, "state");
  json_t *cfg = json_object_get (inst, "config");
  const char *desc = json_string_value (json_object_get (cfg, "image.description"));
  const char *ip = incus_state_ipv4 (state, "eth0");
  char created[20], used[20];
  coi_short_time (json_string_value (json_object_get (inst, "created_at")), created);
  coi_short_time (json_string_value (json_object_get (inst, "last_used_at")), used);
  const char *status = json_string_value (json_object_get (inst, "status"));
  printf ("Name: %s\n", json_string_value (json_object_get (inst, "name")));
  printf ("Status: %s\n", status ? status : "");
  printf ("Type: %s\n", type_of (inst));
  printf ("Architecture: %s\n", json_string_value (json_object_get (inst, "architecture")) ?: "");
  printf ("Created: %s\n", created);
  printf ("Last Used: %s\n", used);
  if (desc)
    printf ("Image: %s\n", desc);
  if (ip)
    printf ("IPv4: %s\n", ip);
  json_t *pid = json_object_get (state, "pid");
  if (json_integer_value (pid) > 0)
    printf ("PID: %lld\n", (long long) json_integer_value (pid));
  printf ("Snapshots: %zu\n", json_array_size (json_object_get (inst, "snapshots")));
}

COI_HANDLER (cmd_container_info)
{
  _cleanup_free_ char **pos = NULL;
  bool json;
  int r = parse_format (ctx, argc, argv, 1, "coi container info <name> [--format text|json]",
                        &pos, &json, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  _cleanup_free_ char *e = incus_escape (pos[0]);
  _cleanup_free_ char *path = NULL;
  if (e == NULL || asprintf (&path, "/1.0/instances/%s?recursion=1", e) < 0)
    return coi_error_errno (err, ENOMEM, "get container info");
  /* recursion=1 adds state and snapshots to the instance in one request. */
  _cleanup_json_ json_t *inst = NULL;
  if (incus_call (c, "GET", path, NULL, &inst, err) < 0)
    return coi_error_prefix (err, "get container info for %s", pos[0]);
  if (json)
    return coi_print_json (inst, err);
  print_info_text (inst);
  return 0;
}
