/* Shared by the two ways of building the image; not for callers. */
#ifndef COI_IMAGE_BUILD_PRIVATE_H
#define COI_IMAGE_BUILD_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>

#include "image/build.h"
#include "image/progress.h"
#include "image/stage.h"

struct coi_build
{
  struct incus_client *c;
  const char *alias;
  const char *base;
  char stamp[32];        /* YYYYMMDD-HHMMSS, UTC */
  char *versioned;       /* "<alias>-<stamp>" */
  struct coi_stage stage;
  struct coi_progress progress;
  int log_fd;            /* the build log, -1 if none */
  char *log_path;
  bool verbose;          /* COI_BUILD_VERBOSE: show every line */
  const char *const *env;
};

/* The environment the recipe runs with ("K=V", NULL-terminated; caller
 * frees with cleanup_strvp).  mode is "chroot" or "container".  The host's
 * proxies and registry (which may hold credentials) are included only
 * with_passthrough; coi_build_passthrough_env gives them alone. */
char **coi_build_recipe_env (const char *mode, bool with_passthrough, coi_error_t *err);
char **coi_build_passthrough_env (coi_error_t *err);

/* Properties recorded on the image. */
json_t *coi_build_properties (const struct coi_build *b, const char *base_desc);

/* Have the server unpack the image into its default pool now, where that
 * pool keeps image volumes, so that the first launch does not wait. */
int coi_build_warm (struct coi_build *b, const char *fingerprint, coi_error_t *err);

int coi_build_local (struct coi_build *b, char **fingerprint, coi_error_t *err);
int coi_build_remote (struct coi_build *b, char **fingerprint, coi_error_t *err);

#endif
