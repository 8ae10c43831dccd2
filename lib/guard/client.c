#include "guard/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/cleanup.h"

struct coi_guard_client
{
  int fd;
  char path[108];
};

int coi_guard_connect (const char *socket_path, struct coi_guard_client **out, coi_error_t *err)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  if (strlen (socket_path) >= sizeof a.sun_path)
    return coi_error_make (err, ENAMETOOLONG, "guard socket %s: path too long", socket_path);
  strcpy (a.sun_path, socket_path);
  _cleanup_close_ int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return coi_error_errno (err, errno, "connect to the guard service");
  if (connect (fd, (struct sockaddr *) &a, sizeof a) < 0)
    {
      int e = errno;
      coi_error_errno (err, e, "connect to the guard service at %s", socket_path);
      if (e == ENOENT || e == ECONNREFUSED)
        coi_error_set_hint (err, "the guard service is not running: scripts/coi-up.sh starts it "
                                 "(as root: coi guard)");
      else if (e == EACCES)
        coi_error_set_hint (err, "the socket belongs to the incus-admin group: add yourself to it "
                                 "(usermod -aG incus-admin $USER) and log in again");
      return -1;
    }
  struct coi_guard_client *g = calloc (1, sizeof *g);
  if (g == NULL)
    return coi_error_errno (err, ENOMEM, "connect to the guard service");
  g->fd = steal_fd (&fd);
  snprintf (g->path, sizeof g->path, "%s", socket_path);
  *out = g;
  return 0;
}

void coi_guard_client_free (struct coi_guard_client *g)
{
  if (g->fd >= 0)
    close (g->fd);
  free (g);
}

static int status_of (enum coi_guard_kind k)
{
  switch (k)
    {
    case COI_GUARD_INVALID:
      return EINVAL;
    case COI_GUARD_DENIED:
      return EACCES;
    case COI_GUARD_NOT_FOUND:
      return ENOENT;
    case COI_GUARD_BUSY:
      return EBUSY;
    case COI_GUARD_UNSUPPORTED:
      return EOPNOTSUPP;
    default:
      return EIO;
    }
}

int coi_guard_call_fd (struct coi_guard_client *g, const char *op, json_t *args, json_t **result,
                       int *fd, coi_error_t *err)
{
  if (result)
    *result = NULL;
  if (fd)
    *fd = -1;
  _cleanup_json_ json_t *req = coi_guard_request (op, args);
  if (req == NULL)
    return coi_error_errno (err, ENOMEM, "guard %s", op);
  _cleanup_json_ json_t *reply = NULL;
  _cleanup_close_ int got = -1;
  if (coi_guard_send (g->fd, req, -1, err) < 0)
    return coi_error_prefix (err, "guard %s", op);
  int r = coi_guard_recv (g->fd, &reply, &got, err);
  if (r < 0)
    return coi_error_prefix (err, "guard %s", op);
  if (r == 0)
    return coi_error_make (err, ECONNRESET, "guard %s: the guard service closed the connection", op);
  json_t *ok = json_object_get (reply, "ok");
  if (!json_is_boolean (ok))
    return coi_error_make (err, EPROTO, "guard %s: unreadable reply", op);
  if (json_is_false (ok))
    {
      const char *msg = json_string_value (json_object_get (reply, "error"));
      enum coi_guard_kind k = coi_guard_kind_parse (json_string_value (json_object_get (reply, "kind")));
      return coi_error_make (err, status_of (k), "guard %s: %s", op, msg ? msg : "failed");
    }
  if (result)
    {
      json_t *res = json_object_get (reply, "result");
      *result = json_incref (json_is_object (res) ? res : NULL);
      if (*result == NULL && (*result = json_object ()) == NULL)
        return coi_error_errno (err, ENOMEM, "guard %s", op);
    }
  if (fd)
    *fd = steal_fd (&got);
  return 0;
}

int coi_guard_call (struct coi_guard_client *g, const char *op, json_t *args, json_t **result,
                    coi_error_t *err)
{
  return coi_guard_call_fd (g, op, args, result, NULL, err);
}
