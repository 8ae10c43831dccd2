/* Global flags to configuration load options. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli_config.h"
#include "util/cleanup.h"

char *coi_ctx_workspace (struct coi_ctx *ctx, coi_error_t *err)
{
  const char *ws = ctx->global.workspace;
  char cwd[PATH_MAX];
  if (ws == NULL || *ws == '\0')
    {
      if (getcwd (cwd, sizeof cwd) == NULL)
        {
          coi_error_errno (err, errno, "current directory");
          return NULL;
        }
      ws = cwd;
    }
  char *real = realpath (ws, NULL);
  if (real == NULL)
    coi_error_errno (err, errno, "workspace %s", ws);
  return real;
}

int coi_ctx_config (struct coi_ctx *ctx, bool quiet, struct coi_config **out, coi_error_t *err)
{
  _cleanup_free_ char *ws = coi_ctx_workspace (ctx, err);
  if (ws == NULL)
    return -1;
  _cleanup_free_ char *network = NULL, *image = NULL;
  const char *flags[4] = { 0 };
  size_t n = 0;
  if (ctx->global.network && asprintf (&network, "network.mode=%s", ctx->global.network) >= 0)
    flags[n++] = network;
  if (ctx->global.image && asprintf (&image, "container.image=%s", ctx->global.image) >= 0)
    flags[n++] = image;
  if (ctx->global.persistent_set)
    flags[n++] = ctx->global.persistent ? "container.persistent=true" : "container.persistent=false";
  struct coi_config_load_opts o = { .workspace = ws, .profile = ctx->global.profile, .flag_overrides = flags,
                                    .env = ctx->env, .quiet = quiet };
  return coi_config_load (&o, out, err);
}
