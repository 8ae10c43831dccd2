/* Unpack a new image into the default storage pool right after the build.
 * On pools that keep one volume per image (btrfs, zfs, lvm, ceph) Incus
 * unpacks it at the first instance creation: a gigabyte takes tens of
 * seconds, which would otherwise land on the first `coi shell` (or a test's
 * timeout) instead of on the build. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/build_private.h"
#include "incus/instance.h"
#include "incus/storage.h"
#include "util/cleanup.h"

static const char *const optimized[] = { "btrfs", "zfs", "lvm", "ceph", NULL };

/* The driver of the default profile's root pool, or NULL. */
static char *root_pool_driver (struct incus_client *c)
{
  _cleanup_free_ char *name = NULL;
  _cleanup_json_ json_t *pool = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (incus_profile_root_pool (c, "default", &name, &err) <= 0
      || incus_storage_pool_get (c, name, &pool, &err) < 0)
    return NULL;
  const char *driver = json_string_value (json_object_get (pool, "driver"));
  return driver ? strdup (driver) : NULL;
}

int coi_build_warm (struct coi_build *b, const char *fingerprint, coi_error_t *err)
{
  _cleanup_free_ char *driver = root_pool_driver (b->c);
  bool worth = false;
  for (const char *const *d = optimized; driver && *d; d++)
    worth = worth || strcmp (driver, *d) == 0;
  if (!worth)
    return 0;
  _cleanup_free_ char *name = NULL;
  if (asprintf (&name, "coi-warm-%s", b->stamp) < 0)
    return coi_error_errno (err, ENOMEM, "prepare the image");
  coi_progress_step (&b->progress, "unpack the image into the %s storage pool", driver);
  /* Created, never started, deleted: only the image volume stays. */
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:{s:s, s:s}}", "name", name, "source", "type",
                                           "image", "fingerprint", fingerprint);
  if (body == NULL)
    return coi_error_errno (err, ENOMEM, "prepare the image");
  int r = incus_instance_create (b->c, body, err);
  _cleanup_error_ coi_error_t del_err = NULL;
  if (incus_instance_delete (b->c, name, &del_err) < 0 && (del_err->status != 404 || r == 0))
    fprintf (stderr, "coi: warning: %s\n", del_err->msg);
  if (r < 0)
    return -1;
  coi_progress_done (&b->progress, "first launches are quick now");
  return 0;
}
