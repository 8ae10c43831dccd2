/* coi build [--force] [--base IMAGE]: make the `coi` image (lib/image). */
#include <stdio.h>

#include "cli/command.h"
#include "image/build.h"
#include "util/cleanup.h"

struct build_opts
{
  bool force;
  char *base;
};

static const struct coi_opt build_opts[] = {
  { "force", 'f', OPT_BOOL, OPT_AT (struct build_opts, force), "Rebuild even if the image exists", NULL, NULL },
  { "base", 0, OPT_STRING, OPT_AT (struct build_opts, base),
    "Build from this image ([REMOTE:]ALIAS, e.g. images:ubuntu/24.04) instead of debootstrap", NULL, "IMAGE" },
  OPT_END,
};

COI_HANDLER (cmd_build)
{
  struct build_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, build_opts, &o, false, &p, err);
  _cleanup_free_ char *base = o.base;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos > 0)
    return coi_error_usage (err, "build takes no arguments (got '%s')", pos[0]);

  struct incus_client *c = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  struct coi_build_opts bo = { .alias = NULL, .base = base, .force = o.force, .env = ctx->env };
  r = coi_image_build (c, &bo, NULL, err);
  if (r < 0)
    return -1;
  if (r == COI_BUILD_EXISTS)
    printf ("Image 'coi' already exists. Use --force to rebuild.\n");
  return 0;
}
