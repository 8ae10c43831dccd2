/* Resource and time limits (spec G.5): the [limits] keys, validated before
 * anything is created (an error names the key), then written into the one
 * instance create request as Incus config keys and root-disk device keys.
 * max_duration is not an Incus key: the session supervisor enforces it. */
#ifndef COI_SESSION_LIMITS_H
#define COI_SESSION_LIMITS_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

struct coi_limits
{
  char *cpu_count;      /* limits.cpu: "2" or a cpuset "0-1,3" */
  char *cpu_allowance;  /* limits.cpu.allowance: "50%" or "25ms/100ms" */
  int cpu_priority;     /* limits.cpu.priority 1-10; 0 = unset (COI's default) */
  char *memory_limit;   /* limits.memory: "2GiB" or "50%" */
  char *memory_enforce; /* limits.memory.enforce: soft | hard */
  char *memory_swap;    /* limits.memory.swap: "true"/"false" (normalized) or a size */
  char *disk_read;      /* root device limits.read: "30MB" (bytes/s) or "100iops" */
  char *disk_write;     /* root device limits.write */
  char *disk_max;       /* root device limits.max */
  int disk_priority;    /* limits.disk.priority 1-10; 0 = unset */
  int max_processes;    /* limits.processes; 0 = unset */
  long max_duration_sec; /* supervisor; 0 = none */
  bool auto_stop;       /* stop at max_duration (else only log it) */
  bool stop_graceful;   /* graceful stop first, force after a grace period */
  char *root_pool;      /* pool for a root device the body lacks (disk limits need one) */
};

void coi_limits_init (struct coi_limits *l);
void coi_limits_clear (struct coi_limits *l);
static inline void cleanup_limitsp (struct coi_limits *l)
{
  coi_limits_clear (l);
}
#define _cleanup_limits_ __attribute__ ((cleanup (cleanup_limitsp)))

/* Set one key from its configuration text.  `key` is relative to [limits]
 * ("cpu.count", "runtime.max_duration") or full ("limits.cpu.count").
 * An empty value unsets the key, as in COI's defaults.  Usage error naming
 * the key when the value is invalid. */
int coi_limits_set (struct coi_limits *l, const char *key, const char *value, coi_error_t *err);

/* Overlay a [limits] table given as JSON ({"cpu": {"count": "2"}, ...});
 * numbers and booleans are accepted where the key takes them. */
int coi_limits_from_json (struct coi_limits *l, json_t *limits_table, coi_error_t *err);

/* Write the limits into an InstancesPost body: config keys, and a root disk
 * device (the body's own, or one added on root_pool) for disk limits. */
int coi_limits_apply_to_body (const struct coi_limits *l, json_t *instance_body, coi_error_t *err);

/* The limits as {"limits.cpu": "2", ..., "max_duration_sec": N}, for the audit log. */
json_t *coi_limits_to_json (const struct coi_limits *l);

/* Go-style duration ("90s", "1h30m", "2h", "500ms" rounds up to 1s) into
 * seconds.  -1 when invalid. */
int coi_parse_duration (const char *s, long *seconds);

#endif
