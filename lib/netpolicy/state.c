#include "netpolicy/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netpolicy/addr.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define ADDR_DIR COI_NET_RUN_DIR "/addr"
#define SHARED_GROUP "incus-admin"

/* Addresses are handed out for every user of this Incus server, so the
 * bookkeeping is shared with the group that may use Incus (its members
 * are root-equivalent there anyway).  Only root sets the ownership. */
static void share_with_group (const char *path, mode_t mode)
{
  struct group *g = getgrnam (SHARED_GROUP);
  if (geteuid () == 0 && g && chown (path, 0, g->gr_gid) == 0)
    chmod (path, mode);
}

static int ensure_dirs (coi_error_t *err)
{
  if (coi_mkdir_p (ADDR_DIR, 0700, err) < 0)
    return -1;
  share_with_group ("/run/coi", 0755);
  share_with_group (COI_NET_RUN_DIR, 02770);
  share_with_group (ADDR_DIR, 02770);
  return 0;
}

int coi_net_lock (coi_error_t *err)
{
  if (ensure_dirs (err) < 0)
    return -1;
  int fd = open (COI_NET_RUN_DIR "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0660);
  if (fd < 0)
    return coi_error_errno (err, errno, "cannot open %s/lock", COI_NET_RUN_DIR);
  share_with_group (COI_NET_RUN_DIR "/lock", 0660);
  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        close (fd);
        return coi_error_errno (err, e, "cannot lock %s/lock", COI_NET_RUN_DIR);
      }
  return fd;
}

void coi_net_unlock (int fd)
{
  if (fd >= 0)
    close (fd); /* closing drops the flock */
}

static void addr_path (uint32_t addr, char *path, size_t len)
{
  char a[COI_IPV4_STRLEN];
  snprintf (path, len, "%s/%s", ADDR_DIR, coi_ipv4_str (addr, a));
}

int coi_net_reserve (uint32_t addr, const char *container, coi_error_t *err)
{
  char path[128];
  if (ensure_dirs (err) < 0)
    return -1;
  addr_path (addr, path, sizeof path);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
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

int coi_net_reservation_owner (uint32_t addr, char *owner, size_t len, time_t *mtime)
{
  char path[128];
  addr_path (addr, path, sizeof path);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
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

int coi_net_release (uint32_t addr, const char *container, coi_error_t *err)
{
  char owner[80], path[128];
  if (!coi_net_reservation_owner (addr, owner, sizeof owner, NULL) || strcmp (owner, container) != 0)
    return 0;
  addr_path (addr, path, sizeof path);
  if (unlink (path) < 0 && errno != ENOENT)
    return coi_error_errno (err, errno, "cannot remove %s", path);
  return 0;
}

int coi_net_reservations_foreach (int (*fn) (uint32_t addr, const char *owner, time_t mtime,
                                             void *data),
                                  void *data, coi_error_t *err)
{
  _cleanup_closedir_ DIR *d = opendir (ADDR_DIR);
  if (d == NULL)
    {
      if (errno == ENOENT)
        return 0;
      return coi_error_errno (err, errno, "cannot read %s", ADDR_DIR);
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      uint32_t a;
      char owner[80];
      time_t mtime = 0;
      if (!coi_ipv4_parse (de->d_name, &a) || !coi_net_reservation_owner (a, owner, sizeof owner, &mtime))
        continue;
      if (fn (a, owner, mtime, data) < 0)
        return -1;
    }
  return 0;
}
