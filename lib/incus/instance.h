/* Instances: create (all config and devices in one request), state changes,
 * queries and deletion. */
#ifndef COI_INCUS_INSTANCE_H
#define COI_INCUS_INSTANCE_H

#include <jansson.h>
#include <stdbool.h>

#include "incus/client.h"

/* POST /1.0/instances with a complete InstancesPost body (name, source,
 * config, devices, profiles, ...), waiting for the operation.  A name that
 * already exists fails with status 409, so creation doubles as a lock. */
int incus_instance_create (struct incus_client *c, json_t *body, coi_error_t *err);

/* GET /1.0/instances/NAME.  A missing instance fails with status 404. */
int incus_instance_get (struct incus_client *c, const char *name, json_t **inst, coi_error_t *err);
/* Like incus_instance_get, but a missing instance is 0 (and *inst NULL),
 * not an error; 1 when found. */
int incus_instance_find (struct incus_client *c, const char *name, json_t **inst,
                         coi_error_t *err);
/* 1 if it exists, 0 if not, -1 on error. */
int incus_instance_exists (struct incus_client *c, const char *name, coi_error_t *err);
/* GET /1.0/instances/NAME/state */
int incus_instance_state (struct incus_client *c, const char *name, json_t **state, coi_error_t *err);
/* Status string ("Running", "Stopped", "Frozen", ...) into *status (caller frees). */
int incus_instance_status (struct incus_client *c, const char *name, char **status, coi_error_t *err);

/* PUT /1.0/instances/NAME/state: action is start, stop, restart, freeze, unfreeze.
 * timeout_s < 0 means the server default. */
int incus_instance_set_state (struct incus_client *c, const char *name, const char *action,
                              int timeout_s, bool force, coi_error_t *err);
/* Stop (force) if running, then delete.  Missing is not an error. */
int incus_instance_force_delete (struct incus_client *c, const char *name, coi_error_t *err);
int incus_instance_delete (struct incus_client *c, const char *name, coi_error_t *err);

/* GET /1.0/instances?recursion=R[&filter=...]; filter is an Incus filter
 * expression ("name eq coi-.*") or NULL.  *list is a JSON array. */
int incus_instance_list (struct incus_client *c, int recursion, const char *filter, json_t **list,
                         coi_error_t *err);

/* PATCH /1.0/instances/NAME with a partial instance (config, devices). */
int incus_instance_patch (struct incus_client *c, const char *name, json_t *patch,
                          coi_error_t *err);

/* The first IPv4 address of NIC `nic` from a state object, or NULL. */
const char *incus_state_ipv4 (json_t *state, const char *nic);

#endif
