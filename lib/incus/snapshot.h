/* Instance snapshots: create (optionally stateful), list, get, restore and
 * delete, each waiting for its background operation. */
#ifndef COI_INCUS_SNAPSHOT_H
#define COI_INCUS_SNAPSHOT_H

#include <jansson.h>
#include <stdbool.h>

#include "incus/client.h"

/* POST /1.0/instances/I/snapshots.  An existing name fails with status 409;
 * stateful needs a running container and CRIU on the server. */
int incus_snapshot_create (struct incus_client *c, const char *inst, const char *name,
                           bool stateful, coi_error_t *err);
/* GET /1.0/instances/I/snapshots?recursion=1: an array of snapshot objects
 * ("name" is the bare snapshot name, plus "created_at", "expires_at",
 * "stateful", "description", ...), oldest first as the server lists them. */
int incus_snapshot_list (struct incus_client *c, const char *inst, json_t **list,
                         coi_error_t *err);
/* GET one snapshot; a missing one fails with status 404. */
int incus_snapshot_get (struct incus_client *c, const char *inst, const char *name,
                        json_t **snap, coi_error_t *err);
/* 1 if it exists, 0 if not, -1 on error. */
int incus_snapshot_exists (struct incus_client *c, const char *inst, const char *name,
                           coi_error_t *err);
/* PUT /1.0/instances/I with {"restore": name}: the server then ignores the
 * rest of the body, so the instance's configuration is not touched. */
int incus_snapshot_restore (struct incus_client *c, const char *inst, const char *name,
                            bool stateful, coi_error_t *err);
/* DELETE /1.0/instances/I/snapshots/NAME. */
int incus_snapshot_delete (struct incus_client *c, const char *inst, const char *name,
                           coi_error_t *err);

#endif
