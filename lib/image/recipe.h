/* What goes into the coi image, and the keys under which built trees are
 * cached: a key changes whenever anything that shapes the tree changes. */
#ifndef COI_IMAGE_RECIPE_H
#define COI_IMAGE_RECIPE_H

#include <stddef.h>

#include "util/error.h"

#define COI_IMAGE_ALIAS "coi"
#define COI_IMAGE_SUITE "bookworm"
#define COI_BUILD_CONTAINER "coi-build"
/* Where the target finds the recipe and the dummy agent while it runs. */
#define COI_PROVISION_PATH "/tmp/coi-provision.sh"
#define COI_DUMMY_PATH "/tmp/coi-dummy"

/* Compiled in from lib/image/provision.sh and testdata/dummy/dummy. */
extern const unsigned char coi_provision_sh[];
extern const size_t coi_provision_sh_len;
extern const unsigned char coi_dummy_sh[];
extern const size_t coi_dummy_sh_len;

/* debootstrap's argument list before suite, target and mirror (NULL-ended). */
extern const char *const coi_debootstrap_options[];

struct coi_stage;

/* 16 hex digits naming a cache layer: "debootstrap" (suite, options,
 * architecture) or "rootfs" (that plus every staged file: the recipe, the
 * dummy agent, the host's CAs).  `stage` is only read for "rootfs". */
int coi_recipe_key (const char *layer, const struct coi_stage *stage, char out[17],
                    coi_error_t *err);

/* The Incus architecture name of this host ("x86_64", "aarch64"). */
const char *coi_host_arch (void);

#endif
