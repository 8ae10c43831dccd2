#include "cli/output.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"
#include "util/clock.h"

int coi_print_json (json_t *j, coi_error_t *err)
{
  if (j == NULL || json_dumpf (j, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER) < 0)
    return coi_error_make (err, 0, "print JSON: cannot encode");
  putchar ('\n');
  return 0;
}

int coi_check_format (const char *format, const char *allowed, coi_error_t *err)
{
  if (format == NULL)
    return 0;
  size_t n = strlen (format);
  for (const char *p = allowed; *p;)
    {
      const char *bar = strchr (p, '|');
      size_t len = bar ? (size_t) (bar - p) : strlen (p);
      if (len == n && strncmp (p, format, n) == 0)
        return 0;
      p += len + (bar ? 1 : 0);
    }
  return coi_error_usage (err, "invalid format '%s' (expected %s)", format, allowed);
}

bool coi_confirm (const char *question)
{
  char line[64];
  fprintf (stderr, "%s [y/N]: ", question);
  fflush (stderr);
  if (fgets (line, sizeof line, stdin) == NULL)
    return false;
  return line[0] == 'y' || line[0] == 'Y';
}

static void emit_stderr (void *data, enum coi_notice level, const char *line)
{
  (void) data;
  if (level == COI_NOTICE_WARNING)
    fprintf (stderr, "coi: warning: %s\n", line);
  else
    fprintf (stderr, "%s\n", line);
}

void coi_cli_sink (struct coi_sink *sink)
{
  *sink = (struct coi_sink) { .emit = emit_stderr, .data = NULL };
}

static void emit_log (void *data, enum coi_notice level, const char *line)
{
  (void) data;
  char ts[32];
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  coi_iso8601_ms (ts, &now);
  fprintf (stderr, "%s %s%s\n", ts, level == COI_NOTICE_WARNING ? "warning: " : "", line);
}

void coi_cli_log_sink (struct coi_sink *sink)
{
  *sink = (struct coi_sink) { .emit = emit_log, .data = NULL };
  /* A line at a time: the log is read while the service runs. */
  setvbuf (stderr, NULL, _IOLBF, 0);
}
