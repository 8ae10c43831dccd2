/* Building the `coi` image.
 *
 * Without a base (the default), no image server is needed: debootstrap
 * makes a Debian bookworm tree from the mirror this host's apt uses, the
 * recipe (lib/image/provision.sh) configures it in a chroot, and the tree is
 * tarred and imported.  The configured tree is cached under /var/cache/coi by
 * a hash of the recipe, so a rebuild takes seconds.
 *
 * With a base ("images:ubuntu/24.04", any "remote:alias" of a simplestreams
 * or Incus image server, or a local image), a build container `coi-build` is
 * launched from it, the same recipe runs inside through the exec API, and
 * the stopped container is published.
 *
 * Either way the new image gets the alias "<alias>-YYYYMMDD-HHMMSS" and the
 * stable alias is moved to it; earlier images stay (`coi image cleanup`). */
#ifndef COI_IMAGE_BUILD_H
#define COI_IMAGE_BUILD_H

#include <stdbool.h>

#include "incus/client.h"

struct coi_build_opts
{
  const char *alias; /* stable alias; NULL: "coi" */
  const char *base;  /* NULL: debootstrap */
  bool force;        /* build even when the alias exists */
  const char *const *env; /* the caller's environment (remotes, cache, mirror) */
};

enum
{
  COI_BUILD_BUILT = 0,
  COI_BUILD_EXISTS = 1, /* alias present and no force: nothing done */
};

/* Returns COI_BUILD_BUILT (with *fingerprint set when not NULL),
 * COI_BUILD_EXISTS, or -1 with *err. */
int coi_image_build (struct incus_client *c, const struct coi_build_opts *o, char **fingerprint,
                     coi_error_t *err);

#endif
