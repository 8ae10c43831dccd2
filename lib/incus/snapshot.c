#include "incus/snapshot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* "/1.0/instances/I" + "/snapshots" [+ "/NAME"] [+ suffix]. */
static char *snap_path (const char *inst, const char *name, const char *suffix)
{
  _cleanup_free_ char *ei = incus_escape (inst);
  _cleanup_free_ char *en = name ? incus_escape (name) : NULL;
  char *p = NULL;
  if (ei == NULL || (name && en == NULL))
    return NULL;
  if (asprintf (&p, "/1.0/instances/%s/snapshots%s%s%s", ei, en ? "/" : "", en ? en : "",
                suffix ? suffix : "")
      < 0)
    return NULL;
  return p;
}

int incus_snapshot_create (struct incus_client *c, const char *inst, const char *name,
                           bool stateful, coi_error_t *err)
{
  _cleanup_free_ char *p = snap_path (inst, NULL, NULL);
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:b}", "name", name, "stateful", stateful);
  if (p == NULL || body == NULL)
    return coi_error_errno (err, ENOMEM, "create snapshot %s of %s", name, inst);
  /* The server reports a duplicate only as a failed background operation
     (no status to test), so look first. */
  int ex = incus_snapshot_exists (c, inst, name, err);
  if (ex < 0)
    return coi_error_prefix (err, "create snapshot %s", name);
  if (ex)
    return coi_error_make (err, 409, "create snapshot %s of %s: it already exists", name, inst);
  if (incus_call (c, "POST", p, body, NULL, err) < 0)
    return coi_error_prefix (err, "create snapshot %s of %s", name, inst);
  return 0;
}

int incus_snapshot_list (struct incus_client *c, const char *inst, json_t **list,
                         coi_error_t *err)
{
  _cleanup_free_ char *p = snap_path (inst, NULL, "?recursion=1");
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "list snapshots of %s", inst);
  if (incus_list (c, p, list, err) < 0)
    return coi_error_prefix (err, "list snapshots of %s", inst);
  return 0;
}

int incus_snapshot_get (struct incus_client *c, const char *inst, const char *name,
                        json_t **snap, coi_error_t *err)
{
  _cleanup_free_ char *p = snap_path (inst, name, NULL);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "get snapshot %s of %s", name, inst);
  if (incus_call (c, "GET", p, NULL, snap, err) < 0)
    return coi_error_prefix (err, "get snapshot %s of %s", name, inst);
  return 0;
}

int incus_snapshot_exists (struct incus_client *c, const char *inst, const char *name,
                           coi_error_t *err)
{
  _cleanup_json_ json_t *s = NULL;
  if (incus_snapshot_get (c, inst, name, &s, err) < 0)
    {
      if ((*err)->status == 404)
        {
          coi_error_release (err);
          return 0;
        }
      return -1;
    }
  return 1;
}

int incus_snapshot_restore (struct incus_client *c, const char *inst, const char *name,
                            bool stateful, coi_error_t *err)
{
  _cleanup_free_ char *ei = incus_escape (inst);
  _cleanup_free_ char *p = NULL;
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:b}", "restore", name, "stateful", stateful);
  if (ei == NULL || body == NULL || asprintf (&p, "/1.0/instances/%s", ei) < 0)
    return coi_error_errno (err, ENOMEM, "restore %s from snapshot %s", inst, name);
  if (incus_call (c, "PUT", p, body, NULL, err) < 0)
    return coi_error_prefix (err, "restore %s from snapshot %s", inst, name);
  return 0;
}

int incus_snapshot_delete (struct incus_client *c, const char *inst, const char *name,
                           coi_error_t *err)
{
  _cleanup_free_ char *p = snap_path (inst, name, NULL);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "delete snapshot %s of %s", name, inst);
  if (incus_call (c, "DELETE", p, NULL, NULL, err) < 0)
    return coi_error_prefix (err, "delete snapshot %s of %s", name, inst);
  return 0;
}
