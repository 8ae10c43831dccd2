/* The session spec a launcher writes for the supervisor: which container,
 * whether the session is ephemeral, its time limit, its network mode and the
 * [monitoring] thresholds.  A JSON file, so a supervisor started later (or
 * by hand) reads exactly what the launcher decided. */
#ifndef COI_MONITOR_GUARD_SPEC_H
#define COI_MONITOR_GUARD_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "netpolicy/site.h"
#include "util/error.h"

/* The [monitoring] keys, named as in the config file. */
struct coi_monitor_settings
{
  bool enabled;
  bool auto_pause_on_high;
  bool auto_kill_on_critical;
  int poll_interval_sec;              /* resource samples and rate windows */
  double file_read_threshold_mb;      /* per poll interval */
  double file_read_rate_mb_per_sec;
  double file_write_threshold_mb;
  double file_write_rate_mb_per_sec;
  int process_count_threshold;
  int process_spawn_rate_threshold;   /* new processes per poll interval */
  double network_egress_threshold_mb; /* per poll interval (coi addition) */
  double network_egress_rate_mb_per_sec;
  int audit_log_retention_days;
  int dedupe_window_sec;
};

void coi_monitor_settings_defaults (struct coi_monitor_settings *s);
/* Overlay the members of a [monitoring] table given as JSON (as the config
 * layer renders TOML).  Unknown keys and bad types fail naming the key. */
int coi_monitor_settings_from_json (struct coi_monitor_settings *s, json_t *table, coi_error_t *err);
json_t *coi_monitor_settings_to_json (const struct coi_monitor_settings *s);

/* Whose session it is, when a root supervisor (started by the guard
 * service) guards another user's session: the user-facing files (audit
 * log, alerts, network log) are opened as that user, under state_dir (the
 * user's ~/.coi), and the end of the session runs as them. */
struct coi_spec_owner
{
  bool set;
  uid_t uid;
  gid_t gid;
  char name[64];
  char *state_dir;
};

struct coi_guard_spec
{
  char *container;
  char *remote;     /* NULL: default remote */
  char *project;    /* NULL: default project */
  bool ephemeral;   /* delete the container when the session ends */
  time_t started_at;
  char *audit_log;  /* NULL: ~/.coi/audit/<container>.jsonl */
  char *network_mode; /* "restricted" | "allowlist" | "open" */
  json_t *allowed;  /* the allowlist as configured (names, CIDRs), for the audit log */
  int log_group;    /* nflog group of the session's rejects; 0: not logged */
  char *log_path;   /* network.log, absolute (the launcher resolved ~); NULL: none */
  int dns_query_threshold; /* new DNS names a minute; 0: the filter's default */
  bool log_dns_queries;    /* each query to the network log */
  json_t *limits;   /* the applied limits, echoed into the audit log (may be NULL) */
  long max_duration_sec; /* 0: none */
  bool auto_stop;
  bool stop_graceful;
  int stop_timeout_sec;
  struct coi_monitor_settings monitoring;
  struct coi_spec_owner owner;
  json_t *policy;   /* the network policy as applied (the DNS filter's), or NULL */
  bool has_site;
  struct coi_net_site site; /* where the guard keeps the session's rules */
};

void coi_guard_spec_init (struct coi_guard_spec *s);
void coi_guard_spec_clear (struct coi_guard_spec *s);
static inline void cleanup_guard_specp (struct coi_guard_spec *s)
{
  coi_guard_spec_clear (s);
}
#define _cleanup_guard_spec_ __attribute__ ((cleanup (cleanup_guard_specp)))

int coi_guard_spec_from_json (struct coi_guard_spec *s, json_t *j, coi_error_t *err);
json_t *coi_guard_spec_to_json (const struct coi_guard_spec *s);
int coi_guard_spec_load (const char *path, struct coi_guard_spec *s, coi_error_t *err);
/* Atomically, 0600. */
int coi_guard_spec_save (const char *path, const struct coi_guard_spec *s, coi_error_t *err);

#endif
