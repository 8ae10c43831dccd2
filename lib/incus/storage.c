#include "incus/storage.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incus/profile.h"
#include "util/cleanup.h"

int incus_profile_root_pool (struct incus_client *c, const char *profile, char **pool,
                             coi_error_t *err)
{
  _cleanup_json_ json_t *prof = NULL;
  *pool = NULL;
  if (incus_profile_get (c, profile, &prof, err) < 0)
    return -1;
  const char *key;
  json_t *dev;
  json_object_foreach (json_object_get (prof, "devices"), key, dev)
  {
    const char *type = json_string_value (json_object_get (dev, "type"));
    const char *path = json_string_value (json_object_get (dev, "path"));
    const char *name = json_string_value (json_object_get (dev, "pool"));
    if (type && path && name && strcmp (type, "disk") == 0 && strcmp (path, "/") == 0)
      {
        *pool = strdup (name);
        return *pool ? 1 : coi_error_errno (err, ENOMEM, "read profile %s", profile);
      }
  }
  return 0;
}

static char *pool_path (const char *name, const char *suffix)
{
  _cleanup_free_ char *e = incus_escape (name);
  char *p = NULL;
  if (e == NULL || asprintf (&p, "/1.0/storage-pools/%s%s", e, suffix) < 0)
    return NULL;
  return p;
}

int incus_storage_pool_get (struct incus_client *c, const char *name, json_t **pool,
                            coi_error_t *err)
{
  _cleanup_free_ char *p = pool_path (name, "");
  *pool = NULL;
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "get storage pool %s", name);
  if (incus_call (c, "GET", p, NULL, pool, err) < 0)
    return coi_error_prefix (err, "storage pool '%s'", name);
  return 0;
}

int incus_storage_pool_space (struct incus_client *c, const char *name, uint64_t *used,
                              uint64_t *total, coi_error_t *err)
{
  _cleanup_free_ char *p = pool_path (name, "/resources");
  _cleanup_json_ json_t *res = NULL;
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "get storage pool %s", name);
  if (incus_call (c, "GET", p, NULL, &res, err) < 0)
    return coi_error_prefix (err, "space of storage pool '%s'", name);
  json_t *space = json_object_get (res, "space");
  json_t *u = json_object_get (space, "used"), *t = json_object_get (space, "total");
  if (!json_is_integer (u) || !json_is_integer (t) || json_integer_value (u) < 0
      || json_integer_value (t) <= 0)
    return coi_error_make (err, EPROTO, "space of storage pool '%s': the server gave no sizes", name);
  *used = (uint64_t) json_integer_value (u);
  *total = (uint64_t) json_integer_value (t);
  return 0;
}
