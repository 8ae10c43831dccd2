/* The supervisor's alert lines on the user's terminal while attached: the
 * attach's exec loop polls the alerts tail as its extra descriptor and
 * prints each new line between the session's output. */
#ifndef COI_SESSION_ATTACH_ALERTS_H
#define COI_SESSION_ATTACH_ALERTS_H

#include <stdbool.h>

#include "incus/exec.h"
#include "util/sink.h"
#include "monitor/alerts.h"

struct coi_attach_alerts
{
  struct coi_alerts_tail tail;
  bool on;
  int out_fd;
  bool raw;
};

/* Hook the alerts of `container` into the exec `o` (its extra descriptor):
 * printed on o->stdout_fd as raw-mode lines when o->interactive, else on
 * o->stderr_fd.  Only a guarded container has a supervisor writing alerts;
 * without one nothing is hooked (and no file is made).  A tail that cannot
 * be opened is said once on stderr and the attach goes on without it. */
void coi_attach_alerts_hook (struct coi_attach_alerts *a, const char *container,
                             struct incus_exec_opts *o, const struct coi_sink *sink);
void coi_attach_alerts_release (struct coi_attach_alerts *a);

static inline void cleanup_attach_alertsp (struct coi_attach_alerts *a)
{
  coi_attach_alerts_release (a);
}
#define _cleanup_attach_alerts_ __attribute__ ((cleanup (cleanup_attach_alertsp)))

#endif
