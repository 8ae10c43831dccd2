#include "monitor/paths.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/names.h"
#include "util/statedir.h"
#include "util/cleanup.h"
#include "util/fs.h"

static int home_subdir (const char *sub, bool create, char **out, coi_error_t *err)
{
  _cleanup_free_ char *home = NULL;
  if (coi_state_dir (&home, err) < 0)
    return -1;
  _cleanup_free_ char *dir = NULL;
  if (asprintf (&dir, "%s/%s", home, sub) < 0) /* home is ~/.coi */
    return coi_error_errno (err, ENOMEM, "build path");
  /* 0700: run files and the audit log name commands and addresses of the session. */
  if (create && coi_mkdir_p (dir, 0700, err) < 0)
    return -1;
  *out = steal_pointer (&dir);
  return 0;
}

/* The user's own run files (claims, alerts): ~/.coi/run, root's too; the
 * guard's are under its own state directory. */
static int run_dir (bool create, char **out, coi_error_t *err)
{
  return home_subdir ("run", create, out, err);
}

int coi_run_dir (char **out, coi_error_t *err)
{
  return run_dir (true, out, err);
}

int coi_run_dir_peek (char **out, coi_error_t *err)
{
  return run_dir (false, out, err);
}

static int run_path (const char *container, const char *suffix, bool create, char **out, coi_error_t *err)
{
  /* The name becomes a file name: an invalid one could climb out of the directory. */
  if (!coi_valid_container_name (container))
    return coi_error_usage (err, "invalid container name \"%s\"", container);
  _cleanup_free_ char *dir = NULL;
  if (run_dir (create, &dir, err) < 0)
    return -1;
  if (asprintf (out, "%s/%s%s", dir, container, suffix) < 0)
    return coi_error_errno (err, ENOMEM, "build path");
  return 0;
}

int coi_run_path (const char *container, const char *suffix, char **out, coi_error_t *err)
{
  return run_path (container, suffix, true, out, err);
}

int coi_run_path_peek (const char *container, const char *suffix, char **out, coi_error_t *err)
{
  return run_path (container, suffix, false, out, err);
}

int coi_audit_dir (char **out, coi_error_t *err)
{
  return home_subdir ("audit", true, out, err);
}

int coi_audit_path (const char *container, char **out, coi_error_t *err)
{
  if (!coi_valid_container_name (container))
    return coi_error_usage (err, "invalid container name \"%s\"", container);
  _cleanup_free_ char *dir = NULL;
  if (coi_audit_dir (&dir, err) < 0)
    return -1;
  if (asprintf (out, "%s/%s.jsonl", dir, container) < 0)
    return coi_error_errno (err, ENOMEM, "build path");
  return 0;
}
