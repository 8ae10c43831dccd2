#include "session/attach_alerts.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monitor/paths.h"
#include "monitor/supervisor.h"
#include "term/notice.h"
#include "util/cleanup.h"

#define ALERT_PREFIX "[coi] "

static void print_line (const char *line, void *data)
{
  struct coi_attach_alerts *a = data;
  /* A terminal that cannot take the line loses only the line: the alert
     is also in the audit log. */
  (void) term_notice_write (a->out_fd, ALERT_PREFIX, line, a->raw);
}

static int on_alerts (int fd, void *data, coi_error_t *err)
{
  (void) fd, (void) err;
  struct coi_attach_alerts *a = data;
  coi_alerts_tail_read (&a->tail, print_line, a);
  return 0;
}

void coi_attach_alerts_hook (struct coi_attach_alerts *a, const char *container,
                             struct incus_exec_opts *o, const struct coi_sink *sink)
{
  memset (a, 0, sizeof *a);
  a->tail.fd = a->tail.watch_fd = -1;
  int out_fd = o->interactive ? o->stdout_fd : o->stderr_fd;
  /* A supervisor makes the file when it starts: none, nothing to show. */
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t perr = NULL;
  if (out_fd < 0 || coi_run_path_peek (container, COI_RUN_ALERTS, &path, &perr) < 0 || access (path, F_OK) < 0)
    return;
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_alerts_tail_open (container, &a->tail, &err) < 0)
    {
      coi_warn (sink, "monitoring alerts will not be shown here: %s", err->msg);
      return;
    }
  a->on = true;
  a->raw = o->interactive;
  a->out_fd = out_fd;
  o->extra_fd = coi_alerts_tail_fd (&a->tail);
  o->on_extra = on_alerts;
  o->extra_data = a;
}

void coi_attach_alerts_release (struct coi_attach_alerts *a)
{
  if (a->on)
    coi_alerts_tail_close (&a->tail);
  a->on = false;
}
