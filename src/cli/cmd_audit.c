/* coi audit [CONTAINER] [--follow] [--format text|json]: a session's audit
 * log, ~/.coi/audit/<container>.jsonl.  json prints the records as they are
 * stored (JSON Lines), so --follow can stream them. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_container_common.h"
#include "cli/command.h"
#include "cli/output.h"
#include "monitor/audit_read.h"
#include "monitor/paths.h"
#include "session/naming.h"
#include "util/cleanup.h"

#define FOLLOW_POLL_MS 200

struct audit_opts
{
  bool follow;
  char *format;
};

static const struct coi_opt audit_opts[] = {
  { "follow", 'f', OPT_BOOL, OPT_AT (struct audit_opts, follow), "Keep printing new records as they are written", NULL, NULL },
  { "format", 0, OPT_STRING, OPT_AT (struct audit_opts, format), "Output format (text|json)", NULL, "FORMAT" },
  OPT_END,
};

static void print_record (const char *line, json_t *rec, void *data)
{
  bool json = *(bool *) data;
  if (json || rec == NULL)
    {
      /* Stored lines are already one compact object each. */
      puts (line);
      return;
    }
  _cleanup_buf_ struct buf out = { 0 };
  if (coi_audit_format_text (rec, &out) == 0)
    puts (out.data ? out.data : "");
  fflush (stdout);
}

/* The log may outlive its container, so a name given (or in $COI_CONTAINER)
 * is taken as is; only the workspace lookup asks Incus. */
static int audit_target (struct coi_ctx *ctx, const char *arg, char **name, coi_error_t *err)
{
  const char *env = getenv ("COI_CONTAINER");
  const char *given = arg ? arg : (env && *env ? env : NULL);
  if (given)
    {
      if (!coi_valid_container_name (given))
        return coi_error_usage (err, "invalid container name \"%s\"", given);
      *name = strdup (given);
      return *name ? 0 : coi_error_errno (err, ENOMEM, "audit");
    }
  struct incus_client *c = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  return coi_resolve_container (ctx, c, NULL, name, err);
}

COI_HANDLER (cmd_audit)
{
  struct audit_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, audit_opts, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (p.npos > 1)
    return coi_error_usage (err, "audit takes at most one container name");
  if (coi_check_format (format, "text|json", err) < 0)
    return -1;
  bool json = format && strcmp (format, "json") == 0;
  _cleanup_free_ char *name = NULL, *path = NULL;
  if (audit_target (ctx, p.npos ? pos[0] : NULL, &name, err) < 0 || coi_audit_path (name, &path, err) < 0)
    return -1;
  struct coi_audit_reader rd;
  bool exists = false;
  if (coi_audit_reader_open (&rd, path, &exists, err) < 0)
    return -1;
  if (!exists && !o.follow)
    {
      coi_audit_reader_close (&rd);
      coi_error_make (err, ENOENT, "no audit log for %s (%s)", name, path);
      coi_error_set_hint (err, "the log is written while [monitoring] enabled = true or a supervisor guards the session");
      return -1;
    }
  int n = coi_audit_reader_poll (&rd, path, print_record, &json);
  fflush (stdout);
  while (o.follow && n >= 0)
    {
      struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };
      nanosleep (&ts, NULL);
      n = coi_audit_reader_poll (&rd, path, print_record, &json);
      fflush (stdout);
    }
  coi_audit_reader_close (&rd);
  if (n < 0)
    return coi_error_errno (err, errno, "read %s", path);
  return 0;
}
