/* The incus client configuration (~/.config/incus/config.yml): which remotes
 * exist, which is the default, and where their certificates are. */
#ifndef COI_INCUS_REMOTE_H
#define COI_INCUS_REMOTE_H

#include "incus/client.h"

struct incus_remote_info
{
  char *name;
  char *addr;     /* "unix://", "unix:///path" or "https://host:port" */
  char *protocol; /* "incus" or "simplestreams" */
  char *project;  /* the remote's default project, or NULL */
  int is_public;
};

void incus_remote_info_clear (struct incus_remote_info *r);

/* Directory of the client config: $INCUS_CONF, else ~/.config/incus. */
char *incus_config_dir (const char *const *env);

/* Look up a remote by name (NULL: the default remote).  Built-in remotes
 * "local" and "images" exist even without a config file. */
int incus_remote_lookup (const char *name, const char *const *env, struct incus_remote_info *out,
                         coi_error_t *err);

/* Resolve a remote name to an API endpoint (NULL: default remote). */
int incus_remote_resolve (const char *name, const char *const *env, struct incus_endpoint *ep,
                          coi_error_t *err);

/* Path of the local socket: $INCUS_SOCKET, $INCUS_DIR/unix.socket, or the default. */
char *incus_local_socket (const char *const *env);

#endif
