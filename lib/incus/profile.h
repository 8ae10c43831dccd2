/* Server info and profiles. */
#ifndef COI_INCUS_PROFILE_H
#define COI_INCUS_PROFILE_H

#include <jansson.h>

#include "incus/client.h"

/* GET /1.0: api_extensions, environment (server_version, kernel_features), config. */
int incus_server_info (struct incus_client *c, json_t **info, coi_error_t *err);

/* GET /1.0/profiles?recursion=1: array of profile objects. */
int incus_profile_list (struct incus_client *c, json_t **list, coi_error_t *err);
/* GET /1.0/profiles/NAME; missing fails with status 404. */
int incus_profile_get (struct incus_client *c, const char *name, json_t **profile, coi_error_t *err);
/* POST /1.0/profiles {"name","description","config","devices"}; config/devices may be NULL. */
int incus_profile_create (struct incus_client *c, const char *name, const char *description,
                          json_t *config, json_t *devices, coi_error_t *err);
/* PATCH /1.0/profiles/NAME with a partial profile. */
int incus_profile_patch (struct incus_client *c, const char *name, json_t *patch, coi_error_t *err);
int incus_profile_delete (struct incus_client *c, const char *name, coi_error_t *err);

#endif
