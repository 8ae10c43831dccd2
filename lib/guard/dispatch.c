/* One request in, its reply out: the request checked, its op run, its
 * failure turned into the protocol's kinds.  Kept apart from the socket
 * loop so that a fuzzer drives exactly what a caller reaches. */
#include <errno.h>

#include "guard/server_private.h"
#include "util/cleanup.h"

json_t *guard_answer (struct guard *g, struct gconn *c, json_t *msg, int *fd)
{
  struct guard_call call = { .g = g, .conn = c, .fd = -1 };
  _cleanup_error_ coi_error_t perr = NULL;
  const char *op = NULL;
  *fd = -1;
  if (coi_guard_parse_request (msg, &op, &call.args, &perr) < 0)
    return coi_guard_reply_error (perr->status == EPROTONOSUPPORT ? COI_GUARD_UNSUPPORTED : COI_GUARD_INVALID,
                                  perr->msg);
  guard_op_fn fn = guard_op_lookup (op);
  json_t *result = NULL;
  if (fn == NULL)
    guard_fail (&call, COI_GUARD_UNSUPPORTED, "unknown op '%s'", op);
  else
    result = fn (&call);
  if (call.deferred)
    {
      coi_error_release (&call.err);
      return NULL;
    }
  *fd = call.fd;
  if (result)
    return coi_guard_reply_ok (result);
  if (call.err == NULL)
    guard_fail (&call, COI_GUARD_FAILED, "failed");
  /* The argument checks fail with EINVAL and no kind of their own. */
  if (call.kind == COI_GUARD_OK)
    call.kind = call.err->status == EINVAL ? COI_GUARD_INVALID : COI_GUARD_FAILED;
  json_t *reply = coi_guard_reply_error (call.kind, call.err->msg);
  coi_info (g->sink, "%s by %s refused: %s", op, c->peer.name, call.err->msg);
  coi_error_release (&call.err);
  return reply;
}
