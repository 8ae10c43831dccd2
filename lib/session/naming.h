/* How a workspace and a slot become a container name, as COI names them:
 * <prefix><sha256(abs workspace)[:8]>-<slot>. */
#ifndef COI_SESSION_NAMING_H
#define COI_SESSION_NAMING_H

#include "util/error.h"
#include "util/names.h"

#define COI_DEFAULT_PREFIX "coi-"

/* Absolute, lexically cleaned path (no symlink resolution, as COI does, so
 * both tools name the same workspace alike).  Caller frees. */
int coi_workspace_abs (const char *workspace, char **abs, coi_error_t *err);
/* $COI_CONTAINER_PREFIX or "coi-". */
const char *coi_container_prefix (void);
/* "<prefix><hash8>-" for a workspace: the part shared by all its slots. */
int coi_workspace_stem (const char *abs_workspace, char **stem, coi_error_t *err);
int coi_container_name (const char *abs_workspace, int slot, char **name, coi_error_t *err);
/* Slot number of a container name with the given stem, or -1. */
int coi_container_slot (const char *stem, const char *name);
/* Lower-case hex sha256 of a buffer into out[65]. */
void coi_sha256_hex (const void *data, size_t len, char out[65]);

#endif
