/* The launcher's side of a guarded session, for the monitor tests:
 * test_monitor_spawn COI_BINARY SPEC_PATH starts a supervisor through
 * coi_supervisor_spawn, prints its pid and exits, leaving it detached. */
#include <stdio.h>
#include <string.h>

#include "monitor/guard_spec.h"
#include "monitor/supervisor.h"
#include "util/error.h"

int main (int argc, char **argv)
{
  if (argc != 3)
    {
      fprintf (stderr, "usage: %s COI_BINARY SPEC_PATH\n", argv[0]);
      return 2;
    }
  coi_error_t err = NULL;
  pid_t pid = 0;
  if (coi_supervisor_spawn (argv[1], argv[2], -1, &pid, &err) < 0)
    return coi_error_report (&err, stderr);
  struct coi_guard_spec spec;
  coi_guard_spec_init (&spec);
  if (coi_guard_spec_load (argv[2], &spec, &err) < 0)
    return coi_error_report (&err, stderr);
  bool guarded = false;
  pid_t holder = 0;
  /* The answer comes after the lock is taken (beside the spec): status
     must agree at once. */
  char dir[4096];
  snprintf (dir, sizeof dir, "%s", argv[2]);
  char *slash = strrchr (dir, '/');
  if (slash)
    *slash = '\0';
  int r = coi_supervisor_status_in (slash ? dir : ".", spec.container, &guarded, &holder);
  coi_guard_spec_clear (&spec);
  if (r < 0 || !guarded || holder != pid)
    {
      fprintf (stderr, "supervisor %d started but status says guarded=%d pid=%d\n", (int) pid, guarded, (int) holder);
      return 1;
    }
  printf ("%d\n", (int) pid);
  return 0;
}
