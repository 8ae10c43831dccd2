/* Asking the guard service: one connection, one request at a time. */
#ifndef COI_GUARD_CLIENT_H
#define COI_GUARD_CLIENT_H

#include <jansson.h>

#include "guard/proto.h"
#include "util/error.h"

struct coi_guard_client;

/* Connect to the socket.  A missing or refusing socket is one clear error
 * (status ENOENT/ECONNREFUSED) with a hint on starting the service. */
int coi_guard_connect (const char *socket_path, struct coi_guard_client **out, coi_error_t *err);
void coi_guard_client_free (struct coi_guard_client *g);
static inline void cleanup_guard_clientp (struct coi_guard_client **g)
{
  if (*g)
    coi_guard_client_free (*g);
}
#define _cleanup_guard_client_ __attribute__ ((cleanup (cleanup_guard_clientp)))

/* Send op with args (stolen), wait for the reply: 0 with *result (may be
 * NULL when not wanted), or -1 with *err "<op>: <the guard's error>" and
 * (*err)->status set from the reply's kind (EINVAL, EACCES, ENOENT, EBUSY,
 * EOPNOTSUPP, EIO). */
int coi_guard_call (struct coi_guard_client *g, const char *op, json_t *args, json_t **result,
                    coi_error_t *err);
/* The same with a descriptor received alongside the reply (*fd -1: none). */
int coi_guard_call_fd (struct coi_guard_client *g, const char *op, json_t *args, json_t **result,
                       int *fd, coi_error_t *err);

#endif
