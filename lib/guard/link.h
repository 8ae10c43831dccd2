/* A coi process's way to its server's guard service: where the socket is,
 * whose state directory the guard should write into (as the caller), and a
 * connection opened on first use. */
#ifndef COI_GUARD_LINK_H
#define COI_GUARD_LINK_H

#include <jansson.h>

#include "guard/client.h"
#include "guard/where.h"

struct coi_guard_link
{
  struct coi_guard_where where;
  char state_dir[256];             /* the caller's ~/.coi */
  struct coi_guard_client *client; /* NULL until first used */
};

/* incus_socket: the server's unix socket (NULL: the machine's own).
 * override_socket: COI_GUARD_SOCKET or NULL.  state_dir: ~/.coi. */
int coi_guard_link_init (struct coi_guard_link *l, const char *incus_socket,
                         const char *override_socket, const char *state_dir, coi_error_t *err);
void coi_guard_link_clear (struct coi_guard_link *l);
/* Connect (once) and call; see coi_guard_call. */
int coi_guard_link_call (struct coi_guard_link *l, const char *op, json_t *args, json_t **result,
                         coi_error_t *err);
int coi_guard_link_call_fd (struct coi_guard_link *l, const char *op, json_t *args,
                            json_t **result, int *fd, coi_error_t *err);

#endif
