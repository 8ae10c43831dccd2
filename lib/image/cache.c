#include "image/cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define DEFAULT_DIR "/var/cache/coi"
#define DEFAULT_MAX_AGE_DAYS 30

char *coi_cache_dir (void)
{
  const char *env = getenv ("COI_CACHE_DIR");
  if (env && *env)
    return strdup (env);
  if (geteuid () == 0)
    return strdup (DEFAULT_DIR);
  /* Builds from a base image need no root: their log and lock go here. */
  const char *xdg = getenv ("XDG_CACHE_HOME");
  const char *home = getenv ("HOME");
  char *p = NULL;
  if (xdg && *xdg)
    return asprintf (&p, "%s/coi", xdg) < 0 ? NULL : p;
  if (home && *home)
    return asprintf (&p, "%s/.cache/coi", home) < 0 ? NULL : p;
  return strdup (DEFAULT_DIR);
}

int coi_cache_open (struct coi_cache *c, coi_error_t *err)
{
  c->lock_fd = -1;
  c->dir = coi_cache_dir ();
  if (c->dir == NULL)
    return coi_error_errno (err, ENOMEM, "open the build cache");
  if (coi_mkdir_p (c->dir, 0755, err) < 0)
    return coi_error_prefix (err, "open the build cache");
  _cleanup_free_ char *lock = coi_cache_path (c, "build.lock");
  if (lock == NULL)
    return coi_error_errno (err, ENOMEM, "open the build cache");
  c->lock_fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (c->lock_fd < 0)
    return coi_error_errno (err, errno, "open %s", lock);
  if (flock (c->lock_fd, LOCK_EX | LOCK_NB) < 0)
    {
      if (errno != EWOULDBLOCK)
        return coi_error_errno (err, errno, "lock %s", lock);
      fprintf (stderr, "Waiting for another coi build to finish (%s)...\n", lock);
      while (flock (c->lock_fd, LOCK_EX) < 0)
        if (errno != EINTR)
          return coi_error_errno (err, errno, "lock %s", lock);
    }
  return 0;
}

void coi_cache_close (struct coi_cache *c)
{
  if (c->lock_fd >= 0)
    close (c->lock_fd); /* drops the lock */
  c->lock_fd = -1;
  free (c->dir);
  c->dir = NULL;
}

char *coi_cache_path (const struct coi_cache *c, const char *name)
{
  char *p = NULL;
  return asprintf (&p, "%s/%s", c->dir, name) < 0 ? NULL : p;
}

char *coi_cache_layer_path (const struct coi_cache *c, const char *layer, const char *key)
{
  char *p = NULL;
  return asprintf (&p, "%s/%s-%s", c->dir, layer, key) < 0 ? NULL : p;
}

static int max_age_days (void)
{
  const char *env = getenv ("COI_CACHE_MAX_AGE_DAYS");
  int d = env ? atoi (env) : 0;
  return d > 0 ? d : DEFAULT_MAX_AGE_DAYS;
}

bool coi_cache_fresh (const struct coi_cache *c, const char *layer, const char *key)
{
  _cleanup_free_ char *tree = coi_cache_layer_path (c, layer, key);
  _cleanup_free_ char *stamp = NULL;
  struct stat st_tree, st_stamp;
  if (tree == NULL || asprintf (&stamp, "%s.ok", tree) < 0)
    return false;
  if (lstat (tree, &st_tree) < 0 || !S_ISDIR (st_tree.st_mode) || lstat (stamp, &st_stamp) < 0
      || !S_ISREG (st_stamp.st_mode))
    return false;
  return time (NULL) - st_stamp.st_mtime < (time_t) max_age_days () * 86400;
}

int coi_cache_commit (const struct coi_cache *c, const char *layer, const char *key,
                      const char *partial, coi_error_t *err)
{
  _cleanup_free_ char *tree = coi_cache_layer_path (c, layer, key);
  _cleanup_free_ char *stamp = NULL;
  if (tree == NULL || asprintf (&stamp, "%s.ok", tree) < 0)
    return coi_error_errno (err, ENOMEM, "store %s in the cache", layer);
  /* A stale tree of the same key (too old) gives way to the new one. */
  if (access (tree, F_OK) == 0 && coi_rm_tree (tree, err) < 0)
    return -1;
  unlink (stamp);
  if (rename (partial, tree) < 0)
    return coi_error_errno (err, errno, "store %s in the cache: rename %s", layer, partial);
  char when[32];
  snprintf (when, sizeof (when), "%lld\n", (long long) time (NULL));
  if (coi_write_file_atomic (stamp, when, strlen (when), 0644, err) < 0)
    return coi_error_prefix (err, "store %s in the cache", layer);
  return 0;
}

static int rm_entry (const char *path, const struct stat *st, int type, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  int r = type == FTW_DP ? rmdir (path) : unlink (path);
  return r < 0 && errno != ENOENT ? -1 : 0;
}

int coi_rm_tree (const char *path, coi_error_t *err)
{
  struct stat st;
  if (lstat (path, &st) < 0)
    return errno == ENOENT ? 0 : coi_error_errno (err, errno, "remove %s", path);
  if (!S_ISDIR (st.st_mode))
    return unlink (path) < 0 ? coi_error_errno (err, errno, "remove %s", path) : 0;
  if (nftw (path, rm_entry, 64, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0)
    return coi_error_errno (err, errno, "remove %s", path);
  return 0;
}

int coi_cache_prune (const struct coi_cache *c, const char *layer, const char *keep_key,
                     coi_error_t *err)
{
  _cleanup_closedir_ DIR *d = opendir (c->dir);
  if (d == NULL)
    return coi_error_errno (err, errno, "read %s", c->dir);
  size_t ll = strlen (layer);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      const char *n = de->d_name;
      if (strncmp (n, layer, ll) != 0 || n[ll] != '-')
        continue;
      const char *key = n + ll + 1;
      size_t kl = strlen (keep_key);
      /* Keep "<key>" and "<key>.ok"; everything else, ".partial" too, goes. */
      if (strncmp (key, keep_key, kl) == 0 && (key[kl] == '\0' || strcmp (key + kl, ".ok") == 0))
        continue;
      _cleanup_free_ char *p = coi_cache_path (c, n);
      if (p == NULL)
        return coi_error_errno (err, ENOMEM, "prune the cache");
      if (coi_rm_tree (p, err) < 0)
        return -1;
    }
  return 0;
}
