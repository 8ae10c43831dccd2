#include "session/mounts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "session/naming.h"
#include "util/cleanup.h"
#include "util/fs.h"

void coi_mounts_clear (struct coi_mounts *m)
{
  for (size_t i = 0; i < m->n; i++)
    {
      free (m->items[i].host);
      free (m->items[i].container);
    }
  free (m->items);
  m->items = NULL;
  m->n = 0;
}

static int expand_home (const char *p, char **out, coi_error_t *err)
{
  if (p[0] == '~' && (p[1] == '/' || p[1] == '\0'))
    {
      const char *home = getenv ("HOME");
      if (home == NULL || *home == '\0')
        return coi_error_make (err, 0, "expand %s: HOME is not set", p);
      if (asprintf (out, "%s%s", home, p + 1) < 0)
        return coi_error_errno (err, ENOMEM, "expand %s", p);
      return 0;
    }
  *out = strdup (p);
  return *out ? 0 : coi_error_errno (err, ENOMEM, "expand %s", p);
}

int coi_mounts_add (struct coi_mounts *m, const char *host, const char *container,
                    coi_error_t *err)
{
  if (host == NULL || *host == '\0' || container == NULL || *container == '\0')
    return coi_error_usage (err, "invalid mount: host and container paths are both required");
  if (container[0] != '/')
    return coi_error_usage (err, "invalid mount %s:%s: container path must be absolute", host,
                            container);
  _cleanup_free_ char *h = NULL;
  _cleanup_free_ char *habs = NULL;
  _cleanup_free_ char *cabs = NULL;
  if (expand_home (host, &h, err) < 0 || coi_workspace_abs (h, &habs, err) < 0
      || coi_workspace_abs (container, &cabs, err) < 0)
    return -1;
  struct coi_mount *n = realloc (m->items, (m->n + 1) * sizeof (*n));
  if (n == NULL)
    return coi_error_errno (err, ENOMEM, "add mount");
  m->items = n;
  m->items[m->n].host = steal_pointer (&habs);
  m->items[m->n].container = steal_pointer (&cabs);
  m->n++;
  return 0;
}

int coi_mounts_add_config (struct coi_mounts *m, const struct coi_config *cfg, coi_error_t *err)
{
  const struct toml_value *arr = coi_config_node (cfg, "mounts.default");
  if (arr && arr->type == TOML_ARRAY)
    for (size_t i = 0; i < arr->u.arr.n; i++)
      {
        const struct toml_value *h = toml_table_get (arr->u.arr.items[i], "host");
        const struct toml_value *c = toml_table_get (arr->u.arr.items[i], "container");
        if (h == NULL || c == NULL || h->type != TOML_STRING || c->type != TOML_STRING)
          continue; /* the config layer already reported it */
        /* Relative to the workspace, resolved as the untrusted-config check
           resolved it: never against the cwd. */
        _cleanup_free_ char *host = NULL;
        if (coi_config_resolve_path (cfg, h->u.s.ptr, &host, err) < 0
            || coi_mounts_add (m, host, c->u.s.ptr, err) < 0)
          return -1;
      }
  return 0;
}

int coi_mounts_add_spec (struct coi_mounts *m, const char *spec, coi_error_t *err)
{
  const char *colon = strrchr (spec, ':');
  if (colon == NULL || colon == spec || colon[1] == '\0')
    return coi_error_usage (err, "invalid mount '%s': expected HOST:CONTAINER", spec);
  _cleanup_free_ char *host = strndup (spec, (size_t) (colon - spec));
  if (host == NULL)
    return coi_error_errno (err, ENOMEM, "add mount");
  return coi_mounts_add (m, host, colon + 1, err);
}

/* a is b, or lies below it. */
static int path_within (const char *a, const char *b)
{
  size_t n = strlen (b);
  if (strcmp (b, "/") == 0)
    return 1;
  return strncmp (a, b, n) == 0 && (a[n] == '\0' || a[n] == '/');
}

int coi_mounts_validate (struct coi_mounts *m, const char *workspace_path, coi_error_t *err)
{
  for (size_t i = 0; i < m->n; i++)
    {
      const char *c = m->items[i].container;
      if (strcmp (c, "/") == 0 || path_within (workspace_path, c))
        return coi_error_usage (err, "invalid mount %s:%s: it would hide the workspace at %s",
                                m->items[i].host, c, workspace_path);
      if (path_within (c, workspace_path))
        return coi_error_usage (err, "invalid mount %s:%s: it is inside the workspace mount %s",
                                m->items[i].host, c, workspace_path);
      for (size_t j = 0; j < i; j++)
        if (path_within (c, m->items[j].container) || path_within (m->items[j].container, c))
          return coi_error_usage (err, "invalid mounts: %s and %s are nested or the same",
                                  m->items[j].container, c);
    }
  for (size_t i = 0; i < m->n; i++)
    if (coi_mkdir_p (m->items[i].host, 0755, err) < 0)
      return coi_error_prefix (err, "prepare mount %s", m->items[i].host);
  return 0;
}
