/* Where a session's files for its user live: the launcher's claim and the
 * supervisor's alert lines under the user's run directory, the audit log
 * under ~/.coi/audit.  The supervisor's own lock, spec and log are the
 * guard's, in its state directory (guard/where.h). */
#ifndef COI_MONITOR_PATHS_H
#define COI_MONITOR_PATHS_H

#include "util/error.h"

/* ~/.coi/run (root's too); created 0700.  Caller frees. */
int coi_run_dir (char **out, coi_error_t *err);
/* The same path without creating it (it may not exist). */
int coi_run_dir_peek (char **out, coi_error_t *err);
/* "<run dir>/<container><suffix>", e.g. suffix ".lock" (creating the
 * directory, for writers). */
int coi_run_path (const char *container, const char *suffix, char **out, coi_error_t *err);
/* The same path without creating anything: for readers (`coi list` asking
 * whether a container is guarded) and for removal after the session. */
int coi_run_path_peek (const char *container, const char *suffix, char **out, coi_error_t *err);
/* ~/.coi/audit, created 0700 (the log holds command lines). */
int coi_audit_dir (char **out, coi_error_t *err);
/* ~/.coi/audit/<container>.jsonl */
int coi_audit_path (const char *container, char **out, coi_error_t *err);

#define COI_RUN_LOCK ".lock"
#define COI_RUN_SPEC ".spec.json"
#define COI_RUN_LOG ".supervisor.log"
#define COI_RUN_ALERTS ".alerts"
/* The launcher's claim on a container it is starting (session/supervise.c). */
#define COI_RUN_CLAIM ".claim"

#endif
