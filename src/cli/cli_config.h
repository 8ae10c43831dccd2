/* Loading the configuration for a command from its global flags. */
#ifndef COI_CLI_CLI_CONFIG_H
#define COI_CLI_CLI_CONFIG_H

#include "cli/command.h"
#include "config/config.h"

/* --workspace, --profile, --network, --image and --persistent become the
 * load options and flag overrides. */
int coi_ctx_config (struct coi_ctx *ctx, bool quiet, struct coi_config **out, coi_error_t *err);
/* The workspace of this invocation, absolute (--workspace or the cwd). */
char *coi_ctx_workspace (struct coi_ctx *ctx, coi_error_t *err);

#endif
