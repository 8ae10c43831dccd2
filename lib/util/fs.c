#include "util/fs.h"

#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

int coi_mkdir_p (const char *path, mode_t mode, coi_error_t *err)
{
  _cleanup_free_ char *p = strdup (path);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "create directory %s", path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, mode) < 0 && errno != EEXIST)
          return coi_error_errno (err, errno, "create directory %s", p);
        *s = '/';
      }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return coi_error_errno (err, errno, "create directory %s", p);
  struct stat st;
  if (stat (p, &st) < 0 || !S_ISDIR (st.st_mode))
    return coi_error_make (err, ENOTDIR, "create directory %s: a file is in the way", p);
  return 0;
}

int coi_write_all (int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

int coi_write_all_waiting (int fd, const void *data, size_t len)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && errno == EAGAIN)
        {
          struct pollfd pf = { .fd = fd, .events = POLLOUT };
          if (poll (&pf, 1, -1) < 0 && errno != EINTR)
            return -1;
          continue;
        }
      if (w <= 0)
        return -1;
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

int coi_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode,
                           coi_error_t *err)
{
  _cleanup_free_ char *tmp = NULL;
  if (asprintf (&tmp, "%s.tmp.%d", path, (int) getpid ()) < 0)
    return coi_error_errno (err, ENOMEM, "write %s", path);
  _cleanup_close_ int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0)
    return coi_error_errno (err, errno, "write %s", path);
  if (coi_write_all (fd, data, len) < 0 || fsync (fd) < 0)
    {
      int e = errno;
      unlink (tmp);
      return coi_error_errno (err, e, "write %s", path);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return coi_error_errno (err, e, "write %s", path);
    }
  return 0;
}

int coi_read_file (const char *path, size_t limit, char **data, size_t *len, coi_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return coi_error_errno (err, errno, "read %s", path);
  size_t cap = 4096, n = 0;
  _cleanup_free_ char *buf = malloc (cap + 1);
  if (buf == NULL)
    return coi_error_errno (err, ENOMEM, "read %s", path);
  for (;;)
    {
      if (n == cap)
        {
          if (cap >= limit)
            return coi_error_make (err, EFBIG, "read %s: larger than %zu bytes", path, limit);
          cap = cap * 2 > limit ? limit : cap * 2;
          char *nb = realloc (buf, cap + 1);
          if (nb == NULL)
            return coi_error_errno (err, ENOMEM, "read %s", path);
          buf = nb;
        }
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return coi_error_errno (err, errno, "read %s", path);
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  *data = steal_pointer (&buf);
  if (len)
    *len = n;
  return 0;
}
