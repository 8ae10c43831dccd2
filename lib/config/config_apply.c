/* Applying one source (file, profile, environment, flags) on top of the
 * configuration: walk its keys, check each value, apply the trust rules and
 * merge.  A key the source does not mention is left as it was. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_private.h"
#include "util/cleanup.h"

static int err_or_oom (coi_error_t *err)
{
  return err && *err ? -1 : coi_error_errno (err, ENOMEM, "load config");
}

size_t config_key_index (const struct coi_config_key *k)
{
  return (size_t) (k - coi_config_keys);
}

int config_issue (struct cfg_layer *l, bool fatal, const char *path, const struct toml_value *at, const char *fmt,
                  ...)
{
  va_list ap;
  va_start (ap, fmt);
  _cleanup_free_ char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg == NULL)
    return coi_error_errno (l->err, ENOMEM, "load config");
  _cleanup_free_ char *where = NULL;
  int r;
  if (l->fixed_origin)
    r = asprintf (&where, "%s", l->fixed_origin);
  else if (at && at->origin.line > 0)
    r = asprintf (&where, "%s:%d", l->label, at->origin.line);
  else
    r = asprintf (&where, "%s", l->label);
  if (r < 0)
    return coi_error_errno (l->err, ENOMEM, "load config");
  if (l->validate)
    {
      struct coi_validate_issue *v = realloc (l->issues, (l->nissues + 1) * sizeof *v);
      if (v == NULL)
        return coi_error_errno (l->err, ENOMEM, "validate");
      l->issues = v;
      v[l->nissues].path = strdup (path ? path : "");
      if (asprintf (&v[l->nissues].message, "%s: %s", where, msg) < 0)
        v[l->nissues].message = NULL;
      l->nissues++;
      return 1;
    }
  if (fatal)
    return coi_error_make (l->err, 0, "%s: %s", where, msg);
  if (l->cfg)
    {
      _cleanup_free_ char *line = NULL;
      if (asprintf (&line, "%s: %s", where, msg) < 0 || strv_add (&l->cfg->warnings, line) < 0)
        return coi_error_errno (l->err, ENOMEM, "load config");
    }
  return 1;
}

char *config_origin_of (const struct cfg_layer *l, const struct toml_value *v)
{
  char *o = NULL;
  if (l->fixed_origin)
    return strdup (l->fixed_origin);
  if (v->origin.line > 0)
    return asprintf (&o, "%s:%d", l->label, v->origin.line) < 0 ? NULL : o;
  return strdup (l->label);
}

static int merge (struct cfg_entry *e, const struct coi_config_key *k, struct toml_value *nv)
{
  if (e->v == NULL || !((k->flags & CFG_K_UNION) || k->type == CFG_MAP))
    {
      toml_free (e->v);
      e->v = nv;
      return 0;
    }
  /* Its items move into the entry; what is left is freed here. */
  _cleanup_toml_ struct toml_value *rest = nv;
  if (k->type == CFG_MAP)
    {
      for (size_t i = 0; i < rest->u.tab.n; i++)
        {
          struct toml_kv *kv = &rest->u.tab.items[i];
          if (toml_table_set (e->v, kv->key, kv->keylen, steal_pointer (&kv->value)) < 0)
            return -1;
        }
      return 0;
    }
  for (size_t i = 0; i < rest->u.arr.n; i++)
    {
      bool dup = false;
      for (size_t j = 0; j < e->v->u.arr.n && !dup; j++)
        dup = toml_equal (e->v->u.arr.items[j], rest->u.arr.items[i]);
      if (!dup && toml_array_push (e->v, steal_pointer (&rest->u.arr.items[i])) < 0)
        return -1;
    }
  return 0;
}

int config_set (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *v, const char *path)
{
  _cleanup_toml_ struct toml_value *nv = NULL;
  int r = config_check_value (l, k, v, path, &nv);
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct coi_config *c = l->cfg;
  if (c == NULL)
    return 0;
  struct cfg_entry *e = &c->e[config_key_index (k)];
  if (!l->trusted)
    {
      r = config_untrusted_gate (l, k, e->v, nv);
      if (r != 0)
        return r < 0 ? -1 : 0;
    }
  _cleanup_free_ char *origin = config_origin_of (l, v);
  if (origin == NULL || merge (e, k, steal_pointer (&nv)) < 0)
    return coi_error_errno (l->err, ENOMEM, "load config");
  free (e->origin);
  e->origin = steal_pointer (&origin);
  free (e->strv); /* the cache borrows from the old value */
  e->strv = NULL;
  return 0;
}

static bool is_section (const char *path)
{
  size_t n = strlen (path);
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    if (!strncmp (k->key, path, n) && k->key[n] == '.')
      return true;
  return !strcmp (path, "defaults");
}

static int unknown (struct cfg_layer *l, const char *path, const struct toml_value *v)
{
  const char *s = coi_config_key_suggest (path);
  if (s)
    return config_issue (l, false, path, v, "unknown key \"%s\" (did you mean \"%s\"?)", path, s);
  return config_issue (l, false, path, v, "unknown key \"%s\"", path);
}

static int register_profiles (struct cfg_layer *l, const struct toml_value *t)
{
  if (t->type != TOML_TABLE)
    return config_issue (l, true, "profiles", t, "profiles: expected a table, got %s", config_a_type (t->type));
  for (size_t i = 0; i < t->u.tab.n; i++)
    {
      const struct toml_kv *kv = &t->u.tab.items[i];
      _cleanup_free_ char *path = NULL, *source = NULL;
      if (asprintf (&path, "profiles.%s", kv->key) < 0)
        return coi_error_errno (l->err, ENOMEM, "load config");
      if (kv->value->type != TOML_TABLE)
        {
          int r = config_issue (l, true, path, kv->value, "%s: expected a table, got %s", path,
                                config_a_type (kv->value->type));
          if (r < 0)
            return r;
          continue;
        }
      if (l->cfg == NULL)
        continue;
      if (asprintf (&source, "%s:%d", l->label, kv->value->origin.line) < 0)
        return err_or_oom (l->err);
      struct cfg_profile p = { .name = kv->key, .kind = COI_PROFILE_CONFIG, .source = source,
                               .label = (char *) l->label, .table = kv->value, .trusted = l->trusted };
      if (config_profiles_register (l->cfg, &p, l->err) < 0)
        return err_or_oom (l->err);
    }
  return 0;
}

/* Profile files may use the short forms of older COI versions. */
static const char *profile_shorthand (const char *key, const struct toml_value *v)
{
  if (!strcmp (key, "image"))
    return "container.image";
  if (!strcmp (key, "persistent"))
    return "container.persistent";
  if (!strcmp (key, "environment"))
    return "defaults.environment";
  if (!strcmp (key, "mounts") && v->type == TOML_ARRAY)
    return "mounts.default";
  return NULL;
}

static int walk (struct cfg_layer *l, const struct toml_value *t, const char *prefix)
{
  for (size_t i = 0; i < t->u.tab.n; i++)
    {
      const struct toml_kv *kv = &t->u.tab.items[i];
      _cleanup_free_ char *path = NULL;
      if (asprintf (&path, "%s%s%s", prefix, *prefix ? "." : "", kv->key) < 0)
        return coi_error_errno (l->err, ENOMEM, "load config");
      int r = 0;
      bool odd = strlen (kv->key) != kv->keylen || strchr (kv->key, '.') || kv->keylen == 0;
      const char *alias = !*prefix && l->profile && !odd ? profile_shorthand (kv->key, kv->value) : NULL;
      const struct coi_config_key *k = odd ? NULL : coi_config_key_find (alias ? alias : path);
      if (!*prefix && l->profile && (!strcmp (path, "inherits") || !strcmp (path, "description")))
        {
          if (kv->value->type != TOML_STRING)
            r = config_issue (l, true, path, kv->value, "%s: expected a string, got %s", path,
                              config_a_type (kv->value->type));
        }
      else if (!*prefix && !l->profile && !strcmp (path, "profiles"))
        r = register_profiles (l, kv->value);
      else if (k)
        r = config_set (l, k, kv->value, path);
      else if (!odd && is_section (path))
        {
          if (kv->value->type == TOML_TABLE)
            r = walk (l, kv->value, path);
          else
            r = config_issue (l, true, path, kv->value, "%s: expected a table, got %s", path,
                              config_a_type (kv->value->type));
        }
      else
        r = unknown (l, path, kv->value);
      if (r < 0)
        return -1;
    }
  return 0;
}

int config_apply_doc (struct cfg_layer *l, const struct toml_value *doc)
{
  return walk (l, doc, "");
}
