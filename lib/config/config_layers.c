/* The load order: built-in defaults, /etc/coi/config.toml,
 * ~/.config/coi/config.toml, ~/.coi/config.toml, the project config
 * (WORKSPACE/.coi/config.toml, or the older WORKSPACE/.coi.toml), $COI_CONFIG, the
 * selected profile, the environment, then command-line flags. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_private.h"
#include "util/buf.h"
#include "util/cleanup.h"

static int oom (coi_error_t *err)
{
  return coi_error_errno (err, ENOMEM, "load config");
}

static int load_defaults (struct coi_config *c, coi_error_t *err)
{
  struct cfg_layer l = { .cfg = c, .label = "default", .fixed_origin = "default", .trusted = true, .err = err };
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      if (k->def == NULL)
        continue;
      _cleanup_toml_ struct toml_value *v = config_parse_literal (k->def);
      if (v == NULL)
        return coi_error_make (err, 0, "built-in default of %s does not parse: %s", k->key, k->def);
      if (config_set (&l, k, v, k->key) < 0)
        return -1;
    }
  return 0;
}

/* Returns 0 when the file does not exist, 1 when it was applied.  A
 * project file is trusted when the bytes read are the ones `coi trust`
 * recorded: they are hashed and parsed from one read. */
static int apply_file (struct coi_config *c, const char *path, bool project, bool trust_all, coi_error_t *err)
{
  _cleanup_free_ char *shown = coi_display_path (c->home, path);
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (shown == NULL)
    return oom (err);
  if (config_file_read (path, shown, project, &data, &len, err) < 0)
    return -1;
  if (data == NULL)
    return 0;
  bool trusted = !project || trust_all;
  if (!trusted)
    {
      char hex[65];
      config_sha256 (data, len, hex);
      int r = config_trust_lookup (c->home, path, hex, err);
      if (r < 0)
        return -1;
      trusted = r == 1;
    }
  _cleanup_toml_ struct toml_value *doc = NULL;
  if (toml_parse (data, len, shown, &doc, err) < 0)
    return -1;
  struct cfg_layer l = { .cfg = c, .label = shown, .trusted = trusted, .err = err };
  return config_apply_doc (&l, doc) < 0 ? -1 : 1;
}

static int apply_text (struct coi_config *c, const struct coi_config_key *k, const char *text, const char *origin,
                       coi_error_t *err)
{
  _cleanup_toml_ struct toml_value *v = config_value_from_text (k, text);
  if (v == NULL)
    return oom (err);
  struct cfg_layer l = { .cfg = c, .label = origin, .fixed_origin = origin, .trusted = true, .err = err };
  return config_set (&l, k, v, k->key);
}

static const struct
{
  const char *env, *key;
} legacy_env[] = {
  { "CLAUDE_ON_INCUS_IMAGE", "container.image" },
  { "CLAUDE_ON_INCUS_SESSIONS_DIR", "paths.sessions_dir" },
  { "CLAUDE_ON_INCUS_STORAGE_DIR", "paths.storage_dir" },
  { "CLAUDE_ON_INCUS_PERSISTENT", "container.persistent" },
};

static int apply_env (struct coi_config *c, const char *const *vars, coi_error_t *err)
{
  for (size_t i = 0; i < sizeof legacy_env / sizeof legacy_env[0]; i++)
    {
      const char *val = coi_env_get (vars, legacy_env[i].env);
      if (val == NULL)
        continue;
      const struct coi_config_key *k = coi_config_key_find (legacy_env[i].key);
      /* COI read this one as "true" or "1", anything else false. */
      if (k->type == CFG_BOOL)
        val = !strcmp (val, "true") || !strcmp (val, "1") ? "true" : "false";
      char origin[96];
      snprintf (origin, sizeof origin, "env %s", legacy_env[i].env);
      if (apply_text (c, k, val, origin, err) < 0)
        return -1;
    }
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      char name[128], origin[160];
      coi_config_env_name (k, name, sizeof name);
      const char *val = coi_env_get (vars, name);
      if (val == NULL)
        continue;
      snprintf (origin, sizeof origin, "env %s", name);
      if (apply_text (c, k, val, origin, err) < 0)
        return -1;
    }
  return 0;
}

/* Flags that map to keys, so `config show` can name the flag. */
static const struct
{
  const char *key, *flag;
} flag_names[] = {
  { "network.mode", "--network" },
  { "container.image", "--image" },
  { "container.persistent", "--persistent" },
  { "defaults.profile", "--profile" },
};

static int apply_flags (struct coi_config *c, const char *const *flags, coi_error_t *err)
{
  for (size_t i = 0; flags && flags[i]; i++)
    {
      const char *eq = strchr (flags[i], '=');
      _cleanup_free_ char *key = eq ? strndup (flags[i], (size_t) (eq - flags[i])) : strdup (flags[i]);
      if (key == NULL)
        return oom (err);
      const struct coi_config_key *k = coi_config_key_find (key);
      if (k == NULL || eq == NULL)
        {
          const char *s = k ? NULL : coi_config_key_suggest (key);
          if (k)
            coi_error_usage (err, "flag %s: expected key=value", flags[i]);
          else
            coi_error_usage (err, "unknown configuration key \"%s\"", key);
          if (s)
            coi_error_set_hint (err, "did you mean \"%s\"?", s);
          return -1;
        }
      char origin[160];
      snprintf (origin, sizeof origin, "flag %s", k->key);
      for (size_t j = 0; j < sizeof flag_names / sizeof flag_names[0]; j++)
        if (!strcmp (flag_names[j].key, k->key))
          snprintf (origin, sizeof origin, "flag %s", flag_names[j].flag);
      if (apply_text (c, k, eq + 1, origin, err) < 0)
        return -1;
    }
  return 0;
}

static const char *flag_value (const char *const *flags, const char *key)
{
  const char *found = NULL;
  size_t n = strlen (key);
  for (size_t i = 0; flags && flags[i]; i++)
    if (!strncmp (flags[i], key, n) && flags[i][n] == '=')
      found = flags[i] + n + 1;
  return found;
}

static const char *select_profile (const struct coi_config *c, const struct coi_config_load_opts *o,
                                   const char *const *vars)
{
  if (o->profile && *o->profile)
    return o->profile;
  const char *f = flag_value (o->flag_overrides, "defaults.profile");
  if (f && *f)
    return f;
  const char *e = coi_env_get (vars, "COI_DEFAULTS_PROFILE");
  if (e && *e)
    return e;
  const struct cfg_entry *d = &c->e[config_key_index (coi_config_key_find ("defaults.profile"))];
  return d->v && d->v->u.s.len ? d->v->u.s.ptr : NULL;
}

static char **strv_copy (const char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  char **out = calloc (n + 1, sizeof *out);
  for (size_t i = 0; out && i < n; i++)
    if ((out[i] = strdup (v[i])) == NULL)
      cleanup_strvp (&out);
  return out;
}

static int untrusted_summary (struct coi_config *c)
{
  if (c->untrusted_ignored.n == 0)
    return 0;
  _cleanup_buf_ struct buf b = { 0 };
  buf_printf (&b, "ignored from untrusted project config (");
  for (size_t i = 0; i < c->untrusted_files.n; i++)
    buf_printf (&b, "%s%s", i ? ", " : "", c->untrusted_files.v[i]);
  buf_printf (&b, "): ");
  for (size_t i = 0; i < c->untrusted_ignored.n; i++)
    buf_printf (&b, "%s%s", i ? ", " : "", c->untrusted_ignored.v[i]);
  if (buf_printf (&b, "; run 'coi trust' in %s to trust it", c->workspace) < 0)
    return -1;
  return strv_add (&c->warnings, b.data);
}

/* WORKSPACE/.coi/config.toml, or the older WORKSPACE/.coi.toml: the files
 * `coi trust` records. */
static int project_files (struct coi_config *c, bool trust_all, coi_error_t *err)
{
  _cleanup_free_ char *modern = NULL, *legacy = NULL;
  if (asprintf (&modern, "%s/.coi/config.toml", c->workspace) < 0
      || asprintf (&legacy, "%s/.coi.toml", c->workspace) < 0)
    return oom (err);
  int r = apply_file (c, modern, true, trust_all, err);
  if (r == 0)
    r = apply_file (c, legacy, true, trust_all, err);
  return r < 0 ? -1 : 0;
}

static int load_all (struct coi_config *c, const struct coi_config_load_opts *o, const struct cfg_env *env,
                     coi_error_t *err)
{
  const char *ta = coi_env_get (env->vars, "COI_TRUST_ALL");
  bool trust_all = ta && (!strcmp (ta, "1") || !strcmp (ta, "true"));
  _cleanup_free_ char *xdg = NULL, *dot = NULL;
  if (asprintf (&xdg, "%s/.config/coi/config.toml", c->home) < 0 || asprintf (&dot, "%s/.coi/config.toml", c->home) < 0)
    return oom (err);
  if (config_profiles_add_builtins (c, err) < 0 || load_defaults (c, err) < 0)
    return -1;
  if ((env->system_config && apply_file (c, env->system_config, false, true, err) < 0)
      || apply_file (c, xdg, false, true, err) < 0 || apply_file (c, dot, false, true, err) < 0
      || project_files (c, trust_all, err) < 0)
    return -1;
  const char *explicit = coi_env_get (env->vars, "COI_CONFIG");
  if (explicit && *explicit)
    {
      int r = apply_file (c, explicit, false, true, err);
      if (r < 0)
        return -1;
      if (r == 0)
        return coi_error_make (err, ENOENT, "COI_CONFIG names %s, which does not exist", explicit);
    }
  if (config_profiles_scan_dirs (c, trust_all, err) < 0)
    return -1;
  const char *profile = select_profile (c, o, env->vars);
  if (profile)
    {
      _cleanup_free_ char *name = strdup (profile);
      if (name == NULL || config_profile_apply (c, name, err) < 0)
        return name ? -1 : oom (err);
    }
  if (apply_env (c, env->vars, err) < 0 || apply_flags (c, o->flag_overrides, err) < 0)
    return -1;
  return untrusted_summary (c) < 0 ? oom (err) : 0;
}

int config_load_env (const struct coi_config_load_opts *o, const struct cfg_env *env, struct coi_config **out,
                     coi_error_t *err)
{
  static const struct coi_config_load_opts none = { 0 };
  if (o == NULL)
    o = &none;
  *out = NULL;
  struct coi_config *c = calloc (1, sizeof *c);
  if (c == NULL)
    return oom (err);
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    c->nkeys++;
  c->e = calloc (c->nkeys, sizeof *c->e);
  c->home = strdup (env->home);
  c->cwd = strdup (env->cwd);
  c->npm = env->npm ? strdup (env->npm) : NULL;
  c->env = strv_copy (env->vars);
  const char *ws = o->workspace ? o->workspace : env->cwd;
  c->workspace = realpath (ws, NULL);
  if (c->workspace == NULL && errno != ENOMEM)
    c->workspace = strdup (ws);
  if (c->e == NULL || c->home == NULL || c->cwd == NULL || c->workspace == NULL || (env->npm && c->npm == NULL)
      || c->env == NULL)
    {
      coi_config_free (c);
      return oom (err);
    }
  if (load_all (c, o, env, err) < 0)
    {
      coi_config_free (c);
      return -1;
    }
  *out = c;
  return 0;
}

int coi_config_load (const struct coi_config_load_opts *o, struct coi_config **out, coi_error_t *err)
{
  char cwd[PATH_MAX];
  if (getcwd (cwd, sizeof cwd) == NULL)
    return coi_error_errno (err, errno, "load config: current directory");
  const char *const *vars = o ? o->env : NULL;
  struct cfg_env env = { .home = coi_home_dir (vars), .system_config = "/etc/coi/config.toml", .cwd = cwd,
                         .npm = "npm", .vars = vars };
  if (config_load_env (o, &env, out, err) < 0)
    return -1;
  if (o == NULL || !o->quiet)
    for (size_t i = 0; i < (*out)->warnings.n; i++)
      fprintf (stderr, "coi: warning: %s\n", (*out)->warnings.v[i]);
  return 0;
}
