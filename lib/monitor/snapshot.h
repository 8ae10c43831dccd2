/* One look at a container for `coi monitor`: status, guard, processes,
 * connections (marked when a detector would flag them), resources and the
 * latest findings of its audit log.  Reads the host's /proc and netlink when
 * it can (root, local server); otherwise what the Incus state API gives. */
#ifndef COI_MONITOR_SNAPSHOT_H
#define COI_MONITOR_SNAPSHOT_H

#include <jansson.h>

#include "incus/client.h"
#include "util/error.h"

int coi_monitor_snapshot (struct incus_client *c, const char *container, json_t **out, coi_error_t *err);

#endif
