#include "monitor/alerts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "monitor/paths.h"
#include "util/cleanup.h"

int coi_alerts_append (const char *path, const char *line, coi_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return coi_error_errno (err, errno, "open alerts %s", path);
  return coi_alerts_append_fd (fd, path, line, err);
}

int coi_alerts_append_fd (int fd, const char *path, const char *line, coi_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  if (asprintf (&text, "%s\n", line) < 0)
    return coi_error_errno (err, ENOMEM, "write alert");
  size_t n = strlen (text);
  ssize_t w;
  do
    w = write (fd, text, n);
  while (w < 0 && errno == EINTR);
  if (w < 0 || (size_t) w != n)
    return coi_error_errno (err, w < 0 ? errno : EIO, "write alert to %s", path);
  return 0;
}

int coi_alerts_tail_open (const char *container, struct coi_alerts_tail *t, coi_error_t *err)
{
  memset (t, 0, sizeof *t);
  t->fd = t->watch_fd = -1;
  t->partial.limit = 64 * 1024;
  _cleanup_free_ char *path = NULL;
  if (coi_run_path (container, COI_RUN_ALERTS, &path, err) < 0)
    return -1;
  t->fd = open (path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (t->fd < 0)
    return coi_error_errno (err, errno, "open alerts %s", path);
  /* Old alerts were shown (or not) in an earlier attach: start at the end. */
  if (lseek (t->fd, 0, SEEK_END) < 0)
    {
      int e = errno;
      coi_alerts_tail_close (t);
      return coi_error_errno (err, e, "open alerts %s", path);
    }
  t->watch_fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC);
  if (t->watch_fd < 0 || inotify_add_watch (t->watch_fd, path, IN_MODIFY) < 0)
    {
      int e = errno;
      coi_alerts_tail_close (t);
      return coi_error_errno (err, e, "watch alerts %s", path);
    }
  return 0;
}

int coi_alerts_tail_read (struct coi_alerts_tail *t, void (*fn) (const char *line, void *data), void *data)
{
  char ev[4096];
  while (read (t->watch_fd, ev, sizeof ev) > 0)
    ; /* drain: the content is what matters */
  int lines = 0;
  char buf[4096];
  ssize_t n;
  while ((n = read (t->fd, buf, sizeof buf)) > 0)
    {
      if (buf_append (&t->partial, buf, (size_t) n) < 0)
        {
          buf_reset (&t->partial); /* a line past the cap is dropped, not buffered */
          continue;
        }
      char *start = t->partial.data, *nl;
      while ((nl = memchr (start, '\n', t->partial.len - (size_t) (start - t->partial.data))) != NULL)
        {
          *nl = '\0';
          fn (start, data);
          lines++;
          start = nl + 1;
        }
      size_t rest = t->partial.len - (size_t) (start - t->partial.data);
      memmove (t->partial.data, start, rest);
      t->partial.len = rest;
      t->partial.data[rest] = '\0';
    }
  return lines;
}

void coi_alerts_tail_close (struct coi_alerts_tail *t)
{
  if (t->fd >= 0)
    close (t->fd);
  if (t->watch_fd >= 0)
    close (t->watch_fd);
  t->fd = t->watch_fd = -1;
  buf_free (&t->partial);
}
