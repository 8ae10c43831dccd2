#include "guard/where.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

static int fits (char *dst, size_t cap, const char *what, coi_error_t *err, const char *fmt,
                 const char *a)
{
  if ((size_t) snprintf (dst, cap, fmt, a) >= cap)
    return coi_error_make (err, ENAMETOOLONG, "guard %s for %s: path too long", what, a);
  return 0;
}

int coi_guard_where_for (const char *incus_socket, const char *override_socket,
                         struct coi_guard_where *w, coi_error_t *err)
{
  memset (w, 0, sizeof *w);
  if (incus_socket == NULL || strcmp (incus_socket, COI_GUARD_DEFAULT_INCUS_SOCKET) == 0)
    {
      snprintf (w->state_dir, sizeof w->state_dir, "%s/guard", COI_GUARD_DEFAULT_HOME);
      snprintf (w->socket, sizeof w->socket, "%s/guard.sock", COI_GUARD_DEFAULT_HOME);
      coi_net_site_default (&w->site);
    }
  else
    {
      /* The server's directory is the socket's: INCUS_DIR/unix.socket. */
      _cleanup_free_ char *dir = strdup (incus_socket);
      if (dir == NULL)
        return coi_error_errno (err, ENOMEM, "guard location");
      char *slash = strrchr (dir, '/');
      if (slash == NULL || slash == dir)
        return coi_error_make (err, EINVAL, "guard location: %s is not an absolute socket path",
                               incus_socket);
      *slash = '\0';
      char net[200];
      if (fits (w->state_dir, sizeof w->state_dir, "state", err, "%s/coi/guard", dir) < 0
          || fits (w->socket, sizeof w->socket, "socket", err, "%s/coi/guard.sock", dir) < 0
          || fits (net, sizeof net, "network state", err, "%s/coi/net", dir) < 0
          || coi_net_site_for (&w->site, dir, net, err) < 0)
        return -1;
    }
  if (override_socket && *override_socket
      && fits (w->socket, sizeof w->socket, "socket", err, "%s", override_socket) < 0)
    return -1;
  return 0;
}
