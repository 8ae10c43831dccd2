#include "cli/session_request.h"

#include <string.h>

#include "session/lifecycle.h"

void coi_cli_session_request (struct coi_ctx *ctx, enum coi_session_kind kind,
                              struct coi_session_request *req)
{
  const struct coi_global_opts *g = &ctx->global;
  *req = (struct coi_session_request) {
    .kind = kind,
    .workspace = g->workspace,
    .slot = g->slot,
    .image = g->image,
    .persistent = g->persistent_set ? g->persistent : -1,
    .resume = g->continue_ ? g->continue_ : g->resume,
    .profile = g->profile,
    .env_flags = (const char *const *) g->env,
    .mount_flags = (const char *const *) g->mount,
    .network = g->network,
    .remote = g->remote,
    .project = g->project,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .stderr_fd = -1,
    .env = ctx->env,
    .sink = &ctx->sink,
    .progname = ctx->progname,
  };
}

int coi_cli_session_run (struct coi_ctx *ctx, const struct coi_session_request *req,
                         coi_error_t *err)
{
  struct incus_client *c;
  struct coi_session_plan plan;
  memset (&plan, 0, sizeof plan);
  int rc = -1;
  if (coi_ctx_client (ctx, &c, err) == 0 && coi_session_plan_init (&plan, c, req, err) == 0)
    rc = coi_session_run (c, &plan, err);
  coi_session_plan_clear (&plan);
  return rc;
}
