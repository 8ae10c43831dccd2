#include "util/asuser.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"

int coi_drop_to (const struct coi_user_id *u)
{
  if (u->name ? initgroups (u->name, u->gid) < 0 : setgroups (0, NULL) < 0)
    return -1;
  if (setresgid (u->gid, u->gid, u->gid) < 0 || setresuid (u->uid, u->uid, u->uid) < 0)
    return -1;
  /* Dumpable again: the user may see (and ptrace) what now runs as them. */
  prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  return getuid () == u->uid && geteuid () == u->uid ? 0 : (errno = EPERM, -1);
}

static int wait_child (pid_t pid)
{
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (st) ? WEXITSTATUS (st) : -1;
}

static int mkdirs_for (const char *path)
{
  _cleanup_free_ char *dir = strdup (path);
  if (dir == NULL)
    return -1;
  char *slash = strrchr (dir, '/');
  if (slash == NULL || slash == dir)
    return 0;
  *slash = '\0';
  coi_error_t e = NULL;
  int r = coi_mkdir_p (dir, 0700, &e);
  coi_error_release (&e);
  return r;
}

int coi_open_as (const struct coi_user_id *u, const char *path, int flags, mode_t mode, int mkdirs,
                 int *fd, coi_error_t *err)
{
  *fd = -1;
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
    return coi_error_errno (err, errno, "open %s as uid %u", path, (unsigned) u->uid);
  _cleanup_close_ int mine = sv[0];
  _cleanup_close_ int theirs = sv[1];
  pid_t pid = fork ();
  if (pid < 0)
    return coi_error_errno (err, errno, "open %s as uid %u", path, (unsigned) u->uid);
  if (pid == 0)
    {
      int e = 0, f = -1;
      if (coi_drop_to (u) < 0 || (mkdirs && mkdirs_for (path) < 0))
        e = errno ? errno : EPERM;
      else if ((f = open (path, flags | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
        e = errno;
      _exit (coi_fd_send (theirs, f, &e, sizeof e) < 0 ? 1 : 0);
    }
  close (theirs);
  theirs = -1;
  int e = EPROTO;
  long n = coi_fd_recv (mine, fd, &e, sizeof e);
  wait_child (pid);
  if (n != (long) sizeof e || (*fd < 0 && e == 0))
    e = e ? e : EPROTO;
  if (*fd < 0)
    return coi_error_errno (err, e, "open %s as uid %u", path, (unsigned) u->uid);
  return 0;
}

int coi_run_as (const struct coi_user_id *u, int (*fn) (void *data), void *data, coi_error_t *err)
{
  pid_t pid = fork ();
  if (pid < 0)
    return coi_error_errno (err, errno, "run as uid %u", (unsigned) u->uid);
  if (pid == 0)
    {
      if (coi_drop_to (u) < 0)
        _exit (126);
      int r = fn (data);
      _exit (r < 0 ? 1 : r > 125 ? 125 : r);
    }
  int r = wait_child (pid);
  if (r < 0)
    return coi_error_make (err, EIO, "run as uid %u: the child died", (unsigned) u->uid);
  if (r == 126)
    return coi_error_make (err, EPERM, "run as uid %u: cannot drop privileges", (unsigned) u->uid);
  return r;
}
