/* Storage pools: the pool a profile's root disk names, a pool's object and
 * how full it is. */
#ifndef COI_INCUS_STORAGE_H
#define COI_INCUS_STORAGE_H

#include <jansson.h>
#include <stdint.h>

#include "incus/client.h"

/* The pool of the profile's root disk (a "disk" device with path "/"):
 * 1 with *pool set (caller frees), 0 when the profile has none, -1 on error
 * (a missing profile fails with status 404). */
int incus_profile_root_pool (struct incus_client *c, const char *profile, char **pool,
                             coi_error_t *err);

/* GET /1.0/storage-pools/NAME ("driver", "status", "config"); a missing
 * pool fails with status 404 and names it. */
int incus_storage_pool_get (struct incus_client *c, const char *name, json_t **pool,
                            coi_error_t *err);

/* GET /1.0/storage-pools/NAME/resources: bytes used and in all. */
int incus_storage_pool_space (struct incus_client *c, const char *name, uint64_t *used,
                              uint64_t *total, coi_error_t *err);

#endif
