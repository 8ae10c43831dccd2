/* Uncompressed tarballs for Incus image import, written with libarchive:
 * numeric owners, extended attributes (file capabilities survive), hard links
 * stored once.  A split image is two tarballs (metadata files; the rootfs tree
 * under "."), a unified one is one tarball (metadata files; tree under
 * "rootfs"). */
#ifndef COI_IMAGE_TARBALL_H
#define COI_IMAGE_TARBALL_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct coi_tar;

/* Start a tarball written to fd (the fd stays the caller's). */
int coi_tar_open (struct coi_tar **out, int fd, coi_error_t *err);
/* A small in-memory file owned by root. */
int coi_tar_add_file (struct coi_tar *t, const char *name, const void *data, size_t len,
                      mode_t mode, coi_error_t *err);
/* The tree at `dir`, entry names "<prefix>/...".  Directories named in
 * `skip_contents` (relative, e.g. "dev", "proc"; NULL-terminated, may be NULL)
 * are stored empty: the container runtime mounts its own there.  Sockets are
 * left out; mount points inside the tree are not crossed. */
int coi_tar_add_tree (struct coi_tar *t, const char *dir, const char *prefix,
                      const char *const *skip_contents, coi_error_t *err);
/* Write the end of the archive and free t.  Fails if any write failed.
 * *bytes (may be NULL) receives the size of the whole tarball. */
int coi_tar_finish (struct coi_tar *t, long long *bytes, coi_error_t *err);
/* Drop an unfinished tarball. */
void coi_tar_free (struct coi_tar *t);

static inline void cleanup_tarp (struct coi_tar **t)
{
  if (*t)
    coi_tar_free (*t);
}
#define _cleanup_tar_ __attribute__ ((cleanup (cleanup_tarp)))

#endif
