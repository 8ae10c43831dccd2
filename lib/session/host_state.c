/* Host-side state keyed to a container name, removed once it is gone. */
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "monitor/supervisor.h"
#include "netpolicy/net.h"
#include "session/end.h"
#include "util/cleanup.h"

/* A supervisor outliving its container would take the next session of the
 * same slot for its own (same name): it is told to go, and waited for. */
void coi_container_stop_supervisor (const char *name)
{
  bool guarded = false;
  pid_t pid = 0;
  if (coi_supervisor_status (name, &guarded, &pid) < 0 || !guarded || pid <= 0 || pid == getpid ())
    return;
  if (kill (pid, SIGTERM) < 0)
    return;
  for (int i = 0; i < 150; i++)
    {
      struct timespec pause = { 0, 20 * 1000 * 1000 };
      nanosleep (&pause, NULL);
      if (coi_supervisor_status (name, &guarded, &pid) < 0 || !guarded)
        return;
    }
}

void coi_container_forget (const char *name)
{
  _cleanup_error_ coi_error_t ignored = NULL;
  coi_container_stop_supervisor (name);
  coi_net_teardown (name, &ignored);
}
