/* Where the guard service of an Incus server lives: its socket, its state
 * directory and its network site.  The machine's own server
 * (/var/lib/incus) has the guard at /run/coi/guard.sock; any other local
 * server (INCUS_DIR=DIR, such as a test run's) has its own at
 * DIR/coi/guard.sock, with its own nft table, so two servers' guards never
 * meet. */
#ifndef COI_GUARD_WHERE_H
#define COI_GUARD_WHERE_H

#include "netpolicy/site.h"
#include "util/error.h"

#define COI_GUARD_DEFAULT_INCUS_SOCKET "/var/lib/incus/unix.socket"
#define COI_GUARD_DEFAULT_HOME "/run/coi"

struct coi_guard_where
{
  char socket[108];     /* sun_path */
  char state_dir[160];  /* sessions/, net/ */
  struct coi_net_site site;
};

/* For the Incus server whose unix socket is incus_socket (NULL: the
 * machine's own).  override_socket (COI_GUARD_SOCKET) wins for the socket. */
int coi_guard_where_for (const char *incus_socket, const char *override_socket,
                         struct coi_guard_where *w, coi_error_t *err);

#endif
