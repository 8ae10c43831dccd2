#include "guard/link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int coi_guard_link_init (struct coi_guard_link *l, const char *incus_socket,
                         const char *override_socket, const char *state_dir, coi_error_t *err)
{
  memset (l, 0, sizeof *l);
  if ((size_t) snprintf (l->state_dir, sizeof l->state_dir, "%s", state_dir ? state_dir : "")
      >= sizeof l->state_dir)
    return coi_error_make (err, ENAMETOOLONG, "state directory %s: path too long", state_dir);
  return coi_guard_where_for (incus_socket, override_socket, &l->where, err);
}

void coi_guard_link_clear (struct coi_guard_link *l)
{
  if (l->client)
    coi_guard_client_free (l->client);
  l->client = NULL;
}

int coi_guard_link_call_fd (struct coi_guard_link *l, const char *op, json_t *args,
                            json_t **result, int *fd, coi_error_t *err)
{
  if (l->client == NULL && coi_guard_connect (l->where.socket, &l->client, err) < 0)
    {
      json_decref (args);
      return -1;
    }
  return coi_guard_call_fd (l->client, op, args, result, fd, err);
}

int coi_guard_link_call (struct coi_guard_link *l, const char *op, json_t *args, json_t **result,
                         coi_error_t *err)
{
  return coi_guard_link_call_fd (l, op, args, result, NULL, err);
}
