/* Starting a supervisor detached from the launcher, and asking whether a
 * container is guarded.  The guard is a POSIX record lock on
 * <run dir>/<container>.lock held by the supervisor for its whole life:
 * the kernel drops it when the process dies, so a crash never leaves a
 * stale "guarded", and F_GETLK names the holder without taking the lock. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monitor/guard_spec.h"
#include "monitor/paths.h"
#include "monitor/supervisor.h"
#include "util/cleanup.h"
#include "util/names.h"

#define READY_TIMEOUT_MS 15000

static int status_at (const char *path, bool *guarded, pid_t *pid)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? 0 : -1;
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
  if (fcntl (fd, F_GETLK, &fl) < 0)
    return -1;
  if (fl.l_type != F_UNLCK)
    {
      *guarded = true;
      *pid = fl.l_pid;
    }
  return 0;
}

int coi_supervisor_status (const char *container, bool *guarded, pid_t *pid)
{
  *guarded = false;
  *pid = 0;
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_run_path_peek (container, COI_RUN_LOCK, &path, &err) < 0)
    {
      errno = err && err->status ? err->status : EINVAL;
      return -1;
    }
  return status_at (path, guarded, pid);
}

int coi_supervisor_status_in (const char *run_dir, const char *container, bool *guarded, pid_t *pid)
{
  *guarded = false;
  *pid = 0;
  _cleanup_free_ char *path = NULL;
  if (!coi_valid_container_name (container) || asprintf (&path, "%s/%s%s", run_dir, container, COI_RUN_LOCK) < 0)
    {
      errno = EINVAL;
      return -1;
    }
  return status_at (path, guarded, pid);
}

/* The message a starting supervisor sends on its ready pipe. */
static int read_ready (int fd, char *buf, size_t len)
{
  size_t got = 0;
  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  while (got < len - 1)
    {
      clock_gettime (CLOCK_MONOTONIC, &now);
      long left = READY_TIMEOUT_MS - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
      if (left <= 0)
        return -ETIMEDOUT;
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, (int) left);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return r < 0 ? -errno : -ETIMEDOUT;
      ssize_t n = read (fd, buf + got, len - 1 - got);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      got += (size_t) n;
      if (memchr (buf, '\n', got))
        break;
    }
  buf[got] = '\0';
  buf[strcspn (buf, "\n")] = '\0';
  return (int) got;
}

/* In the grandchild, between fork and exec: only async-signal-safe calls. */
static void become_supervisor (const char *binary, char *const *argv, int log_fd, int ready_fd,
                               int nflog_fd)
{
  /* Out of the way of the dup2s below, wherever it was. */
  int nf = nflog_fd >= 0 ? fcntl (nflog_fd, F_DUPFD, 10) : -1;
  if (nflog_fd >= 0 && nf < 0)
    _exit (127);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  int null = open ("/dev/null", O_RDWR);
  if (null < 0 || dup2 (null, 0) < 0 || dup2 (log_fd, 1) < 0 || dup2 (log_fd, 2) < 0 || dup2 (ready_fd, 3) < 0
      || (nf >= 0 && dup2 (nf, 4) < 0))
    _exit (127);
  /* Nothing else of the launcher's (its terminal, its Incus connection) may
   * leak into a process that lives for hours. */
  for (int fd = nf >= 0 ? 5 : 4; fd < 1024; fd++)
    close (fd);
  if (chdir ("/") < 0)
    _exit (127);
  execv (binary, argv);
  static const char msg[] = "ERR cannot execute the coi binary\n";
  ssize_t ignored = write (3, msg, sizeof msg - 1);
  (void) ignored;
  _exit (127);
}

/* Fork the supervisor (detached, given to init) and hand back the read end
 * of its ready pipe; *log_path says where its output goes. */
static int start (const char *coi_binary, const char *spec_path, int nflog_fd, bool restarted,
                  int *ready_rd, char **log_path, char **container, coi_error_t *err)
{
  _cleanup_guard_spec_ struct coi_guard_spec spec;
  coi_guard_spec_init (&spec);
  if (coi_guard_spec_load (spec_path, &spec, err) < 0)
    return coi_error_prefix (err, "start supervisor");
  char self[4096];
  if (coi_binary == NULL)
    {
      ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
      if (n < 0)
        return coi_error_errno (err, errno, "start supervisor: find the coi binary");
      self[n] = '\0';
      coi_binary = self;
    }
  _cleanup_free_ char *spec_abs = realpath (spec_path, NULL);
  if (spec_abs == NULL)
    return coi_error_errno (err, errno, "start supervisor: %s", spec_path);
  /* Its log lives beside the spec. */
  char *slash = strrchr (spec_abs, '/');
  if (asprintf (log_path, "%.*s/%s%s", (int) (slash - spec_abs), spec_abs, spec.container, COI_RUN_LOG) < 0
      || (*container = strdup (spec.container)) == NULL)
    return coi_error_errno (err, ENOMEM, "start supervisor");
  /* Without a socket to hand over, argv has no "--nflog-fd". */
  char *argv[10];
  int a = 0;
  argv[a++] = (char *) "coi";
  argv[a++] = (char *) "__supervise";
  argv[a++] = (char *) "--spec";
  argv[a++] = spec_abs;
  argv[a++] = (char *) "--ready-fd";
  argv[a++] = (char *) "3";
  if (nflog_fd >= 0)
    {
      argv[a++] = (char *) "--nflog-fd";
      argv[a++] = (char *) "4";
    }
  if (restarted)
    argv[a++] = (char *) "--restarted";
  argv[a] = NULL;
  _cleanup_close_ int log_fd = open (*log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (log_fd < 0)
    return coi_error_errno (err, errno, "start supervisor: open %s", *log_path);
  int pipefd[2];
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return coi_error_errno (err, errno, "start supervisor: pipe");
  _cleanup_close_ int rd = pipefd[0];
  _cleanup_close_ int wr = pipefd[1];
  pid_t child = fork ();
  if (child < 0)
    return coi_error_errno (err, errno, "start supervisor: fork");
  if (child == 0)
    {
      /* A new session: no controlling terminal, untouched by the launcher's
       * hangup or Ctrl-C.  The second fork leaves the session leader behind so
       * the supervisor can never acquire a terminal, and gives it to init. */
      if (setsid () < 0)
        _exit (127);
      pid_t grandchild = fork ();
      if (grandchild < 0)
        _exit (127);
      if (grandchild > 0)
        _exit (0);
      become_supervisor (coi_binary, argv, log_fd, wr, nflog_fd);
    }
  close (wr);
  wr = -1;
  int status;
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  *ready_rd = steal_fd (&rd);
  return 0;
}

int coi_supervisor_spawn_async (const char *coi_binary, const char *spec_path, int nflog_fd,
                                bool restarted, int *ready_fd, coi_error_t *err)
{
  _cleanup_free_ char *log_path = NULL, *container = NULL;
  return start (coi_binary, spec_path, nflog_fd, restarted, ready_fd, &log_path, &container, err);
}

int coi_supervisor_spawn (const char *coi_binary, const char *spec_path, int nflog_fd, pid_t *pid,
                          coi_error_t *err)
{
  _cleanup_free_ char *log_path = NULL, *container = NULL;
  _cleanup_close_ int rd = -1;
  if (start (coi_binary, spec_path, nflog_fd, false, &rd, &log_path, &container, err) < 0)
    return -1;
  if (pid == NULL)
    return 0; /* its "ready" meets a closed pipe: SIGPIPE is ignored there */
  char msg[512];
  int n = read_ready (rd, msg, sizeof msg);
  if (n == -ETIMEDOUT)
    return coi_error_make (err, ETIMEDOUT, "start supervisor for %s: no answer in %d s (see %s)", container,
                           READY_TIMEOUT_MS / 1000, log_path);
  if (n <= 0)
    return coi_error_make (err, EIO, "start supervisor for %s: it exited at start (see %s)", container,
                           log_path);
  if (strncmp (msg, "OK ", 3) == 0 || strncmp (msg, "BUSY ", 5) == 0)
    {
      *pid = (pid_t) atoi (strchr (msg, ' ') + 1);
      return 0;
    }
  return coi_error_make (err, 0, "start supervisor for %s: %s", container,
                         strncmp (msg, "ERR ", 4) == 0 ? msg + 4 : msg);
}
