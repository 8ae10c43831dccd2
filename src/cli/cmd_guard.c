/* coi guard: the guard service for this machine's Incus server, or for the
 * one INCUS_DIR names (lib/guard/server.h).  Root only; started by
 * scripts/coi-up.sh like incusd. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/output.h"
#include "guard/server.h"
#include "incus/remote.h"
#include "util/cleanup.h"

struct guard_opts
{
  char *group;
};

static const struct coi_opt guard_options[] = {
  { "group", 0, OPT_STRING, OPT_AT (struct guard_opts, group), "Group allowed on the socket (default incus-admin)", NULL, "GROUP" },
  OPT_END,
};

COI_HANDLER (cmd_guard)
{
  struct guard_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, guard_options, &o, false, &p, err);
  _cleanup_free_ char *group = o.group;
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (p.npos > 0)
    return coi_error_usage (err, "guard takes no arguments");
  _cleanup_free_ char *incus_socket = incus_local_socket (ctx->env);
  if (incus_socket == NULL)
    return coi_error_errno (err, ENOMEM, "guard");
  /* A root service keeps nothing its starter had open: not a lock, not a
     pipe a job waits on, not a file a user could have handed it. */
  if (close_range (3, ~0U, 0) < 0)
    return coi_error_errno (err, errno, "guard: close inherited descriptors");
  struct coi_sink sink;
  coi_cli_log_sink (&sink);
  struct coi_guard_server_opts so = {
    .incus_socket = incus_socket,
    .socket_override = coi_env_get (ctx->env, "COI_GUARD_SOCKET"),
    .group = group,
    .sink = &sink,
  };
  return coi_guard_serve (&so, err) < 0 ? -1 : 0;
}
