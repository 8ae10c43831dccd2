/* The one gate every value from an untrusted project file passes
 * (docs/config-trust.md): refused keys are dropped, tighten-only keys are
 * taken only when stricter, mounts and workspace path lists keep only the
 * entries that stay inside the workspace.  Every refusal is recorded with
 * the file and line it came from, for the notice and `coi config show`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_private.h"
#include "util/cleanup.h"

#define R_REFUSED "not taken from an untrusted file"
#define R_LOOSER "tighten-only: looser than the current value"
#define R_OUTSIDE "outside the workspace"
#define R_PROTECTED "writable mount over a protected path"
#define R_SECRET "mount over a secret path"

/* `what` extends the key in the one-line notice ("mounts.default outside the workspace"). */
static int refuse (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *value,
                   const char *what, const char *reason)
{
  struct coi_config *c = l->cfg;
  _cleanup_free_ char *item = NULL, *source = config_origin_of (l, value);
  if (what && asprintf (&item, "%s %s", k->key, what) < 0)
    item = NULL;
  struct cfg_refusal *v = realloc (c->refusals, (c->nrefusals + 1) * sizeof *v);
  if (v == NULL || source == NULL || (what && item == NULL))
    return coi_error_errno (l->err, ENOMEM, "load config");
  c->refusals = v;
  struct cfg_refusal *r = &v[c->nrefusals];
  *r = (struct cfg_refusal) { .key = config_key_index (k), .source = steal_pointer (&source), .reason = reason,
                              .value = toml_copy (value) };
  c->nrefusals++;
  if (r->value == NULL || strv_add_unique (&c->untrusted_ignored, item ? item : k->key) < 0
      || strv_add_unique (&c->untrusted_files, l->label) < 0)
    return coi_error_errno (l->err, ENOMEM, "load config");
  return 1;
}

/* Directories a mount must not reach: each path of the lists, as written
 * (a link there can be replaced through the mount) and where it leads. */
struct zone
{
  struct strv paths;
};

static int zone_add (struct zone *z, const char *ws, const char *rel, bool glob)
{
  _cleanup_free_ char *lit = strdup (rel);
  if (lit == NULL)
    return -1;
  if (glob)
    {
      /* A glob's literal directory: "keys/x*" -> "keys", "*.pem" -> "". */
      size_t cut = strcspn (lit, "*?[");
      if (lit[cut])
        {
          while (cut > 0 && lit[cut - 1] != '/')
            cut--;
          lit[cut] = '\0';
        }
    }
  _cleanup_free_ char *clean = config_path_clean (ws, lit);
  _cleanup_free_ char *real = config_path_resolve (ws, lit);
  if (clean == NULL || strv_add_unique (&z->paths, clean) < 0)
    return -1;
  return real == NULL || strv_add_unique (&z->paths, real) == 0 ? 0 : -1;
}

static int zone_fill (struct zone *z, const struct coi_config *c, const char *ws, const char *key, bool glob)
{
  const struct toml_value *v = c->e[config_key_index (coi_config_key_find (key))].v;
  for (size_t i = 0; v && i < v->u.arr.n; i++)
    if (zone_add (z, ws, v->u.arr.items[i]->u.s.ptr, glob) < 0)
      return -1;
  return 0;
}

static bool zone_overlaps (const struct zone *z, const char *p)
{
  for (size_t i = 0; i < z->paths.n; i++)
    if (config_path_inside (z->paths.v[i], p) || config_path_inside (p, z->paths.v[i]))
      return true;
  return false;
}

static int filter_mounts (struct cfg_layer *l, const struct coi_config_key *k, struct toml_value *arr)
{
  const struct coi_config *c = l->cfg;
  struct zone protect = { 0 }, secret = { 0 };
  _cleanup_free_ char *ws = config_path_resolve ("/", c->workspace);
  int r = 0;
  if (ws == NULL || zone_fill (&protect, c, ws, "security.protected_paths", false) < 0
      || zone_fill (&protect, c, ws, "security.additional_protected_paths", false) < 0
      || zone_fill (&secret, c, ws, "security.secret_paths", true) < 0)
    r = coi_error_errno (l->err, ENOMEM, "load config");
  size_t out = 0, i = 0;
  for (; r >= 0 && i < arr->u.arr.n; i++)
    {
      struct toml_value *e = arr->u.arr.items[i];
      const struct toml_value *host = toml_table_get (e, "host"), *ro = toml_table_get (e, "readonly");
      bool readonly = ro && ro->type == TOML_BOOL && ro->u.b;
      _cleanup_free_ char *p = host && host->type == TOML_STRING ? config_path_resolve (ws, host->u.s.ptr) : NULL;
      if (p == NULL || !config_path_inside (ws, p))
        r = refuse (l, k, e, R_OUTSIDE, R_OUTSIDE);
      else if (!readonly && zone_overlaps (&protect, p))
        r = refuse (l, k, e, "over a protected path", R_PROTECTED);
      else if (zone_overlaps (&secret, p))
        r = refuse (l, k, e, "over a secret path", R_SECRET);
      else
        {
          arr->u.arr.items[out++] = e;
          continue;
        }
      toml_free (e);
    }
  for (; i < arr->u.arr.n; i++) /* left by an error */
    toml_free (arr->u.arr.items[i]);
  arr->u.arr.n = out;
  strv_clear (&protect.paths);
  strv_clear (&secret.paths);
  return r < 0 ? -1 : 0;
}

/* Entries a tighten-only path list gains must name workspace paths. */
static int filter_paths (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *cur,
                         struct toml_value *arr)
{
  _cleanup_free_ char *ws = config_path_resolve ("/", l->cfg->workspace);
  if (ws == NULL)
    return coi_error_errno (l->err, ENOMEM, "load config");
  size_t out = 0, i = 0;
  int r = 0;
  for (; r >= 0 && i < arr->u.arr.n; i++)
    {
      struct toml_value *e = arr->u.arr.items[i];
      bool ok = false;
      for (size_t j = 0; cur && j < cur->u.arr.n && !ok; j++)
        ok = toml_equal (cur->u.arr.items[j], e);
      if (!ok && e->u.s.ptr[0] != '/')
        {
          struct zone z = { 0 };
          if (zone_add (&z, ws, e->u.s.ptr, k->trust == CFG_TIGHTEN_ADD) < 0)
            r = coi_error_errno (l->err, ENOMEM, "load config");
          ok = z.paths.n > 0;
          for (size_t j = 0; j < z.paths.n; j++)
            ok = ok && config_path_inside (ws, z.paths.v[j]);
          strv_clear (&z.paths);
        }
      if (ok && r >= 0)
        {
          arr->u.arr.items[out++] = e;
          continue;
        }
      if (r >= 0)
        r = refuse (l, k, e, R_OUTSIDE, R_OUTSIDE);
      toml_free (e);
    }
  for (; i < arr->u.arr.n; i++) /* left by an error */
    toml_free (arr->u.arr.items[i]);
  arr->u.arr.n = out;
  return r < 0 ? -1 : 0;
}

int config_untrusted_gate (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *cur,
                           struct toml_value *nv)
{
  size_t given = nv->type == TOML_ARRAY ? nv->u.arr.n : 0;
  switch (k->trust)
    {
    case CFG_TRUST_ALLOW:
      return 0;
    case CFG_TRUST_UNSET:
    case CFG_TRUST_REFUSE:
      return refuse (l, k, nv, NULL, R_REFUSED);
    case CFG_TRUST_WORKSPACE:
      if (filter_mounts (l, k, nv) < 0)
        return -1;
      return given > 0 && nv->u.arr.n == 0 ? 1 : 0;
    case CFG_TIGHTEN_SUPERSET:
    case CFG_TIGHTEN_ADD:
      if (filter_paths (l, k, cur, nv) < 0)
        return -1;
      if (given > 0 && nv->u.arr.n == 0)
        return 1;
      break;
    default:
      break;
    }
  if (k->flags & CFG_K_NPM)
    config_runtime_defaults (l->cfg); /* the registry host is no addition */
  return config_tighten_ok (k, cur, nv) ? 0 : refuse (l, k, nv, NULL, R_LOOSER);
}
