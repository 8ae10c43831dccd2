/* The files coi puts into the system being built before the recipe runs:
 * the recipe itself, the dummy agent, and the host's local CA certificates
 * (/usr/local/share/ca-certificates/ *.crt, so that the build and the
 * containers trust what this host trusts, e.g. a TLS-inspecting proxy in
 * front of the npm registry).  The same set goes into a chroot or a build
 * container, and its bytes are part of the cache key. */
#ifndef COI_IMAGE_STAGE_H
#define COI_IMAGE_STAGE_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Where the host's CAs land in the target, for update-ca-certificates. */
#define COI_STAGE_CA_DIR "/usr/local/share/ca-certificates/coi-host"

struct coi_stage_file
{
  char *path; /* absolute, inside the target */
  const unsigned char *data;
  size_t len;
  mode_t mode;
  unsigned char *owned; /* data, when it was read from the host */
};

struct coi_stage
{
  struct coi_stage_file *files;
  size_t n;
};

int coi_stage_collect (struct coi_stage *s, coi_error_t *err);
void coi_stage_clear (struct coi_stage *s);

/* Write every file below `root` (a tree coi made itself), creating parent
 * directories; an existing final component is replaced, never followed. */
int coi_stage_write_tree (const struct coi_stage *s, const char *root, coi_error_t *err);

#endif
