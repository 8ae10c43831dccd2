/* `coi health`: one line per check of what coi needs, grouped by category,
 * each ok, warning, failed or skipped, and every warning or failure naming
 * the command that mends it.  The report is data: text and JSON are two
 * renderings of it (docs/health.md describes both). */
#ifndef COI_HEALTH_HEALTH_H
#define COI_HEALTH_HEALTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct incus_client;
struct coi_config;

/* Worst last: the overall status is the largest of the checks'. */
enum coi_health_status
{
  COI_HEALTH_OK,
  COI_HEALTH_SKIP, /* not checked: what it needs failed (said on its own line) */
  COI_HEALTH_WARN,
  COI_HEALTH_FAIL,
};

/* In the order they are printed. */
enum coi_health_category
{
  COI_HEALTH_SYSTEM,
  COI_HEALTH_CRITICAL,
  COI_HEALTH_NETWORKING,
  COI_HEALTH_MONITORING,
  COI_HEALTH_STORAGE,
  COI_HEALTH_CONFIGURATION,
  COI_HEALTH_STATUS,
  COI_HEALTH_OPTIONAL,
  COI_HEALTH_NCATEGORIES,
};

struct coi_health_check
{
  enum coi_health_category category;
  const char *name; /* static: "incus", "pool-space" */
  enum coi_health_status status;
  char *message;    /* one line */
  char *fix;        /* the command that mends it; set exactly for warnings and failures */
  char **details;   /* more lines, shown with --verbose and always in JSON */
  size_t ndetails;
};

struct coi_health_report
{
  struct coi_health_check *checks;
  size_t n;
};

void coi_health_report_clear (struct coi_health_report *r);

/* Append a check with its message (printf-style); fix must be given for a
 * warning or a failure and is dropped otherwise.  Returns the check, or
 * NULL when out of memory. */
struct coi_health_check *coi_health_add (struct coi_health_report *r,
                                         enum coi_health_category category, const char *name,
                                         enum coi_health_status status, const char *fix,
                                         const char *fmt, ...)
    __attribute__ ((format (printf, 6, 7)));
int coi_health_detail (struct coi_health_check *c, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* healthy (exit 0): no warning and no failure; degraded (exit 1): a warning;
 * unhealthy (exit 2): a failure.  Skipped checks count for nothing. */
enum coi_health_status coi_health_overall (const struct coi_health_report *r);
int coi_health_exit_code (const struct coi_health_report *r);
const char *coi_health_overall_name (const struct coi_health_report *r);
const char *coi_health_status_name (enum coi_health_status s);    /* "ok", "warning", ... */
const char *coi_health_category_name (enum coi_health_category c); /* "SYSTEM", ... */

/* The text report: each category heading, then "  [OK]   name: message"
 * lines ("; run: FIX" after a warning or failure, details below with
 * verbose), then one summary line.  Caller frees. */
char *coi_health_text (const struct coi_health_report *r, bool verbose);
/* {"format_version", "status", "exit_code", "counts", "checks": [{"category",
 * "name", "status", "message", "fix", "details"}]} */
json_t *coi_health_json (const struct coi_health_report *r);

/* Free space below these is a warning, and below the first a failure. */
#define COI_HEALTH_SPACE_FAIL_BYTES (1ull << 30)
#define COI_HEALTH_SPACE_WARN_BYTES (5ull << 30)
enum coi_health_status coi_health_space_status (uint64_t free_bytes);
/* An image built longer ago than this is a warning (its packages age). */
#define COI_HEALTH_IMAGE_MAX_AGE_DAYS 30

/* What the checks look at.  Nothing is read from the environment: every
 * identity and path is given here (the CLI fills it). */
struct coi_guard_link;

struct coi_health_input
{
  struct incus_client *client;     /* the server coi uses; opened, not yet contacted */
  const char *client_error;        /* why it could not be opened (client NULL) */
  const char *socket_path;         /* its unix socket, NULL for a remote over HTTPS */
  const struct coi_config *config; /* NULL when it did not load */
  const char *config_error;        /* then why ("~/.coi/config.toml:3:7: ...") */
  uid_t uid;
  gid_t gid;
  const char *user;                /* name of uid */
  const char *subuid_path;         /* /etc/subuid */
  const char *subgid_path;         /* /etc/subgid */
  const char *state_dir;           /* ~/.coi */
  const char *run_dir;             /* the user's ~/.coi/run: launch claims, alerts */
  const char *container_prefix;    /* "coi-" */
  const char *setup_command;       /* mends a missing server, pool, bridge: "scripts/coi-up.sh --no-shell" */
  bool privileged;                 /* may change nftables (CAP_NET_ADMIN) */
  struct coi_guard_link *guard;    /* the server's guard service (NULL: a remote server) */
};

/* Run every check.  A check's own trouble is its status; -1 only when the
 * report cannot be made (out of memory). */
int coi_health_run (const struct coi_health_input *in, struct coi_health_report *out,
                    coi_error_t *err);

#endif
