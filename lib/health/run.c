/* The table of checks and the run through it.  Checks run in table order,
 * which is also the printed order within a category: what a check needs
 * (the server, the image, the pool) comes from checks above it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "health/health_private.h"
#include "util/cleanup.h"

static const struct health_def checks[] = {
  { COI_HEALTH_SYSTEM, "os", health_check_os, 0 },
  { COI_HEALTH_SYSTEM, "subids", health_check_subids, 0 },
  { COI_HEALTH_CRITICAL, "incus", health_check_incus, 0 },
  { COI_HEALTH_CRITICAL, "permission", health_check_permission, 0 },
  { COI_HEALTH_CRITICAL, "image", health_check_image, HEALTH_NEEDS_SERVER },
  { COI_HEALTH_CRITICAL, "recipe", health_check_recipe, HEALTH_NEEDS_SERVER },
  { COI_HEALTH_NETWORKING, "bridge", health_check_bridge, HEALTH_NEEDS_SERVER },
  { COI_HEALTH_NETWORKING, "nftables", health_check_nftables, 0 },
  { COI_HEALTH_MONITORING, "monitor", health_check_monitor, 0 },
  { COI_HEALTH_MONITORING, "audit", health_check_audit, 0 },
  { COI_HEALTH_STORAGE, "pool", health_check_pool, HEALTH_NEEDS_SERVER },
  { COI_HEALTH_STORAGE, "pool-space", health_check_pool_space, HEALTH_NEEDS_SERVER },
  { COI_HEALTH_STORAGE, "home-space", health_check_home_space, 0 },
  { COI_HEALTH_CONFIGURATION, "config", health_check_config, 0 },
  { COI_HEALTH_STATUS, "containers", health_check_containers, HEALTH_NEEDS_SERVER },
  { COI_HEALTH_STATUS, "leftovers", health_check_leftovers, HEALTH_NEEDS_SERVER },
  { COI_HEALTH_OPTIONAL, "guard", health_check_guard, HEALTH_NEEDS_SERVER },
};

int health_add (struct health_run *run, const struct health_def *d, enum coi_health_status s,
                const char *fix, struct coi_health_check **out, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  struct coi_health_check *c = coi_health_addv (run->report, d->category, d->name, s, fix, fmt, ap);
  va_end (ap);
  if (out)
    *out = c;
  return c ? 0 : -1;
}

const char *health_cfg_string (const struct health_run *run, const char *key, const char *def)
{
  const char *v = run->in->config ? coi_config_string (run->in->config, key) : NULL;
  return v ? v : def;
}

bool health_cfg_bool (const struct health_run *run, const char *key, bool def)
{
  return run->in->config ? coi_config_bool (run->in->config, key) : def;
}

long long health_cfg_int (const struct health_run *run, const char *key, long long def)
{
  return run->in->config ? (long long) coi_config_int (run->in->config, key) : def;
}

const char *health_bytes (unsigned long long n, char buf[16])
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
  double v = (double) n;
  int u = 0;
  while (v >= 1024 && u < 5)
    {
      v /= 1024;
      u++;
    }
  snprintf (buf, 16, u ? "%.1f %s" : "%.0f %s", v, units[u]);
  return buf;
}

int coi_health_run (const struct coi_health_input *in, struct coi_health_report *out,
                    coi_error_t *err)
{
  struct health_run run = { .in = in, .report = out };
  int r = 0;
  out->checks = NULL;
  out->n = 0;
  for (size_t i = 0; r == 0 && i < sizeof checks / sizeof checks[0]; i++)
    {
      const struct health_def *d = &checks[i];
      if ((d->needs & HEALTH_NEEDS_SERVER) && !run.server_ok)
        r = health_add (&run, d, COI_HEALTH_SKIP, NULL, NULL,
                        "not checked: the Incus server does not answer");
      else
        r = d->fn (&run, d);
    }
  json_decref (run.image);
  free (run.pool);
  coi_inventory_clear (&run.inv);
  if (r < 0)
    {
      coi_health_report_clear (out);
      return coi_error_errno (err, ENOMEM, "health report");
    }
  return 0;
}
