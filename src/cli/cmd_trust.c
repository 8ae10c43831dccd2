/* coi trust [--list] / coi untrust: record or forget the sha256 of this
 * project's config files in ~/.coi/trust.toml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_config.h"
#include "util/cleanup.h"

struct trust_opts
{
  bool list;
};

static const struct coi_opt trust_options[] = {
  { "list", 0, OPT_BOOL, OPT_AT (struct trust_opts, list), "List trusted project files", NULL, NULL },
  OPT_END,
};

static int list_trusted (const char *home, coi_error_t *err)
{
  struct coi_trust_entry *v = NULL;
  size_t n = 0;
  if (coi_trust_list (home, &v, &n, err) < 0)
    return -1;
  if (n == 0)
    printf ("No trusted projects.\n");
  for (size_t i = 0; i < n; i++)
    {
      char hex[65];
      _cleanup_error_ coi_error_t e = NULL;
      const char *state = coi_sha256_file (v[i].path, hex, &e) < 0 ? "missing"
                          : strcmp (hex, v[i].sha256) ? "changed (untrusted)"
                                                      : "trusted";
      printf ("%s\n  sha256 %.16s…  since %s  %s\n", v[i].path, v[i].sha256, v[i].trusted_at, state);
    }
  coi_trust_entries_free (v, n);
  return 0;
}

COI_HANDLER (cmd_trust)
{
  struct trust_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, trust_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos > 0)
    return coi_error_usage (err, "trust takes no arguments");
  const char *home = coi_home_dir (ctx->env);
  if (o.list)
    return list_trusted (home, err);
  _cleanup_free_ char *ws = coi_ctx_workspace (ctx, err);
  if (ws == NULL)
    return -1;
  _cleanup_strv_ char **files = NULL;
  if (coi_trust_project_files (ws, &files, err) < 0)
    return -1;
  if (files[0] == NULL)
    {
      coi_error_make (err, 0, "nothing to trust: %s has no .coi/config.toml or .coi/profiles/*/config.toml", ws);
      coi_error_set_hint (err, "trust applies to a project's own config files");
      return -1;
    }
  for (char **f = files; *f; f++)
    {
      char hex[65];
      if (coi_trust_add (home, *f, hex, err) < 0)
        return -1;
      printf ("Trusted %s (sha256 %.16s…)\n", *f, hex);
    }
  return 0;
}

COI_HANDLER (cmd_untrust)
{
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, NULL, NULL, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos > 0)
    return coi_error_usage (err, "untrust takes no arguments");
  const char *home = coi_home_dir (ctx->env);
  _cleanup_free_ char *ws = coi_ctx_workspace (ctx, err);
  if (ws == NULL)
    return -1;
  struct coi_trust_entry *v = NULL;
  size_t n = 0, removed = 0;
  if (coi_trust_list (home, &v, &n, err) < 0)
    return -1;
  _cleanup_free_ char *coi_dir = NULL, *legacy = NULL;
  if (asprintf (&coi_dir, "%s/.coi/", ws) < 0 || asprintf (&legacy, "%s/.coi.toml", ws) < 0)
    {
      coi_trust_entries_free (v, n);
      return coi_error_make (err, 0, "untrust: out of memory");
    }
  int rc = 0;
  for (size_t i = 0; i < n && rc == 0; i++)
    if (!strncmp (v[i].path, coi_dir, strlen (coi_dir)) || !strcmp (v[i].path, legacy))
      {
        if (coi_trust_remove (home, v[i].path, err) < 0)
          rc = -1;
        else
          {
            printf ("Untrusted %s\n", v[i].path);
            removed++;
          }
      }
  coi_trust_entries_free (v, n);
  if (rc == 0 && removed == 0)
    printf ("%s was not trusted.\n", ws);
  return rc;
}
