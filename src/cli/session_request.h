/* From the global flags to a session request (lib/session/plan.h). */
#ifndef COI_CLI_SESSION_REQUEST_H
#define COI_CLI_SESSION_REQUEST_H

#include "cli/command.h"
#include "session/plan.h"

/* The request the global flags make; the handler adds its own. */
void coi_cli_session_request (struct coi_ctx *ctx, enum coi_session_kind kind,
                              struct coi_session_request *req);
/* Plan and run the session: its exit code, or -1 with *err set. */
int coi_cli_session_run (struct coi_ctx *ctx, const struct coi_session_request *req,
                         coi_error_t *err);

#endif
