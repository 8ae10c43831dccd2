#include "incus/profile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/cleanup.h"

int incus_server_info (struct incus_client *c, json_t **info, coi_error_t *err)
{
  if (incus_call (c, "GET", "/1.0", NULL, info, err) < 0)
    return coi_error_prefix (err, "get server info");
  return 0;
}

static char *profile_path (const char *name)
{
  _cleanup_free_ char *e = incus_escape (name);
  char *p = NULL;
  if (e == NULL || asprintf (&p, "/1.0/profiles/%s", e) < 0)
    return NULL;
  return p;
}

int incus_profile_list (struct incus_client *c, json_t **list, coi_error_t *err)
{
  if (incus_list (c, "/1.0/profiles?recursion=1", list, err) < 0)
    return coi_error_prefix (err, "list profiles");
  return 0;
}

int incus_profile_get (struct incus_client *c, const char *name, json_t **profile, coi_error_t *err)
{
  _cleanup_free_ char *p = profile_path (name);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "get profile %s", name);
  if (incus_call (c, "GET", p, NULL, profile, err) < 0)
    return coi_error_prefix (err, "get profile %s", name);
  return 0;
}

int incus_profile_create (struct incus_client *c, const char *name, const char *description,
                          json_t *config, json_t *devices, coi_error_t *err)
{
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:s}", "name", name, "description",
                                           description ? description : "");
  if (body == NULL)
    return coi_error_errno (err, ENOMEM, "create profile %s", name);
  if (config)
    json_object_set (body, "config", config);
  if (devices)
    json_object_set (body, "devices", devices);
  if (incus_call (c, "POST", "/1.0/profiles", body, NULL, err) < 0)
    return coi_error_prefix (err, "create profile %s", name);
  return 0;
}

int incus_profile_patch (struct incus_client *c, const char *name, json_t *patch, coi_error_t *err)
{
  _cleanup_free_ char *p = profile_path (name);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "update profile %s", name);
  if (incus_call (c, "PATCH", p, patch, NULL, err) < 0)
    return coi_error_prefix (err, "update profile %s", name);
  return 0;
}

int incus_profile_delete (struct incus_client *c, const char *name, coi_error_t *err)
{
  _cleanup_free_ char *p = profile_path (name);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "delete profile %s", name);
  if (incus_call (c, "DELETE", p, NULL, NULL, err) < 0)
    return coi_error_prefix (err, "delete profile %s", name);
  return 0;
}
