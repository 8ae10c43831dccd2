/* Pulling files and trees from an untrusted container onto the host.
 *
 * Every host-side step is relative to a directory fd we opened ourselves,
 * with O_NOFOLLOW/O_EXCL on anything we create.  A tree is assembled under a
 * fresh temporary directory and renamed into place only when complete, so
 * nothing outside the destination is ever written and a failed pull leaves
 * nothing half-made behind. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "incus/files.h"
#include "incus/files_private.h"
#include "incus/pathsafe.h"
#include "util/cleanup.h"
#include "util/size.h"

struct pull_ctx
{
  struct incus_client *c;
  const char *inst;
  struct incus_pull_opts *o;
  unsigned long long max_file, max_total; /* resolved: 0 is no limit */
};

static unsigned long long resolve_limit (unsigned long long v)
{
  if (v == 0)
    return INCUS_PULL_DEFAULT_MAX;
  return v == INCUS_PULL_UNLIMITED ? 0 : v;
}

/* The limit for the next file: the smaller of the per-file one and what is
 * left of the total (0: none).  With nothing left, *full is set. */
static unsigned long long file_limit (const struct pull_ctx *x, bool *by_total, bool *full)
{
  *by_total = *full = false;
  if (x->max_total == 0)
    return x->max_file;
  unsigned long long left = x->o->bytes >= x->max_total ? 0 : x->max_total - x->o->bytes;
  if (x->max_file && x->max_file <= left)
    return x->max_file;
  *by_total = true;
  *full = left == 0;
  return left;
}

static void skip (struct pull_ctx *x, const char *path, const char *why)
{
  x->o->skipped++;
  incus_files_warn (x->o->warn, x->o->warn_data, path, why);
}

/* Create a new file `name` in dfd from the regular file `rpath`. */
static int pull_entry_file (struct pull_ctx *x, int dfd, const char *name, const char *rpath,
                            const struct incus_file_stat *st, coi_error_t *err)
{
  _cleanup_close_ int fd
      = openat (dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      if (errno == EEXIST)
        {
          skip (x, rpath, "the directory listed this name twice");
          return 0;
        }
      return coi_error_errno (err, errno, "create %s", rpath);
    }
  bool by_total, full;
  unsigned long long max = file_limit (x, &by_total, &full), got = 0;
  int r = full && st->size != 0
              ? coi_error_make (err, EFBIG, "pull %s from %s: no room left", rpath, x->inst)
              : incus_files_get_into (x->c, x->inst, rpath, st, fd, max, &got, err);
  if (r < 0)
    {
      /* A live container may change its files under us: an entry that
         vanished or changed type is skipped, not fatal to the whole pull;
         so is a file over a limit, which must leave nothing behind. */
      int status = (*err)->status;
      if (status != 404 && status != EAGAIN && status != EFBIG)
        return -1;
      coi_error_release (err);
      if (unlinkat (dfd, name, 0) < 0)
        return coi_error_errno (err, errno, "remove partial %s", rpath);
      /* Name the limit the file is known to break: its own size, announced
         or received, over the per-file one, else the total. */
      unsigned long long seen = st->size > 0 && (unsigned long long) st->size > got
                                    ? (unsigned long long) st->size
                                    : got;
      if (x->max_file && seen > x->max_file)
        by_total = false;
      char lim[32], why[96];
      if (status == EFBIG && by_total)
        snprintf (why, sizeof why, "the pull reached its limit of %s in all",
                  coi_size_str (x->max_total, lim));
      else if (status == EFBIG)
        snprintf (why, sizeof why, "larger than the limit of %s per file",
                  coi_size_str (x->max_file, lim));
      skip (x, rpath, status == 404      ? "it disappeared during the pull"
                      : status == EAGAIN ? "it changed type during the pull"
                                         : why);
      return 0;
    }
  x->o->bytes += got;
  if (fchmod (fd, pathsafe_host_mode (st->mode)) < 0)
    return coi_error_errno (err, errno, "set mode of %s", rpath);
  x->o->files++;
  return 0;
}

static int pull_dir (struct pull_ctx *x, const char *rpath, int dfd, int depth,
                     coi_error_t *err);

static int pull_entry_dir (struct pull_ctx *x, int dfd, const char *name, const char *rpath,
                           const struct incus_file_stat *st, int depth, coi_error_t *err)
{
  if (depth >= INCUS_FILES_MAX_DEPTH)
    {
      skip (x, rpath, "directory tree too deep");
      return 0;
    }
  /* 0700 while we fill it; the container's mode is applied afterwards. */
  if (mkdirat (dfd, name, 0700) < 0)
    {
      if (errno == EEXIST)
        {
          skip (x, rpath, "the directory listed this name twice");
          return 0;
        }
      return coi_error_errno (err, errno, "create directory %s", rpath);
    }
  _cleanup_close_ int sub = pathsafe_open_dir (dfd, name);
  if (sub < 0)
    return coi_error_errno (err, errno, "open directory %s", rpath);
  if (pull_dir (x, rpath, sub, depth + 1, err) < 0)
    return -1;
  if (fchmod (sub, pathsafe_host_mode (st->mode)) < 0)
    return coi_error_errno (err, errno, "set mode of %s", rpath);
  x->o->dirs++;
  return 0;
}

static int pull_entry (struct pull_ctx *x, int dfd, json_t *jname, const char *rpath_dir,
                       int depth, coi_error_t *err)
{
  const char *name = json_string_value (jname);
  size_t len = json_string_length (jname);
  _cleanup_free_ char *rpath = name ? incus_files_join (rpath_dir, name) : NULL;
  if (name == NULL || !pathsafe_name_ok (name, len))
    {
      _cleanup_free_ char *shown = incus_files_join (rpath_dir, name ? name : "?");
      skip (x, shown ? shown : rpath_dir, "unsafe file name");
      return 0;
    }
  if (rpath == NULL)
    return coi_error_errno (err, ENOMEM, "pull %s", rpath_dir);

  struct incus_file_stat st;
  int ex = incus_file_exists (x->c, x->inst, rpath, &st, err);
  if (ex < 0)
    return -1;
  if (ex == 0)
    {
      skip (x, rpath, "it disappeared during the pull");
      return 0;
    }
  switch (st.type)
    {
    case INCUS_FILE_REGULAR:
      return pull_entry_file (x, dfd, name, rpath, &st, err);
    case INCUS_FILE_DIRECTORY:
      return pull_entry_dir (x, dfd, name, rpath, &st, depth, err);
    case INCUS_FILE_SYMLINK:
      skip (x, rpath, "symlinks from a container are not created on the host");
      return 0;
    default:
      skip (x, rpath, "not a regular file or directory");
      return 0;
    }
}

static int pull_dir (struct pull_ctx *x, const char *rpath, int dfd, int depth,
                     coi_error_t *err)
{
  _cleanup_json_ json_t *names = NULL;
  if (incus_files_list_json (x->c, x->inst, rpath, &names, err) < 0)
    return -1;
  size_t i;
  json_t *e;
  json_array_foreach (names, i, e)
  {
    if (pull_entry (x, dfd, e, rpath, depth, err) < 0)
      return -1;
  }
  return 0;
}

/* Put the finished temporary `tmp` at `base` inside pfd. */
static int place (int pfd, const char *tmp, const char *base, bool exists, bool replace,
                  const char *local, coi_error_t *err)
{
  if (!exists)
    {
      /* NOREPLACE: something created meanwhile is never clobbered. */
      if (renameat2 (pfd, tmp, pfd, base, RENAME_NOREPLACE) < 0)
        return coi_error_errno (err, errno, "move pulled tree to %s", local);
      return 0;
    }
  if (!replace)
    return coi_error_make (err, EEXIST, "destination %s already exists", local);
  /* Swap atomically, then remove the old entry (now under our temp name)
     without following anything in it. */
  if (renameat2 (pfd, tmp, pfd, base, RENAME_EXCHANGE) < 0)
    return coi_error_errno (err, errno, "replace %s", local);
  if (pathsafe_remove_tree (pfd, tmp) < 0)
    return coi_error_errno (err, errno, "remove the previous %s", local);
  return 0;
}

int incus_file_pull_tree (struct incus_client *c, const char *inst, const char *path,
                          const char *local, struct incus_pull_opts *opts, coi_error_t *err)
{
  struct incus_pull_opts dummy = { 0 };
  struct pull_ctx x = { .c = c, .inst = inst, .o = opts ? opts : &dummy };
  x.max_file = resolve_limit (x.o->max_file_bytes);
  x.max_total = resolve_limit (x.o->max_total_bytes);
  struct incus_file_stat st;
  if (incus_file_stat (c, inst, path, &st, err) < 0)
    return coi_error_prefix (err, "pull %s from %s", path, inst);
  if (st.type != INCUS_FILE_DIRECTORY)
    return coi_error_make (err, ENOTDIR, "pull %s from %s: not a directory", path, inst);

  _cleanup_close_ int pfd = -1;
  _cleanup_free_ char *base = NULL;
  if (pathsafe_open_parent (local, &pfd, &base, err) < 0)
    return coi_error_prefix (err, "pull to %s", local);
  struct stat lst;
  bool exists = fstatat (pfd, base, &lst, AT_SYMLINK_NOFOLLOW) == 0;
  if (!exists && errno != ENOENT)
    return coi_error_errno (err, errno, "pull to %s", local);
  if (exists && !(x.o->flags & INCUS_PULL_REPLACE))
    return coi_error_make (err, EEXIST, "destination %s already exists", local);

  _cleanup_free_ char *tmp = NULL;
  _cleanup_close_ int tfd = -1;
  if (pathsafe_tmp_dir (pfd, &tmp, &tfd, err) < 0)
    return coi_error_prefix (err, "pull to %s", local);
  int r = pull_dir (&x, path, tfd, 0, err);
  if (r == 0 && fchmod (tfd, pathsafe_host_mode (st.mode)) < 0)
    r = coi_error_errno (err, errno, "set mode of %s", local);
  if (r == 0)
    r = place (pfd, tmp, base, exists, x.o->flags & INCUS_PULL_REPLACE, local, err);
  if (r < 0)
    {
      int saved = errno;
      (void) pathsafe_remove_tree (pfd, tmp);
      errno = saved;
      return -1;
    }
  x.o->dirs++;
  return 0;
}

int incus_file_pull_file (struct incus_client *c, const char *inst, const char *path,
                          const char *local, unsigned long long max_bytes, coi_error_t *err)
{
  struct incus_file_stat st;
  if (incus_file_stat (c, inst, path, &st, err) < 0)
    return coi_error_prefix (err, "pull %s from %s", path, inst);
  if (st.type == INCUS_FILE_DIRECTORY)
    return coi_error_make (err, EISDIR, "pull %s from %s: is a directory", path, inst);
  if (st.type != INCUS_FILE_REGULAR)
    return coi_error_make (err, EINVAL, "pull %s from %s: not a regular file", path, inst);

  _cleanup_close_ int pfd = -1;
  _cleanup_free_ char *base = NULL;
  if (pathsafe_open_parent (local, &pfd, &base, err) < 0)
    return coi_error_prefix (err, "pull to %s", local);
  struct stat lst;
  if (fstatat (pfd, base, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (lst.st_mode))
    return coi_error_make (err, EISDIR, "destination %s is an existing directory", local);

  _cleanup_free_ char *tmp = NULL;
  _cleanup_close_ int fd = -1;
  if (pathsafe_tmp_file (pfd, &tmp, &fd, err) < 0)
    return coi_error_prefix (err, "pull to %s", local);
  unsigned long long got;
  int r = incus_files_get_into (c, inst, path, &st, fd, resolve_limit (max_bytes), &got, err);
  if (r == 0 && fchmod (fd, pathsafe_host_mode (st.mode)) < 0)
    r = coi_error_errno (err, errno, "set mode of %s", local);
  if (r == 0 && close (steal_fd (&fd)) < 0)
    r = coi_error_errno (err, errno, "write %s", local);
  /* rename replaces a file or a symlink itself, never what a link points at. */
  if (r == 0 && renameat (pfd, tmp, pfd, base) < 0)
    r = coi_error_errno (err, errno, "move pulled file to %s", local);
  if (r < 0)
    {
      int saved = errno;
      (void) unlinkat (pfd, tmp, 0);
      errno = saved;
      return -1;
    }
  return 0;
}
