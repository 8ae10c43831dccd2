/* What every op on a named session starts with: the request names a
 * container, and the caller may act on it only if it is theirs. */
#include "guard/server_private.h"

bool guard_may (const struct gconn *c, const struct gsession *s)
{
  return c->peer.uid == 0 || c->peer.uid == s->owner.uid;
}

int guard_args_container_only (struct guard_call *call, const char **name)
{
  static const char *const keys[] = { "container", NULL };
  return coi_guard_args_only (call->args, keys, &call->err) < 0
                 || coi_guard_arg_container (call->args, name, &call->err) < 0
             ? -1
             : 0;
}

int guard_session_of (struct guard_call *call, const char *name, struct gsession **s)
{
  *s = gsession_find (call->g, name);
  if (*s == NULL)
    return 0;
  if (!guard_may (call->conn, *s))
    {
      guard_fail (call, COI_GUARD_DENIED, "%s belongs to %s", name, (*s)->owner.name);
      *s = NULL;
      return -1;
    }
  return 1;
}
