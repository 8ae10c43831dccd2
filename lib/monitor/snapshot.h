/* One look at a container for `coi monitor`: status, guard, processes,
 * connections (marked when a detector would flag them), resources and the
 * latest findings of its audit log.  Reads the host's /proc and netlink when
 * it can (root, local server); otherwise what the Incus state API gives. */
#ifndef COI_MONITOR_SNAPSHOT_H
#define COI_MONITOR_SNAPSHOT_H

#include <jansson.h>
#include <stdbool.h>

#include "incus/client.h"
#include "util/error.h"

/* What the guard service says of the session's supervisor (known false:
 * no guard answers, then the user's run directory is asked). */
struct coi_snapshot_guard
{
  bool known;
  bool alive;
  int pid;
  const char *mode; /* its network mode, or NULL */
};

int coi_monitor_snapshot (struct incus_client *c, const char *container,
                          const struct coi_snapshot_guard *guard, json_t **out, coi_error_t *err);

#endif
