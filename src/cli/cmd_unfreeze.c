/* coi unfreeze [NAME]: resume a container the monitor paused on a HIGH
 * finding, record who resumed it, and tell its supervisor at once. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmd_container_common.h"
#include "cli/command.h"
#include "guard/state.h"
#include "incus/instance.h"
#include "monitor/audit.h"
#include "monitor/paths.h"
#include "monitor/supervisor.h"
#include "util/cleanup.h"

static const struct coi_opt unfreeze_opts[] = { OPT_END };

static void record (const char *container)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  struct coi_audit a = { .fd = -1 };
  if (coi_audit_path (container, &path, &err) < 0 || coi_audit_open (&a, path, container, &err) < 0)
    return;
  _cleanup_json_ json_t *f = json_pack ("{s:s, s:{s:s, s:i}}", "event", "unfrozen_by_user", "details", "command",
                                        "coi unfreeze", "uid", (int) getuid ());
  if (f)
    coi_audit_append (&a, COI_AUDIT_SESSION, f, true, &err);
  coi_audit_close (&a);
}

COI_HANDLER (cmd_unfreeze)
{
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, unfreeze_opts, NULL, false, &p, err);
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (p.npos > 1)
    return coi_error_usage (err, "unfreeze takes at most one container name");
  struct incus_client *c = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  _cleanup_free_ char *name = NULL;
  if (coi_resolve_container (ctx, c, p.npos ? pos[0] : NULL, &name, err) < 0)
    return -1;
  _cleanup_free_ char *status = NULL;
  if (incus_instance_status (c, name, &status, err) < 0)
    return -1;
  if (strcmp (status, "Frozen") != 0)
    {
      printf ("Container %s is not frozen (%s)\n", name, status);
      return 0;
    }
  /* Through the guard, which lifts the supervisor's hold (it would put a
     container paused behind its back right back). */
  struct coi_guard_link *guard;
  _cleanup_json_ json_t *states = NULL;
  struct coi_guard_state gs;
  if (coi_ctx_guard (ctx, &guard, err) < 0 || coi_guard_states (guard, &states, err) < 0)
    return -1;
  coi_guard_state_of (states, name, &gs);
  if (gs.known)
    {
      if (coi_guard_link_call (guard, "session.unfreeze", json_pack ("{s:s}", "container", name), NULL, err) < 0)
        return -1;
    }
  else if (incus_instance_set_state (c, name, "unfreeze", -1, false, err) < 0)
    return -1;
  record (name);
  if (gs.alive && gs.pid > 0)
    kill (gs.pid, SIGUSR1); /* re-read the status now rather than at its next poll */
  printf ("Container %s resumed\n", name);
  return 0;
}
