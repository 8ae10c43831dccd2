/* Profiles: named overlays of the configuration.  They come from the
 * built-ins, [profiles.NAME] tables in config files, ~/.coi/profiles/NAME/
 * config.toml and WORKSPACE/.coi/profiles/NAME/config.toml; a profile may
 * inherit from another (at most 10 levels, no cycles). */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_private.h"
#include "util/buf.h"
#include "util/cleanup.h"

static const char hardened_profile[] = "description = \"Strict network, no Docker, reduced privileges\"\n"
                                       "[network]\n"
                                       "mode = \"restricted\"\n"
                                       "block_private_networks = true\n"
                                       "block_metadata_endpoint = true\n"
                                       "allow_local_network_access = false\n"
                                       "[container]\n"
                                       "docker = false\n"
                                       "[security]\n"
                                       "reduce_kernel_surface = true\n"
                                       "writable_agent_config = false\n"
                                       "disable_protection = false\n"
                                       "[git]\n"
                                       "writable_hooks = false\n"
                                       "[ssh]\n"
                                       "forward_agent = false\n"
                                       "[monitoring]\n"
                                       "enabled = true\n";

const char *coi_profile_kind_name (enum coi_profile_kind k)
{
  switch (k)
    {
    case COI_PROFILE_BUILTIN: return "built-in";
    case COI_PROFILE_CONFIG: return "config";
    case COI_PROFILE_USER: return "user";
    case COI_PROFILE_PROJECT: return "project";
    }
  return "?";
}

static void profile_clear (struct cfg_profile *p)
{
  free (p->name);
  free (p->source);
  free (p->label);
  free (p->path);
  free (p->error);
  toml_free (p->table);
}

void config_profiles_free (struct coi_config *c)
{
  for (size_t i = 0; i < c->nprofiles; i++)
    profile_clear (&c->profiles[i]);
  free (c->profiles);
  c->profiles = NULL;
  c->nprofiles = 0;
}

static char *dup_or_null (const char *s, bool *ok)
{
  char *d = s ? strdup (s) : NULL;
  if (s && d == NULL)
    *ok = false;
  return d;
}

int config_profiles_register (struct coi_config *c, const struct cfg_profile *p, coi_error_t *err)
{
  struct cfg_profile *v = realloc (c->profiles, (c->nprofiles + 1) * sizeof *v);
  if (v == NULL)
    return coi_error_errno (err, ENOMEM, "load profiles");
  c->profiles = v;
  bool ok = true;
  struct cfg_profile n = {
    .name = dup_or_null (p->name, &ok), .kind = p->kind, .source = dup_or_null (p->source, &ok),
    .label = dup_or_null (p->label, &ok), .path = dup_or_null (p->path, &ok),
    .error = dup_or_null (p->error, &ok), .trusted = p->trusted,
  };
  if (p->table && (n.table = toml_copy (p->table)) == NULL)
    ok = false;
  if (!ok)
    {
      profile_clear (&n);
      return coi_error_errno (err, ENOMEM, "load profiles");
    }
  c->profiles[c->nprofiles++] = n;
  return 0;
}

int config_profiles_add_builtins (struct coi_config *c, coi_error_t *err)
{
  _cleanup_toml_ struct toml_value *empty = toml_new (TOML_TABLE);
  _cleanup_toml_ struct toml_value *hardened = NULL;
  if (empty == NULL)
    return coi_error_errno (err, ENOMEM, "load profiles");
  if (toml_parse (hardened_profile, sizeof hardened_profile - 1, "profile hardened", &hardened, err) < 0)
    return -1;
  struct cfg_profile d = { .name = "default", .source = "built-in", .label = "profile default", .table = empty,
                           .trusted = true };
  struct cfg_profile h = { .name = "hardened", .source = "built-in", .label = "profile hardened",
                           .table = hardened, .trusted = true };
  return config_profiles_register (c, &d, err) < 0 || config_profiles_register (c, &h, err) < 0 ? -1 : 0;
}

char *coi_profile_dir (const struct coi_config *c, bool project)
{
  char *p = NULL;
  if (asprintf (&p, "%s/.coi/profiles", project ? c->workspace : c->home) < 0)
    return NULL;
  return p;
}

bool coi_profile_name_valid (const char *s)
{
  if (*s == '\0' || *s == '.' || strlen (s) > 64)
    return false;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-'
          || *s == '_' || *s == '.'))
      return false;
  return true;
}

static int scan_dir (struct coi_config *c, bool project, bool trust_all, coi_error_t *err)
{
  _cleanup_free_ char *dir = coi_profile_dir (c, project);
  if (dir == NULL)
    return coi_error_errno (err, ENOMEM, "load profiles");
  _cleanup_closedir_ DIR *d = opendir (dir);
  if (d == NULL)
    return 0;
  for (struct dirent *de; (de = readdir (d)) != NULL;)
    {
      if (!coi_profile_name_valid (de->d_name))
        continue;
      _cleanup_free_ char *path = NULL;
      if (asprintf (&path, "%s/%s/config.toml", dir, de->d_name) < 0)
        return coi_error_errno (err, ENOMEM, "load profiles");
      _cleanup_free_ char *shown = coi_display_path (c->home, path), *data = NULL;
      _cleanup_toml_ struct toml_value *t = NULL;
      _cleanup_error_ coi_error_t perr = NULL;
      size_t len = 0;
      if (shown == NULL)
        return coi_error_errno (err, ENOMEM, "load profiles");
      /* Read once: the trust check hashes what is parsed. */
      if (config_file_read (path, shown, project, &data, &len, &perr) == 0 && data == NULL)
        continue;
      if (data)
        toml_parse (data, len, shown, &t, &perr);
      bool trusted = !project || trust_all;
      if (!trusted && data)
        {
          char hex[65];
          config_sha256 (data, len, hex);
          int r = config_trust_lookup (c->home, path, hex, err);
          if (r < 0)
            return -1;
          trusted = r == 1;
        }
      struct cfg_profile p = { .name = de->d_name, .kind = project ? COI_PROFILE_PROJECT : COI_PROFILE_USER,
                               .source = shown, .label = shown, .path = path, .table = t,
                               .error = perr ? perr->msg : NULL, .trusted = trusted };
      if (config_profiles_register (c, &p, err) < 0)
        return -1;
    }
  return 0;
}

int config_profiles_scan_dirs (struct coi_config *c, bool trust_all, coi_error_t *err)
{
  if (scan_dir (c, false, trust_all, err) < 0)
    return -1;
  return scan_dir (c, true, trust_all, err);
}

static int cmp_name (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static char *available (const struct coi_config *c)
{
  struct strv names = { 0 };
  struct buf b = { 0 };
  for (size_t i = 0; i < c->nprofiles; i++)
    if (strv_add_unique (&names, c->profiles[i].name) < 0)
      break;
  if (names.n)
    qsort (names.v, names.n, sizeof (char *), cmp_name);
  for (size_t i = 0; i < names.n; i++)
    if (buf_printf (&b, "%s%s", i ? ", " : "", names.v[i]) < 0)
      break;
  strv_clear (&names);
  return buf_steal (&b);
}

/* The definition that wins: a profile directory over a [profiles.NAME]
 * table (the last one read) over a built-in. */
const struct cfg_profile *config_profile_find (const struct coi_config *c, const char *name, coi_error_t *err)
{
  const struct cfg_profile *best = NULL, *user = NULL, *project = NULL;
  for (size_t i = 0; i < c->nprofiles; i++)
    {
      const struct cfg_profile *p = &c->profiles[i];
      if (strcmp (p->name, name) != 0)
        continue;
      if (p->kind == COI_PROFILE_USER)
        user = p;
      if (p->kind == COI_PROFILE_PROJECT)
        project = p;
      if (best == NULL || p->kind >= best->kind)
        best = p;
    }
  if (user && project)
    {
      coi_error_make (err, 0, "profile \"%s\" is defined in both %s and %s", name, user->source, project->source);
      coi_error_set_hint (err, "remove or rename one of them");
      return NULL;
    }
  if (best == NULL)
    {
      _cleanup_free_ char *list = available (c);
      coi_error_make (err, 0, "unknown profile \"%s\"", name);
      coi_error_set_hint (err, "available profiles: %s", list ? list : "");
      return NULL;
    }
  if (best->error)
    {
      coi_error_make (err, 0, "%s", best->error);
      return NULL;
    }
  return best;
}

static const char *inherits_of (const struct cfg_profile *p)
{
  const struct toml_value *v = toml_table_get (p->table, "inherits");
  return v && v->type == TOML_STRING ? v->u.s.ptr : NULL;
}

/* Fills chain[0..n) child first; returns n or -1. */
static int resolve (const struct coi_config *c, const char *name, const struct cfg_profile **chain,
                    coi_error_t *err)
{
  int n = 0;
  const struct cfg_profile *p = config_profile_find (c, name, err);
  while (p)
    {
      chain[n++] = p;
      const char *parent = inherits_of (p);
      if (parent == NULL)
        return n;
      for (int i = 0; i < n; i++)
        if (!strcmp (chain[i]->name, parent))
          {
            struct buf b = { 0 };
            for (int j = 0; j < n; j++)
              buf_printf (&b, "%s -> ", chain[j]->name);
            buf_printf (&b, "%s", parent);
            coi_error_make (err, 0, "profile \"%s\": inheritance cycle %s", name, b.data ? b.data : parent);
            buf_free (&b);
            return -1;
          }
      if (n >= COI_PROFILE_MAX_DEPTH)
        return coi_error_make (err, 0, "profile \"%s\": inheritance deeper than %d levels", name,
                               COI_PROFILE_MAX_DEPTH);
      _cleanup_error_ coi_error_t perr = NULL;
      p = config_profile_find (c, parent, &perr);
      if (p == NULL)
        {
          if (strncmp (perr->msg, "unknown profile", 15) == 0)
            return coi_error_make (err, 0, "profile \"%s\" inherits unknown profile \"%s\"", chain[n - 1]->name,
                                   parent);
          coi_error_make (err, 0, "%s", perr->msg);
          return -1;
        }
    }
  return -1;
}

int coi_config_profile_chain (const struct coi_config *c, const char *name, char ***out, coi_error_t *err)
{
  const struct cfg_profile *chain[COI_PROFILE_MAX_DEPTH + 1];
  int n = resolve (c, name, chain, err);
  if (n < 0)
    return -1;
  char **v = calloc ((size_t) n + 1, sizeof *v);
  if (v == NULL)
    return coi_error_errno (err, ENOMEM, "profiles");
  for (int i = 0; i < n; i++)
    if ((v[i] = strdup (chain[n - 1 - i]->name)) == NULL)
      {
        cleanup_strvp (&v);
        return coi_error_errno (err, ENOMEM, "profiles");
      }
  *out = v;
  return 0;
}

int config_profile_apply (struct coi_config *c, const char *name, coi_error_t *err)
{
  const struct cfg_profile *chain[COI_PROFILE_MAX_DEPTH + 1];
  int n = resolve (c, name, chain, err);
  if (n < 0)
    return -1;
  for (int i = n - 1; i >= 0; i--)
    {
      const struct cfg_profile *p = chain[i];
      _cleanup_free_ char *fixed = NULL;
      if (p->kind == COI_PROFILE_BUILTIN && asprintf (&fixed, "profile %s", p->name) < 0)
        return coi_error_errno (err, ENOMEM, "profiles");
      struct cfg_layer l = { .cfg = c, .label = p->label, .fixed_origin = fixed, .trusted = p->trusted,
                             .profile = true, .err = err };
      if (config_apply_doc (&l, p->table) < 0)
        return -1;
    }
  free (c->profile);
  c->profile = strdup (name);
  return c->profile ? 0 : coi_error_errno (err, ENOMEM, "profiles");
}

static int cmp_info (const void *a, const void *b)
{
  return strcmp (((const struct coi_profile_info *) a)->name, ((const struct coi_profile_info *) b)->name);
}

void coi_profile_infos_free (struct coi_profile_info *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].name);
      free (v[i].source);
      free (v[i].path);
      free (v[i].inherits);
    }
  free (v);
}

int coi_config_profiles (const struct coi_config *c, struct coi_profile_info **out, size_t *n, coi_error_t *err)
{
  struct coi_profile_info *v = calloc (c->nprofiles + 1, sizeof *v);
  size_t k = 0;
  if (v == NULL)
    return coi_error_errno (err, ENOMEM, "profiles");
  for (size_t i = 0; i < c->nprofiles; i++)
    {
      bool seen = false;
      for (size_t j = 0; j < k && !seen; j++)
        seen = !strcmp (v[j].name, c->profiles[i].name);
      if (seen)
        continue;
      const struct cfg_profile *p = config_profile_find (c, c->profiles[i].name, err);
      if (p == NULL)
        {
          coi_profile_infos_free (v, k);
          return -1;
        }
      bool ok = true;
      const char *inh = inherits_of (p);
      v[k] = (struct coi_profile_info) { dup_or_null (p->name, &ok), p->kind, dup_or_null (p->source, &ok),
                                         dup_or_null (p->path, &ok), dup_or_null (inh, &ok), p->table };
      k++;
      if (!ok)
        {
          coi_profile_infos_free (v, k);
          return coi_error_errno (err, ENOMEM, "profiles");
        }
    }
  qsort (v, k, sizeof *v, cmp_info);
  *out = v;
  *n = k;
  return 0;
}
