/* Reading the merged configuration. */
#include <stdlib.h>
#include <string.h>

#include "config/config_private.h"
#include "util/cleanup.h"

static struct cfg_entry *entry (const struct coi_config *c, const char *key, enum coi_config_type type)
{
  const struct coi_config_key *k = c ? coi_config_key_find (key) : NULL;
  if (k == NULL || k->type != type)
    return NULL;
  if (k->flags & CFG_K_NPM)
    config_runtime_defaults ((struct coi_config *) c); /* the lazily derived npm registry host */
  return &c->e[config_key_index (k)];
}

const char *coi_config_string (const struct coi_config *c, const char *key)
{
  struct cfg_entry *e = entry (c, key, CFG_STRING);
  return e && e->v ? e->v->u.s.ptr : NULL;
}

bool coi_config_bool (const struct coi_config *c, const char *key)
{
  struct cfg_entry *e = entry (c, key, CFG_BOOL);
  return e && e->v ? e->v->u.b : false;
}

int64_t coi_config_int (const struct coi_config *c, const char *key)
{
  struct cfg_entry *e = entry (c, key, CFG_INT);
  return e && e->v ? e->v->u.i : 0;
}

double coi_config_float (const struct coi_config *c, const char *key)
{
  struct cfg_entry *e = entry (c, key, CFG_FLOAT);
  return e && e->v ? e->v->u.f : 0.0;
}

const char *const *coi_config_strv (const struct coi_config *c, const char *key)
{
  static const char *const empty[] = { NULL };
  struct cfg_entry *e = entry (c, key, CFG_STRV);
  if (e == NULL || e->v == NULL)
    return empty;
  if (e->strv == NULL)
    {
      char **v = calloc (e->v->u.arr.n + 1, sizeof *v);
      if (v == NULL)
        return empty;
      for (size_t i = 0; i < e->v->u.arr.n; i++)
        v[i] = e->v->u.arr.items[i]->u.s.ptr;
      e->strv = v;
    }
  return (const char *const *) e->strv;
}

const struct toml_value *coi_config_node (const struct coi_config *c, const char *key)
{
  const struct coi_config_key *k = c ? coi_config_key_find (key) : NULL;
  if (k == NULL)
    return NULL;
  struct cfg_entry *e = entry (c, key, k->type);
  return e->v;
}

const char *coi_config_origin (const struct coi_config *c, const char *key)
{
  const struct coi_config_key *k = c ? coi_config_key_find (key) : NULL;
  if (k == NULL)
    return NULL;
  struct cfg_entry *e = entry (c, key, k->type);
  return e->origin ? e->origin : "default";
}

const char *coi_config_profile_name (const struct coi_config *c)
{
  return c ? c->profile : NULL;
}

const char *coi_config_workspace (const struct coi_config *c)
{
  return c ? c->workspace : NULL;
}

const char *coi_config_home (const struct coi_config *c)
{
  return c ? c->home : NULL;
}

const char *const *coi_config_warnings (const struct coi_config *c, size_t *n)
{
  *n = c ? c->warnings.n : 0;
  return c && c->warnings.n ? (const char *const *) c->warnings.v : NULL;
}

void coi_config_free (struct coi_config *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; c->e && i < c->nkeys; i++)
    {
      toml_free (c->e[i].v);
      free (c->e[i].origin);
      /* The strv cache borrows its strings from the value. */
      free (c->e[i].strv);
    }
  free (c->e);
  config_profiles_free (c);
  free (c->home);
  free (c->workspace);
  free (c->cwd);
  free (c->profile);
  free (c->npm);
  strv_clear (&c->warnings);
  strv_clear (&c->untrusted_ignored);
  strv_clear (&c->untrusted_files);
  for (size_t i = 0; i < c->nrefusals; i++)
    {
      free (c->refusals[i].source);
      toml_free (c->refusals[i].value);
    }
  free (c->refusals);
  cleanup_strvp (&c->env);
  free (c);
}
