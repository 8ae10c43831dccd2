/* coi profile list|info: the profiles visible from this workspace.
 * create/edit/delete live in cmd_profile_edit.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_config.h"
#include "cli/output.h"
#include "config/toml_json.h"
#include "util/cleanup.h"

COI_HANDLER (cmd_profile_create);
COI_HANDLER (cmd_profile_edit);
COI_HANDLER (cmd_profile_delete);

struct profile_view_opts
{
  char *format;
};

static const struct coi_opt profile_view_options[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct profile_view_opts, format), "Output format (text|json)", NULL, "FORMAT" },
  OPT_END,
};

/* Parses --format and loads the configuration; returns 1 after --help. */
static int view_start (struct coi_ctx *ctx, int argc, char **argv, int want_args, char **format,
                       struct coi_parsed *p, struct coi_config **cfg, coi_error_t *err)
{
  struct profile_view_opts o = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, profile_view_options, &o, false, p, err);
  *format = o.format;
  if (r != 0)
    return r;
  if (p->npos != want_args)
    return coi_error_usage (err, want_args ? "expected a profile name" : "profile list takes no arguments");
  if (coi_check_format (*format, "text|json", err) < 0)
    return -1;
  return coi_ctx_config (ctx, true, cfg, err);
}

static COI_HANDLER (cmd_profile_list)
{
  _cleanup_free_ char *format = NULL;
  struct coi_parsed p = { 0 };
  _cleanup_config_ struct coi_config *cfg = NULL;
  int r = view_start (ctx, argc, argv, 0, &format, &p, &cfg, err);
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct coi_profile_info *v = NULL;
  size_t n = 0;
  if (coi_config_profiles (cfg, &v, &n, err) < 0)
    return -1;
  const char *active = coi_config_profile_name (cfg);
  if (format && format[0] == 'j')
    {
      _cleanup_json_ json_t *a = json_array ();
      for (size_t i = 0; a && i < n; i++)
        json_array_append_new (a, json_pack ("{s:s, s:s, s:s, s:s?, s:b}", "name", v[i].name, "kind",
                                             coi_profile_kind_name (v[i].kind), "source", v[i].source, "inherits",
                                             v[i].inherits, "active", active && !strcmp (active, v[i].name)));
      coi_profile_infos_free (v, n);
      return coi_print_json (a, err) < 0 ? -1 : 0;
    }
  printf ("%-20s %-9s %-14s %s\n", "NAME", "KIND", "INHERITS", "SOURCE");
  for (size_t i = 0; i < n; i++)
    printf ("%-20s %-9s %-14s %s%s\n", v[i].name, coi_profile_kind_name (v[i].kind),
            v[i].inherits ? v[i].inherits : "-", v[i].source,
            active && !strcmp (active, v[i].name) ? "  (active)" : "");
  coi_profile_infos_free (v, n);
  return 0;
}

static COI_HANDLER (cmd_profile_info)
{
  _cleanup_free_ char *format = NULL;
  struct coi_parsed p = { 0 };
  _cleanup_config_ struct coi_config *cfg = NULL;
  int r = view_start (ctx, argc, argv, 1, &format, &p, &cfg, err);
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  const char *name = pos[0];
  struct coi_profile_info *v = NULL;
  size_t n = 0;
  _cleanup_strv_ char **chain = NULL;
  if (coi_config_profile_chain (cfg, name, &chain, err) < 0 || coi_config_profiles (cfg, &v, &n, err) < 0)
    return -1;
  const struct coi_profile_info *info = NULL;
  for (size_t i = 0; i < n && !info; i++)
    if (!strcmp (v[i].name, name))
      info = &v[i];
  int rc = 0;
  if (format && format[0] == 'j')
    {
      json_t *c = json_array ();
      for (char **s = chain; c && *s; s++)
        json_array_append_new (c, json_string (*s));
      _cleanup_json_ json_t *j = json_pack (
          "{s:s, s:s, s:s, s:s?, s:s?, s:o, s:o}", "name", info->name, "kind", coi_profile_kind_name (info->kind),
          "source", info->source, "path", info->path, "inherits", info->inherits, "chain", c, "settings",
          toml_to_json (info->table, false));
      rc = coi_print_json (j, err) < 0 ? -1 : 0;
    }
  else
    {
      printf ("Profile: %s\nKind:    %s\nSource:  %s\n", info->name, coi_profile_kind_name (info->kind), info->source);
      printf ("Chain:   ");
      for (char **s = chain; *s; s++)
        printf ("%s%s", *s, s[1] ? " -> " : "\n");
      _cleanup_free_ char *body = toml_emit (info->table);
      printf ("\n%s", body && *body ? body : "# (no settings: uses the global configuration)\n");
    }
  coi_profile_infos_free (v, n);
  return rc;
}

const struct coi_command coi_profile_commands[] = {
  { "list", "List profiles", "[--format text|json]", NULL, cmd_profile_list, NULL, false },
  { "info", "Show a profile's source, inheritance and settings", "<name> [--format text|json]", NULL,
    cmd_profile_info, NULL, false },
  { "show", "Alias of info", "<name> [--format text|json]", NULL, cmd_profile_info, NULL, true },
  { "create", "Create a profile", "<name> [--inherits PARENT] [--user|--project]", NULL, cmd_profile_create, NULL,
    false },
  { "edit", "Edit a profile in $EDITOR", "<name>", NULL, cmd_profile_edit, NULL, false },
  { "delete", "Delete a profile", "<name> [--force]", NULL, cmd_profile_delete, NULL, false },
  { 0 },
};
