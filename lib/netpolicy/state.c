#include "netpolicy/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netpolicy/addr.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Only the guard service (root) changes the state: 0700 directories. */
static int ensure_dirs (const struct coi_net_site *site, coi_error_t *err)
{
  char dir[sizeof site->state_dir + 8];
  snprintf (dir, sizeof dir, "%s/addr", site->state_dir);
  return coi_mkdir_p (dir, 0700, err);
}

int coi_net_lock (const struct coi_net_site *site, coi_error_t *err)
{
  char path[sizeof site->state_dir + 8];
  if (ensure_dirs (site, err) < 0)
    return -1;
  snprintf (path, sizeof path, "%s/lock", site->state_dir);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return coi_error_errno (err, errno, "cannot open %s", path);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return coi_error_errno (err, e, "cannot lock %s", path);
      }
  return fd;
}

void coi_net_unlock (int fd)
{
  if (fd >= 0)
    close (fd); /* closing drops the flock */
}

#define PATH_LEN (sizeof ((struct coi_net_site *) 0)->state_dir + 32)

static void addr_path (const struct coi_net_site *site, uint32_t addr, char *path, size_t len)
{
  char a[COI_IPV4_STRLEN];
  snprintf (path, len, "%s/addr/%s", site->state_dir, coi_ipv4_str (addr, a));
}

int coi_net_reserve (const struct coi_net_site *site, uint32_t addr, const char *container,
                     coi_error_t *err)
{
  char path[PATH_LEN];
  if (ensure_dirs (site, err) < 0)
    return -1;
  addr_path (site, addr, path, sizeof path);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return 0;
      return coi_error_errno (err, errno, "cannot reserve %s", path);
    }
  size_t n = strlen (container);
  if (coi_write_all (fd, container, n) < 0 || coi_write_all (fd, "\n", 1) < 0)
    {
      int e = errno;
      unlink (path);
      return coi_error_errno (err, e, "cannot write %s", path);
    }
  return 1;
}

int coi_net_reservation_owner (const struct coi_net_site *site, uint32_t addr, char *owner,
                               size_t len, time_t *mtime)
{
  char path[PATH_LEN];
  addr_path (site, addr, path, sizeof path);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return 0;
  struct stat st;
  ssize_t n = read (fd, owner, len - 1);
  if (n < 0 || fstat (fd, &st) < 0)
    return 0;
  owner[n] = '\0';
  owner[strcspn (owner, "\n")] = '\0';
  if (mtime)
    *mtime = st.st_mtime;
  return 1;
}

int coi_net_release (const struct coi_net_site *site, uint32_t addr, const char *container,
                     coi_error_t *err)
{
  char owner[80], path[PATH_LEN];
  if (!coi_net_reservation_owner (site, addr, owner, sizeof owner, NULL) || strcmp (owner, container) != 0)
    return 0;
  addr_path (site, addr, path, sizeof path);
  if (unlink (path) < 0 && errno != ENOENT)
    return coi_error_errno (err, errno, "cannot remove %s", path);
  return 0;
}

int coi_net_reservations_foreach (const struct coi_net_site *site,
                                  int (*fn) (uint32_t addr, const char *owner, time_t mtime,
                                             void *data),
                                  void *data, coi_error_t *err)
{
  char dir[PATH_LEN];
  snprintf (dir, sizeof dir, "%s/addr", site->state_dir);
  _cleanup_closedir_ DIR *d = opendir (dir);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return coi_error_errno (err, errno, "cannot read %s", dir);
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      uint32_t a;
      char owner[80];
      time_t mtime = 0;
      if (!coi_ipv4_parse (de->d_name, &a)
          || !coi_net_reservation_owner (site, a, owner, sizeof owner, &mtime))
        continue;
      if (fn (a, owner, mtime, data) < 0)
        return -1;
    }
  return 0;
}
