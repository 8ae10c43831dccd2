/* Shared by the check files of lib/health; not for callers. */
#ifndef COI_HEALTH_PRIVATE_H
#define COI_HEALTH_PRIVATE_H

#include <stdarg.h>

#include "health/health.h"
#include "session/inventory.h"

/* What one run has learned so far: later checks build on earlier ones. */
struct health_run
{
  const struct coi_health_input *in;
  struct coi_health_report *report;
  bool server_ok;              /* GET /1.0 answered */
  json_t *image;               /* the configured image's object, when found */
  char *pool;                  /* the storage pool sessions use, when it exists */
  struct coi_inventory inv;    /* coi's containers */
  bool inv_ok;
};

struct health_def;
typedef int (*health_fn) (struct health_run *run, const struct health_def *d);

enum
{
  HEALTH_NEEDS_SERVER = 1 << 0, /* skipped while the server does not answer */
};

struct health_def
{
  enum coi_health_category category;
  const char *name;
  health_fn fn;
  unsigned needs;
};

/* Add the check `d` with its outcome; -1 when out of memory.  `*out` (may
 * be NULL) receives it, for details. */
int health_add (struct health_run *run, const struct health_def *d, enum coi_health_status s,
                const char *fix, struct coi_health_check **out, const char *fmt, ...)
    __attribute__ ((format (printf, 6, 7)));
struct coi_health_check *coi_health_addv (struct coi_health_report *r,
                                          enum coi_health_category category, const char *name,
                                          enum coi_health_status status, const char *fix,
                                          const char *fmt, va_list ap);

/* Configuration values with the built-in default when it did not load. */
const char *health_cfg_string (const struct health_run *run, const char *key, const char *def);
bool health_cfg_bool (const struct health_run *run, const char *key, bool def);
long long health_cfg_int (const struct health_run *run, const char *key, long long def);
/* "1.5 GiB" into buf (16 bytes). */
const char *health_bytes (unsigned long long n, char buf[16]);

/* The checks, by file. */
int health_check_os (struct health_run *run, const struct health_def *d);
int health_check_subids (struct health_run *run, const struct health_def *d);
int health_check_incus (struct health_run *run, const struct health_def *d);
int health_check_permission (struct health_run *run, const struct health_def *d);
int health_check_image (struct health_run *run, const struct health_def *d);
int health_check_recipe (struct health_run *run, const struct health_def *d);
int health_check_bridge (struct health_run *run, const struct health_def *d);
int health_check_nftables (struct health_run *run, const struct health_def *d);
int health_check_monitor (struct health_run *run, const struct health_def *d);
int health_check_audit (struct health_run *run, const struct health_def *d);
int health_check_pool (struct health_run *run, const struct health_def *d);
int health_check_pool_space (struct health_run *run, const struct health_def *d);
int health_check_home_space (struct health_run *run, const struct health_def *d);
int health_check_config (struct health_run *run, const struct health_def *d);
int health_check_containers (struct health_run *run, const struct health_def *d);
int health_check_leftovers (struct health_run *run, const struct health_def *d);

/* The guard service of the server (check_network.c): the rules and the
 * supervisors of every session are its, root's too. */
int health_check_guard (struct health_run *run, const struct health_def *d);

#endif
