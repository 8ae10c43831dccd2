/* Extra host directories mounted into a session, validated before anything
 * is created. */
#ifndef COI_SESSION_MOUNTS_H
#define COI_SESSION_MOUNTS_H

#include <stddef.h>

#include "util/error.h"

struct coi_mount
{
  char *host;      /* absolute, ~ expanded, cleaned */
  char *container; /* absolute, cleaned */
};

struct coi_mounts
{
  struct coi_mount *items;
  size_t n;
};

void coi_mounts_clear (struct coi_mounts *m);
/* Add "HOST:CONTAINER" (a --mount flag value). */
int coi_mounts_add_spec (struct coi_mounts *m, const char *spec, coi_error_t *err);
int coi_mounts_add (struct coi_mounts *m, const char *host, const char *container,
                    coi_error_t *err);
struct coi_config;
/* Add the configuration's [[mounts.default]] entries (a relative host path
 * is the workspace's, symlinks resolved). */
int coi_mounts_add_config (struct coi_mounts *m, const struct coi_config *cfg, coi_error_t *err);
/* Check the whole set against the workspace mount point: absolute paths, no
 * two mounts at the same or nested container paths, nothing over /workspace
 * itself.  Then create missing host directories. */
int coi_mounts_validate (struct coi_mounts *m, const char *workspace_path, coi_error_t *err);

#endif
