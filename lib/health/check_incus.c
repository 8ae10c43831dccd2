/* CRITICAL: the Incus server answers, and this user may talk to it. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "health/health_private.h"
#include "incus/client.h"
#include "util/cleanup.h"

struct sock_access
{
  bool exists;
  bool allowed;
  char group[64];   /* the socket's group */
  bool in_group;    /* this process has it */
  bool listed;      /* the user is a member of it in the group database */
  unsigned mode;
};

static void socket_access (const struct coi_health_input *in, struct sock_access *a)
{
  struct stat st;
  memset (a, 0, sizeof *a);
  if (stat (in->socket_path, &st) < 0)
    return;
  a->exists = true;
  a->mode = st.st_mode & 07777;
  a->allowed = faccessat (AT_FDCWD, in->socket_path, R_OK | W_OK, AT_EACCESS) == 0;
  struct group *g = getgrgid (st.st_gid);
  snprintf (a->group, sizeof a->group, "%s", g ? g->gr_name : "?");
  for (char **m = g ? g->gr_mem : NULL; m && *m; m++)
    a->listed = a->listed || (in->user && strcmp (*m, in->user) == 0);
  gid_t groups[256];
  int n = getgroups (256, groups);
  a->in_group = getegid () == st.st_gid;
  for (int i = 0; i < n; i++)
    a->in_group = a->in_group || groups[i] == st.st_gid;
}

/* The fix when this user may not use the socket: join its group, or, when
 * already a member, start a session that has it. */
static char *group_fix (const struct coi_health_input *in, const struct sock_access *a)
{
  char *fix = NULL;
  if (a->listed)
    return asprintf (&fix, "newgrp %s", a->group) < 0 ? NULL : fix;
  return asprintf (&fix, "sudo usermod -aG %s %s && newgrp %s", a->group,
                   in->user ? in->user : "$USER", a->group) < 0 ? NULL : fix;
}

int health_check_incus (struct health_run *run, const struct health_def *d)
{
  const struct coi_health_input *in = run->in;
  struct sock_access a;
  if (in->client == NULL)
    return health_add (run, d, COI_HEALTH_FAIL, "incus remote list", NULL, "%s",
                       in->client_error ? in->client_error : "no Incus client");
  if (in->socket_path)
    {
      socket_access (in, &a);
      if (a.exists && !a.allowed)
        {
          _cleanup_free_ char *fix = group_fix (in, &a);
          if (fix == NULL)
            return -1;
          return health_add (run, d, COI_HEALTH_FAIL, fix, NULL,
                             "uid %u may not use %s (group %s, mode %04o)", (unsigned) in->uid,
                             in->socket_path, a.group, a.mode);
        }
    }
  _cleanup_json_ json_t *info = NULL;
  _cleanup_error_ coi_error_t e = NULL;
  if (incus_call (in->client, "GET", "/1.0", NULL, &info, &e) < 0)
    return health_add (run, d, COI_HEALTH_FAIL, in->setup_command, NULL, "%s", e->msg);
  run->server_ok = true;
  json_t *env = json_object_get (info, "environment");
  const char *version = json_string_value (json_object_get (env, "server_version"));
  const struct incus_endpoint *ep = incus_client_endpoint (in->client);
  struct coi_health_check *c;
  if (health_add (run, d, COI_HEALTH_OK, NULL, &c, "reachable at %s, version %s",
                  ep->unix_path ? ep->unix_path : ep->url ? ep->url : "?",
                  version ? version : "unknown") < 0)
    return -1;
  const char *driver = json_string_value (json_object_get (env, "driver"));
  const char *kernel = json_string_value (json_object_get (env, "kernel_version"));
  if ((driver && coi_health_detail (c, "driver %s", driver) < 0)
      || (kernel && coi_health_detail (c, "kernel %s", kernel) < 0))
    return -1;
  return 0;
}

int health_check_permission (struct health_run *run, const struct health_def *d)
{
  const struct coi_health_input *in = run->in;
  if (in->socket_path == NULL)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL,
                       "remote server over HTTPS: its trust of this client's certificate decides");
  struct sock_access a;
  socket_access (in, &a);
  if (!a.exists)
    return health_add (run, d, COI_HEALTH_SKIP, NULL, NULL, "not checked: no socket at %s",
                       in->socket_path);
  if (in->uid == 0)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "root may use %s", in->socket_path);
  if (a.allowed)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "uid %u (%s) may use %s%s%s",
                       (unsigned) in->uid, in->user ? in->user : "?", in->socket_path,
                       a.in_group ? ": member of " : "", a.in_group ? a.group : "");
  _cleanup_free_ char *fix = group_fix (in, &a);
  if (fix == NULL)
    return -1;
  if (a.listed)
    return health_add (run, d, COI_HEALTH_FAIL, fix, NULL,
                       "uid %u (%s) is in group %s, but this login session is not (log in again)",
                       (unsigned) in->uid, in->user ? in->user : "?", a.group);
  return health_add (run, d, COI_HEALTH_FAIL, fix, NULL,
                     "uid %u (%s) may not use %s: not a member of group %s", (unsigned) in->uid,
                     in->user ? in->user : "?", in->socket_path, a.group);
}
