/* The guard service (`coi guard`, root): the one process that does what
 * needs privileges for everyone's sessions on one Incus server: network
 * rules, address reservations, the nflog groups, the supervisors and their
 * kernel monitors.  Callers reach it on a unix socket (root:incus-admin
 * 0660) and may act only on containers they own; see guard/proto.h for the
 * protocol and docs/guard.md for the ops. */
#ifndef COI_GUARD_SERVER_H
#define COI_GUARD_SERVER_H

#include "util/error.h"
#include "util/sink.h"

struct coi_guard_server_opts
{
  const char *incus_socket;    /* NULL: the machine's own server */
  const char *socket_override; /* COI_GUARD_SOCKET, or NULL */
  const char *coi_binary;      /* for supervisors: this executable when NULL */
  const char *group;           /* the socket's group (NULL: incus-admin) */
  const struct coi_sink *sink; /* the service's log */
};

/* Serve until SIGTERM or SIGINT.  0 after a clean stop, -1 with *err when
 * it could not start (another guard holds the server, no socket, ...). */
int coi_guard_serve (const struct coi_guard_server_opts *o, coi_error_t *err);

#endif
