#include "monitor/audit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"
#include "util/clock.h"

int coi_audit_open_fd (struct coi_audit *a, int fd, const char *container, coi_error_t *err)
{
  a->fd = fd;
  a->container = strdup (container);
  if (a->container == NULL)
    {
      coi_audit_close (a);
      return coi_error_errno (err, ENOMEM, "open audit log");
    }
  return 0;
}

int coi_audit_open (struct coi_audit *a, const char *path, const char *container, coi_error_t *err)
{
  a->fd = -1;
  a->container = strdup (container);
  if (a->container == NULL)
    return coi_error_errno (err, ENOMEM, "open audit log %s", path);
  /* 0600: lines carry command lines, which may hold secrets. */
  a->fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (a->fd < 0)
    {
      int e = errno;
      coi_audit_close (a);
      return coi_error_errno (err, e, "open audit log %s", path);
    }
  return 0;
}

void coi_audit_close (struct coi_audit *a)
{
  if (a->fd >= 0)
    close (a->fd);
  a->fd = -1;
  free (a->container);
  a->container = NULL;
}

int coi_audit_append (struct coi_audit *a, const char *type, json_t *fields, bool sync,
                      coi_error_t *err)
{
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  char ts[32];
  coi_iso8601_ms (ts, &now);
  _cleanup_json_ json_t *line = json_pack ("{s:s, s:s, s:s}", "timestamp", ts, "container",
                                           a->container, "type", type);
  if (line == NULL)
    return coi_error_errno (err, ENOMEM, "write audit log");
  if (fields && json_object_update_missing (line, fields) < 0)
    return coi_error_errno (err, ENOMEM, "write audit log");
  _cleanup_free_ char *text = json_dumps (line, JSON_COMPACT | JSON_ENSURE_ASCII);
  if (text == NULL)
    return coi_error_make (err, 0, "write audit log: cannot encode record");
  size_t n = strlen (text);
  text[n] = '\n'; /* json_dumps left room for its NUL; the line goes out in one write() */
  ssize_t w;
  do
    w = write (a->fd, text, n + 1);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return coi_error_errno (err, errno, "write audit log");
  if ((size_t) w != n + 1)
    return coi_error_make (err, EIO, "write audit log: short write (%zd of %zu bytes)", w, n + 1);
  if (sync && fdatasync (a->fd) < 0)
    return coi_error_errno (err, errno, "sync audit log");
  return 0;
}

int coi_audit_prune (const char *dir, int days, time_t now, int *removed, coi_error_t *err)
{
  if (removed)
    *removed = 0;
  if (days <= 0)
    return 0;
  _cleanup_closedir_ DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : coi_error_errno (err, errno, "prune audit logs in %s", dir);
  const time_t cutoff = now - (time_t) days * 86400;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      size_t len = strlen (e->d_name);
      if (len < 7 || strcmp (e->d_name + len - 6, ".jsonl") != 0)
        continue;
      struct stat st;
      if (fstatat (dirfd (d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
        continue;
      if (st.st_mtime >= cutoff)
        continue;
      if (unlinkat (dirfd (d), e->d_name, 0) < 0)
        return coi_error_errno (err, errno, "prune audit log %s/%s", dir, e->d_name);
      if (removed)
        (*removed)++;
    }
  return 0;
}
