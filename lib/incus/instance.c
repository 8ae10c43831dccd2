#include "incus/instance.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"

static char *instance_path (const char *name, const char *suffix)
{
  _cleanup_free_ char *e = incus_escape (name);
  char *p = NULL;
  if (e == NULL || asprintf (&p, "/1.0/instances/%s%s", e, suffix ? suffix : "") < 0)
    return NULL;
  return p;
}

int incus_instance_create (struct incus_client *c, json_t *body, coi_error_t *err)
{
  const char *name = json_string_value (json_object_get (body, "name"));
  if (incus_call (c, "POST", "/1.0/instances", body, NULL, err) < 0)
    return coi_error_prefix (err, "create instance %s", name ? name : "");
  return 0;
}

int incus_instance_get (struct incus_client *c, const char *name, json_t **inst, coi_error_t *err)
{
  _cleanup_free_ char *p = instance_path (name, NULL);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "get instance %s", name);
  if (incus_call (c, "GET", p, NULL, inst, err) < 0)
    return coi_error_prefix (err, "get instance %s", name);
  return 0;
}

int incus_instance_find (struct incus_client *c, const char *name, json_t **inst,
                         coi_error_t *err)
{
  *inst = NULL;
  if (incus_instance_get (c, name, inst, err) == 0)
    return 1;
  if ((*err)->status != 404)
    return -1;
  coi_error_release (err);
  return 0;
}

int incus_instance_exists (struct incus_client *c, const char *name, coi_error_t *err)
{
  _cleanup_json_ json_t *inst = NULL;
  return incus_instance_find (c, name, &inst, err);
}

int incus_instance_state (struct incus_client *c, const char *name, json_t **state, coi_error_t *err)
{
  _cleanup_free_ char *p = instance_path (name, "/state");
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "get state of instance %s", name);
  if (incus_call (c, "GET", p, NULL, state, err) < 0)
    return coi_error_prefix (err, "get state of instance %s", name);
  return 0;
}

int incus_instance_status (struct incus_client *c, const char *name, char **status, coi_error_t *err)
{
  _cleanup_json_ json_t *inst = NULL;
  if (incus_instance_get (c, name, &inst, err) < 0)
    return -1;
  const char *s = json_string_value (json_object_get (inst, "status"));
  *status = strdup (s ? s : "Unknown");
  return *status ? 0 : coi_error_errno (err, ENOMEM, "get instance %s", name);
}

/* Incus refuses a second operation on an instance while one runs ("Instance
 * is busy running a "create" operation"); such refusals are retried for a
 * while, everything else is final. */
#define BUSY_RETRY_MS 10000
#define BUSY_PAUSE_MS 50

static int call_retrying_busy (struct incus_client *c, const char *method, const char *path,
                               json_t *body, coi_error_t *err)
{
  for (int waited = 0;; waited += BUSY_PAUSE_MS)
    {
      if (incus_call (c, method, path, body, NULL, err) == 0)
        return 0;
      if (waited >= BUSY_RETRY_MS || strstr ((*err)->msg, "is busy running") == NULL)
        return -1;
      coi_error_release (err);
      struct timespec pause = { 0, BUSY_PAUSE_MS * 1000 * 1000 };
      nanosleep (&pause, NULL);
    }
}

int incus_instance_set_state (struct incus_client *c, const char *name, const char *action,
                              int timeout_s, bool force, coi_error_t *err)
{
  _cleanup_free_ char *p = instance_path (name, "/state");
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:i, s:b}", "action", action, "timeout",
                                           timeout_s < 0 ? -1 : timeout_s, "force", force);
  if (p == NULL || body == NULL)
    return coi_error_errno (err, ENOMEM, "%s instance %s", action, name);
  if (call_retrying_busy (c, "PUT", p, body, err) < 0)
    return coi_error_prefix (err, "%s instance %s", action, name);
  return 0;
}

int incus_instance_delete (struct incus_client *c, const char *name, coi_error_t *err)
{
  _cleanup_free_ char *p = instance_path (name, NULL);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "delete instance %s", name);
  if (call_retrying_busy (c, "DELETE", p, NULL, err) < 0)
    return coi_error_prefix (err, "delete instance %s", name);
  return 0;
}

/* A start still in flight (its launcher was killed) can turn an instance
 * read as Stopped into a running one before the delete: Incus then refuses
 * with "Instance is running", and the stop and delete are tried again. */
#define FORCE_DELETE_TRIES 3

int incus_instance_force_delete (struct incus_client *c, const char *name, coi_error_t *err)
{
  for (int attempt = 1;; attempt++)
    {
      _cleanup_free_ char *status = NULL;
      if (incus_instance_status (c, name, &status, err) < 0)
        {
          if ((*err)->status == 404)
            {
              coi_error_release (err);
              return 0;
            }
          return -1;
        }
      if (strcmp (status, "Stopped") != 0)
        {
          if (strcmp (status, "Frozen") == 0
              && incus_instance_set_state (c, name, "unfreeze", -1, false, err) < 0)
            return -1;
          if (incus_instance_set_state (c, name, "stop", -1, true, err) < 0)
            {
              /* It may have stopped (and an ephemeral one vanished) meanwhile. */
              _cleanup_error_ coi_error_t probe = NULL;
              if ((*err)->status != 404 && incus_instance_exists (c, name, &probe) != 0)
                return -1;
              coi_error_release (err);
            }
        }
      if (incus_instance_delete (c, name, err) == 0)
        return 0;
      if ((*err)->status == 404)
        {
          coi_error_release (err);
          return 0;
        }
      if (attempt == FORCE_DELETE_TRIES || strstr ((*err)->msg, "Instance is running") == NULL)
        return -1;
      coi_error_release (err);
    }
}

int incus_instance_list (struct incus_client *c, int recursion, const char *filter, json_t **list,
                         coi_error_t *err)
{
  _cleanup_free_ char *p = NULL;
  _cleanup_free_ char *f = filter ? incus_escape (filter) : NULL;
  int r = filter ? asprintf (&p, "/1.0/instances?recursion=%d&filter=%s", recursion, f)
                 : asprintf (&p, "/1.0/instances?recursion=%d", recursion);
  if (r < 0 || (filter && f == NULL))
    return coi_error_errno (err, ENOMEM, "list instances");
  if (incus_list (c, p, list, err) < 0)
    return coi_error_prefix (err, "list instances");
  return 0;
}

int incus_instance_patch (struct incus_client *c, const char *name, json_t *patch,
                          coi_error_t *err)
{
  _cleanup_free_ char *p = instance_path (name, NULL);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "update instance %s", name);
  if (incus_call (c, "PATCH", p, patch, NULL, err) < 0)
    return coi_error_prefix (err, "update instance %s", name);
  return 0;
}

const char *incus_state_ipv4 (json_t *state, const char *nic)
{
  json_t *addrs = json_object_get (json_object_get (json_object_get (state, "network"), nic),
                                   "addresses");
  size_t i;
  json_t *a;
  json_array_foreach (addrs, i, a)
  {
    const char *fam = json_string_value (json_object_get (a, "family"));
    const char *scope = json_string_value (json_object_get (a, "scope"));
    if (fam && strcmp (fam, "inet") == 0 && (scope == NULL || strcmp (scope, "global") == 0))
      return json_string_value (json_object_get (a, "address"));
  }
  return NULL;
}
