#include "incus/pathsafe.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"

/* Deeper trees than this are refused rather than walked with one fd per level. */
#define MAX_REMOVE_DEPTH 512
#define TMP_TRIES 64

size_t pathsafe_control_len (const char *s, size_t left)
{
  unsigned char c = (unsigned char) s[0];
  if (c < 0x20 || c == 0x7f)
    return 1;
  /* U+0080..U+009F in UTF-8: a terminal may take U+009B for CSI. */
  if (c == 0xc2 && left >= 2 && (unsigned char) s[1] >= 0x80 && (unsigned char) s[1] <= 0x9f)
    return 2;
  return 0;
}

bool pathsafe_name_ok (const char *name, size_t len)
{
  if (name == NULL || len == 0 || len > NAME_MAX)
    return false;
  if (memchr (name, '/', len) != NULL)
    return false;
  if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
    return false;
  /* NUL included: a name a C string cannot hold whole. */
  for (size_t i = 0; i < len; i++)
    if (pathsafe_control_len (name + i, len - i) > 0)
      return false;
  return true;
}

mode_t pathsafe_host_mode (unsigned long mode)
{
  return (mode_t) (mode & 0755);
}

int pathsafe_open_dir (int dirfd, const char *name)
{
  return openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Unpredictable names, so that nobody sharing the directory can pre-create
 * ours; O_EXCL makes a collision harmless anyway. */
static void tmp_name (char out[64])
{
  unsigned char rnd[8];
  if (getrandom (rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t) sizeof rnd)
    {
      struct timespec ts;
      clock_gettime (CLOCK_MONOTONIC, &ts);
      unsigned long long v = (unsigned long long) ts.tv_nsec ^ ((unsigned long long) getpid () << 32);
      memcpy (rnd, &v, sizeof rnd);
    }
  int n = snprintf (out, 64, "%s", PATHSAFE_TMP_PREFIX);
  for (size_t i = 0; i < sizeof rnd && n < 62; i++)
    n += snprintf (out + n, (size_t) (64 - n), "%02x", rnd[i]);
}

int pathsafe_tmp_file (int dirfd, char **name, int *fd, coi_error_t *err)
{
  char n[64];
  for (int i = 0; i < TMP_TRIES; i++)
    {
      tmp_name (n);
      int f = openat (dirfd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (f < 0 && errno == EEXIST)
        continue;
      if (f < 0)
        return coi_error_errno (err, errno, "create temporary file");
      if ((*name = strdup (n)) == NULL)
        {
          unlinkat (dirfd, n, 0);
          close (f);
          return coi_error_errno (err, ENOMEM, "create temporary file");
        }
      *fd = f;
      return 0;
    }
  return coi_error_make (err, EEXIST, "create temporary file: no free name");
}

int pathsafe_tmp_dir (int dirfd, char **name, int *fd, coi_error_t *err)
{
  char n[64];
  for (int i = 0; i < TMP_TRIES; i++)
    {
      tmp_name (n);
      if (mkdirat (dirfd, n, 0700) < 0)
        {
          if (errno == EEXIST)
            continue;
          return coi_error_errno (err, errno, "create temporary directory");
        }
      int f = pathsafe_open_dir (dirfd, n);
      if (f < 0 || (*name = strdup (n)) == NULL)
        {
          int e = f < 0 ? errno : ENOMEM;
          if (f >= 0)
            close (f);
          unlinkat (dirfd, n, AT_REMOVEDIR);
          return coi_error_errno (err, e, "create temporary directory");
        }
      *fd = f;
      return 0;
    }
  return coi_error_make (err, EEXIST, "create temporary directory: no free name");
}

static int remove_at (int dirfd, const char *name, int depth);

/* Empty an open directory.  Entries are removed while reading, so read again
 * until a pass finds nothing (readdir need not report entries after a change). */
static int empty_dir (int fd, int depth)
{
  int dup_fd = dup (fd);
  if (dup_fd < 0)
    return -1;
  _cleanup_closedir_ DIR *d = fdopendir (dup_fd);
  if (d == NULL)
    {
      int e = errno;
      close (dup_fd);
      errno = e;
      return -1;
    }
  for (;;)
    {
      bool found = false;
      rewinddir (d);
      struct dirent *e;
      errno = 0;
      while ((e = readdir (d)) != NULL)
        {
          if (!strcmp (e->d_name, ".") || !strcmp (e->d_name, ".."))
            continue;
          found = true;
          if (remove_at (fd, e->d_name, depth + 1) < 0)
            return -1;
          errno = 0;
        }
      if (errno != 0)
        return -1;
      if (!found)
        return 0;
    }
}

static int remove_at (int dirfd, const char *name, int depth)
{
  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return -1;
  if (depth > MAX_REMOVE_DEPTH)
    {
      errno = ELOOP;
      return -1;
    }
  _cleanup_close_ int fd = pathsafe_open_dir (dirfd, name);
  if (fd < 0)
    return errno == ENOENT ? 0 : -1;
  /* We may have made it read-only (a pulled 0500 directory): entries of a
     directory we own can only go once we may write it again. */
  struct stat st;
  if (fstat (fd, &st) == 0 && st.st_uid == geteuid ())
    (void) fchmod (fd, 0700);
  if (empty_dir (fd, depth) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return -1;
  return 0;
}

int pathsafe_remove_tree (int dirfd, const char *name)
{
  return remove_at (dirfd, name, 0);
}

int pathsafe_open_parent (const char *path, int *dirfd, char **base, coi_error_t *err)
{
  _cleanup_free_ char *p = strdup (path ? path : "");
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "open %s", path);
  size_t n = strlen (p);
  while (n > 1 && p[n - 1] == '/')
    p[--n] = '\0';
  char *slash = strrchr (p, '/');
  const char *last = slash ? slash + 1 : p;
  if (*last == '\0' || !strcmp (last, ".") || !strcmp (last, ".."))
    return coi_error_make (err, EINVAL, "'%s' does not name a file or directory", path);
  const char *parent = ".";
  if (slash == p)
    parent = "/";
  else if (slash)
    {
      *slash = '\0';
      parent = p;
    }
  int fd = open (parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return coi_error_errno (err, errno, "open directory %s", parent);
  if ((*base = strdup (last)) == NULL)
    {
      close (fd);
      return coi_error_errno (err, ENOMEM, "open %s", path);
    }
  *dirfd = fd;
  return 0;
}
