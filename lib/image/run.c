#include "image/run.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"

extern char **environ;

struct api_mount
{
  const char *src, *dir, *type;
  unsigned long flags;
};

/* What package scripts expect to find in a root being configured. */
static const struct api_mount api_mounts[] = {
  { "proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC },
  { "sysfs", "sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY },
  { "/dev", "dev", NULL, MS_BIND | MS_REC },
  { "tmpfs", "run", "tmpfs", MS_NOSUID | MS_NODEV },
};

/* In the child, between fork and exec: only plain system calls here. */
static void child_enter_root (const char *root, char *const *paths)
{
  if (unshare (CLONE_NEWNS) < 0 || mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    {
      perror ("coi: private mount namespace");
      _exit (125);
    }
  for (size_t i = 0; i < sizeof (api_mounts) / sizeof (api_mounts[0]); i++)
    {
      const struct api_mount *m = &api_mounts[i];
      if (mount (m->src, paths[i], m->type, m->flags, NULL) < 0)
        {
          perror ("coi: mount in the build root");
          _exit (125);
        }
    }
  if (chroot (root) < 0 || chdir ("/") < 0)
    {
      perror ("coi: chroot");
      _exit (125);
    }
}

static void show_line (const struct coi_run *r, const char *line, size_t len)
{
  if (r->log_fd >= 0)
    {
      coi_write_all (r->log_fd, line, len);
      coi_write_all (r->log_fd, "\n", 1);
    }
  size_t pl = r->progress_prefix ? strlen (r->progress_prefix) : 0;
  if (r->echo_all)
    fprintf (stderr, "    %.*s\n", (int) len, line);
  else if (pl && len >= pl && memcmp (line, r->progress_prefix, pl) == 0)
    fprintf (stderr, "    %.*s\n", (int) (len - pl), line + pl);
}

/* Split the child's output into lines as it comes. */
void coi_run_pump (const struct coi_run *r, int fd)
{
  _cleanup_buf_ struct buf pending = { 0 };
  char chunk[8192];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof (chunk));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      if (buf_append (&pending, chunk, (size_t) n) < 0)
        break;
      char *start = pending.data, *nl;
      while ((nl = memchr (start, '\n', pending.len - (size_t) (start - pending.data))) != NULL)
        {
          show_line (r, start, (size_t) (nl - start));
          start = nl + 1;
        }
      size_t rest = pending.len - (size_t) (start - pending.data);
      memmove (pending.data, start, rest);
      pending.len = rest;
      pending.data[rest] = '\0';
    }
  if (pending.len)
    show_line (r, pending.data, pending.len);
}

int coi_run (const struct coi_run *r, coi_error_t *err)
{
  const char *prog = r->argv[0];
  char *mount_paths[sizeof (api_mounts) / sizeof (api_mounts[0])] = { 0 };
  int rc = -1;
  int pfd[2] = { -1, -1 };

  for (size_t i = 0; r->chroot_dir && i < sizeof (api_mounts) / sizeof (api_mounts[0]); i++)
    {
      if (asprintf (&mount_paths[i], "%s/%s", r->chroot_dir, api_mounts[i].dir) < 0)
        {
          coi_error_errno (err, ENOMEM, "run %s", prog);
          goto out;
        }
      struct stat st;
      if (mkdir (mount_paths[i], 0755) < 0 && errno != EEXIST)
        {
          coi_error_errno (err, errno, "run %s: create %s", prog, mount_paths[i]);
          goto out;
        }
      /* mount(2) follows symlinks: a link here would mount onto the host. */
      if (lstat (mount_paths[i], &st) < 0 || !S_ISDIR (st.st_mode))
        {
          coi_error_make (err, ENOTDIR, "run %s: %s is not a directory", prog, mount_paths[i]);
          goto out;
        }
    }
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    {
      coi_error_errno (err, errno, "run %s", prog);
      goto out;
    }
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    {
      coi_error_errno (err, errno, "run %s", prog);
      goto out;
    }
  if (pid == 0)
    {
      /* Whatever happens to coi, a build step must not outlive it. */
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      int devnull = open ("/dev/null", O_RDONLY);
      if (devnull < 0 || dup2 (devnull, 0) < 0 || dup2 (pfd[1], 1) < 0 || dup2 (pfd[1], 2) < 0)
        _exit (125);
      if (r->chroot_dir)
        child_enter_root (r->chroot_dir, mount_paths);
      char *const *env = r->env ? (char *const *) r->env : environ;
      if (strchr (prog, '/'))
        execve (prog, (char *const *) r->argv, env);
      else
        execvpe (prog, (char *const *) r->argv, env);
      fprintf (stderr, "coi: cannot run %s: %s\n", prog, strerror (errno));
      _exit (127);
    }
  close (pfd[1]);
  pfd[1] = -1;
  coi_run_pump (r, pfd[0]);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      {
        coi_error_errno (err, errno, "run %s: wait", prog);
        goto out;
      }
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    rc = 0;
  else
    {
      if (r->log_fd >= 0 && !r->echo_all)
        coi_run_log_tail (r->log_fd, 25);
      if (WIFEXITED (status))
        coi_error_make (err, 0, "%s failed with exit status %d", prog, WEXITSTATUS (status));
      else
        coi_error_make (err, 0, "%s was killed by signal %d", prog, WTERMSIG (status));
    }
out:
  for (size_t i = 0; i < sizeof (mount_paths) / sizeof (mount_paths[0]); i++)
    free (mount_paths[i]);
  if (pfd[0] >= 0)
    close (pfd[0]);
  if (pfd[1] >= 0)
    close (pfd[1]);
  return rc;
}

void coi_run_log_tail (int log_fd, int n)
{
  struct stat st;
  if (fstat (log_fd, &st) < 0 || st.st_size <= 0)
    return;
  off_t from = st.st_size > 16384 ? st.st_size - 16384 : 0;
  char text[16385];
  ssize_t got = pread (log_fd, text, sizeof (text) - 1, from);
  if (got <= 0)
    return;
  text[got] = '\0';
  char *p = text + got;
  int lines = 0;
  while (p > text && lines <= n)
    if (*--p == '\n')
      lines++;
  if (*p == '\n')
    p++;
  fprintf (stderr, "--- last lines of the build log:\n%s", p);
  if (got > 0 && text[got - 1] != '\n')
    fputc ('\n', stderr);
}
