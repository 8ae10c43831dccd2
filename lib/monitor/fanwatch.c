#include "monitor/fanwatch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Reads and writes, not opens: an open says nothing of intent, and each
 * access names its direction. */
#define FILE_EVENTS (FAN_ACCESS | FAN_MODIFY)

int coi_fanwatch_open (int *fd, coi_error_t *err)
{
  int f = fanotify_init (FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (f < 0)
    return coi_error_errno (err, errno, "fanotify_init");
  *fd = f;
  return 0;
}

/* Open rel beneath the container's root with every symlink resolved inside
 * it (RESOLVE_IN_ROOT): a link planted in the container must not steer a
 * mark onto a file of the host.  Only regular files and directories. */
static int open_in_root (int rootfd, const char *rel)
{
  struct open_how how = { .flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  _cleanup_close_ int pfd = (int) syscall (SYS_openat2, rootfd, rel, &how, sizeof how);
  struct stat st;
  if (pfd < 0 || fstat (pfd, &st) < 0 || !(S_ISREG (st.st_mode) || S_ISDIR (st.st_mode)))
    return -1;
  /* fanotify_mark needs a real open file, not an O_PATH one. */
  char self[64];
  snprintf (self, sizeof self, "/proc/self/fd/%d", pfd);
  return open (self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

static void mark (int fd, int rootfd, const char *rel, uint64_t extra, int *marks)
{
  _cleanup_close_ int target = open_in_root (rootfd, rel);
  if (target >= 0 && fanotify_mark (fd, FAN_MARK_ADD, FILE_EVENTS | extra, target, NULL) == 0)
    (*marks)++;
}

int coi_fanwatch_arm (int fd, pid_t init_pid, int *marks)
{
  char root[64];
  snprintf (root, sizeof root, "/proc/%d/root", (int) init_pid);
  *marks = 0;
  _cleanup_close_ int rootfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return -1;
  mark (fd, rootfd, "etc/shadow", 0, marks);
  mark (fd, rootfd, "etc/gshadow", 0, marks);
  mark (fd, rootfd, "etc/sudoers", 0, marks);
  mark (fd, rootfd, "etc/sudoers.d", FAN_EVENT_ON_CHILD, marks);
  mark (fd, rootfd, "root/.ssh", FAN_EVENT_ON_CHILD, marks);
  _cleanup_close_ int homefd = open_in_root (rootfd, "home");
  int dupfd = homefd >= 0 ? dup (homefd) : -1;
  _cleanup_closedir_ DIR *d = dupfd >= 0 ? fdopendir (dupfd) : NULL;
  if (d == NULL && dupfd >= 0)
    close (dupfd);
  struct dirent *e;
  while (d && (e = readdir (d)) != NULL)
    {
      if (e->d_name[0] == '.' || e->d_type != DT_DIR)
        continue;
      char rel[300];
      snprintf (rel, sizeof rel, "home/%s/.ssh", e->d_name);
      mark (fd, rootfd, rel, FAN_EVENT_ON_CHILD, marks);
    }
  return 0;
}

bool coi_fanwatch_is_sensitive (const char *path)
{
  const char *base = strrchr (path, '/');
  base = base ? base + 1 : path;
  if (strcmp (path, "/etc/shadow") == 0 || strcmp (path, "/etc/gshadow") == 0
      || strcmp (path, "/etc/sudoers") == 0 || strncmp (path, "/etc/sudoers.d/", 15) == 0)
    return true;
  /* Under a watched .ssh directory: keys and the files that grant logins. */
  return strstr (path, "/.ssh/") != NULL
         && (strncmp (base, "authorized_keys", 15) == 0 || strncmp (base, "id_", 3) == 0);
}

/* The container path of an event: readlink gives it relative to the
 * container's root when that mount is out of our reach (the usual case),
 * else the host path of the rootfs, which we cut at "/rootfs". */
static void container_path (const char *host, char *out, size_t len)
{
  const char *cut = strstr (host, "/rootfs/");
  const char *src = cut && strncmp (host, "/var/lib/", 9) == 0 ? cut + 7 : host;
  size_t n = strnlen (src, len - 1);
  memcpy (out, src, n);
  out[n] = '\0';
}

int coi_fanwatch_read (int fd, void (*fn) (const struct coi_fan_event *ev, void *data), void *data)
{
  char buf[8192] __attribute__ ((aligned (__alignof__ (struct fanotify_event_metadata))));
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return errno == EAGAIN ? 0 : -1;
        }
      for (struct fanotify_event_metadata *m = (struct fanotify_event_metadata *) buf; FAN_EVENT_OK (m, n);
           m = FAN_EVENT_NEXT (m, n))
        {
          if (m->vers != FANOTIFY_METADATA_VERSION || m->fd < 0)
            continue;
          _cleanup_close_ int efd = m->fd;
          char link[64], host[PATH_MAX];
          snprintf (link, sizeof link, "/proc/self/fd/%d", efd);
          ssize_t r = readlink (link, host, sizeof host - 1);
          if (r < 0)
            continue;
          host[r] = '\0';
          struct coi_fan_event ev = { .pid = m->pid, .write = (m->mask & FAN_MODIFY) != 0 };
          container_path (host, ev.path, sizeof ev.path);
          if (!coi_fanwatch_is_sensitive (ev.path))
            continue;
          fn (&ev, data);
        }
    }
}
