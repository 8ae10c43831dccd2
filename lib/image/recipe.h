/* What goes into the coi image, and the keys under which built trees are
 * cached: a key changes whenever anything that shapes the tree changes. */
#ifndef COI_IMAGE_RECIPE_H
#define COI_IMAGE_RECIPE_H

#include <jansson.h>
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

/* Whether an image (an object from GET /1.0/images/FP) holds what this coi
 * expects: the rootfs recipe key in its "coi.recipe" property and the
 * template version in "coi.templates".  An image without "coi.recipe" was
 * made from a base image or by something else: not ours to judge. */
enum coi_image_fresh
{
  COI_IMAGE_CURRENT,
  COI_IMAGE_STALE,
  COI_IMAGE_UNTRACKED,
};
/* `stage` as collected for a build (NULL: collected here); `key` receives
 * this coi's rootfs key. */
int coi_image_freshness (json_t *image, const struct coi_stage *stage, char key[17],
                         enum coi_image_fresh *out, coi_error_t *err);

/* The Incus architecture name of this host ("x86_64", "aarch64"). */
const char *coi_host_arch (void);

#endif
