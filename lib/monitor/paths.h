/* Where a guarded session keeps its files: the supervisor's lock, session
 * spec, log and alert lines under the run directory, and the audit log under
 * ~/.coi/audit. */
#ifndef COI_MONITOR_PATHS_H
#define COI_MONITOR_PATHS_H

#include "util/error.h"

/* $COI_RUN_DIR, else /run/coi for root, else ~/.coi/run; created 0700.
 * Caller frees. */
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
