/* STORAGE: the pool sessions are created in, and room to work. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "config/config.h"
#include "health/health_private.h"
#include "incus/storage.h"
#include "util/cleanup.h"

/* Drivers that keep one volume per image: a launch clones it. */
static const char *const fast[] = { "btrfs", "zfs", "lvm", "ceph", NULL };

int health_check_pool (struct health_run *run, const struct health_def *d)
{
  const struct coi_health_input *in = run->in;
  const char *configured = health_cfg_string (run, "container.storage_pool", "");
  _cleanup_free_ char *name = NULL;
  _cleanup_error_ coi_error_t e = NULL;
  const char *whose = "container.storage_pool";
  if (*configured)
    name = strdup (configured);
  else
    {
      whose = "the default profile";
      int r = incus_profile_root_pool (in->client, "default", &name, &e);
      if (r < 0)
        return health_add (run, d, COI_HEALTH_FAIL, in->setup_command, NULL, "%s", e->msg);
      if (r == 0)
        return health_add (run, d, COI_HEALTH_FAIL, in->setup_command, NULL,
                           "the default profile has no root disk (no storage pool for containers)");
    }
  if (name == NULL)
    return -1;
  _cleanup_json_ json_t *pool = NULL;
  if (incus_storage_pool_get (in->client, name, &pool, &e) < 0)
    {
      _cleanup_free_ char *fix = NULL;
      if (e->status == 404 && asprintf (&fix, "incus storage create %s btrfs size=20GiB", name) < 0)
        return -1;
      return health_add (run, d, COI_HEALTH_FAIL, fix ? fix : in->setup_command, NULL,
                         "%s (named by %s)", e->msg, whose);
    }
  const char *driver = json_string_value (json_object_get (pool, "driver"));
  bool quick = false;
  for (const char *const *f = fast; driver && *f; f++)
    quick = quick || strcmp (driver, *f) == 0;
  run->pool = steal_pointer (&name);
  if (quick)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "%s (%s), from %s", run->pool, driver, whose);
  _cleanup_free_ char *fix = NULL;
  if (asprintf (&fix, "incus storage create coi-btrfs btrfs size=20GiB && incus profile device set "
                      "default root pool=coi-btrfs") < 0)
    return -1;
  return health_add (run, d, COI_HEALTH_WARN, fix, NULL,
                     "%s (%s), from %s: every launch copies the whole image (slow)", run->pool,
                     driver ? driver : "unknown driver", whose);
}

static int space_line (struct health_run *run, const struct health_def *d, const char *what,
                       unsigned long long free_b, unsigned long long total, const char *fix)
{
  char f[16], t[16];
  enum coi_health_status s = coi_health_space_status (free_b);
  return health_add (run, d, s, fix, NULL, "%s: %s free of %s%s", what, health_bytes (free_b, f),
                     health_bytes (total, t), s == COI_HEALTH_OK ? "" : " (low)");
}

int health_check_pool_space (struct health_run *run, const struct health_def *d)
{
  if (run->pool == NULL)
    return health_add (run, d, COI_HEALTH_SKIP, NULL, NULL, "not checked: no storage pool");
  uint64_t used, total;
  _cleanup_error_ coi_error_t e = NULL;
  if (incus_storage_pool_space (run->in->client, run->pool, &used, &total, &e) < 0)
    return health_add (run, d, COI_HEALTH_SKIP, NULL, NULL, "not checked: %s", e->msg);
  _cleanup_free_ char *fix = NULL;
  if (asprintf (&fix, "coi clean && coi image cleanup %s --keep 1",
                health_cfg_string (run, "container.image", "coi")) < 0)
    return -1;
  return space_line (run, d, run->pool, used < total ? total - used : 0, total, fix);
}

int health_check_home_space (struct health_run *run, const struct health_def *d)
{
  /* ~/.coi may not exist yet: the filesystem it will be on. */
  _cleanup_free_ char *path = strdup (run->in->state_dir);
  struct statvfs v;
  if (path == NULL)
    return -1;
  while (statvfs (path, &v) < 0)
    {
      char *slash = strrchr (path, '/');
      if (errno != ENOENT || slash == NULL || strcmp (path, "/") == 0)
        return health_add (run, d, COI_HEALTH_SKIP, NULL, NULL, "not checked: %s: %s",
                           run->in->state_dir, strerror (errno));
      slash[slash == path] = '\0';
    }
  return space_line (run, d, run->in->state_dir, (unsigned long long) v.f_bavail * v.f_frsize,
                     (unsigned long long) v.f_blocks * v.f_frsize, "coi clean --sessions");
}
