/* Pushing a host directory tree into an instance.  The host side is walked
 * with directory fds and O_NOFOLLOW, so a symlink in the tree is sent as a
 * symlink and never followed out of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "incus/files.h"
#include "incus/files_private.h"
#include "incus/pathsafe.h"
#include "util/cleanup.h"

struct push_ctx
{
  struct incus_client *c;
  const char *inst;
  struct incus_push_opts *o;
};

static struct incus_file_attrs attrs_of (struct push_ctx *x, const struct stat *st)
{
  return (struct incus_file_attrs) {
    .uid = x->o->uid >= 0 ? x->o->uid : (long long) st->st_uid,
    .gid = x->o->gid >= 0 ? x->o->gid : (long long) st->st_gid,
    .mode = (int) (st->st_mode & 07777),
  };
}

static int push_dir (struct push_ctx *x, int dfd, const char *rpath, bool fresh, int depth,
                     coi_error_t *err);

static int push_file (struct push_ctx *x, int dfd, const char *name, const char *rpath,
                      bool fresh, coi_error_t *err)
{
  _cleanup_close_ int fd = openat (dfd, name, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return coi_error_errno (err, errno, "open %s", rpath);
  /* It may have been swapped since the directory was read. */
  if (!S_ISREG (st.st_mode))
    {
      x->o->skipped++;
      incus_files_warn (x->o->warn, x->o->warn_data, rpath, "changed during the push");
      return 0;
    }
  struct incus_file_attrs a = attrs_of (x, &st);
  /* Nothing can be in the way inside a directory we just created, so the
     existence check (two round trips) is only needed when merging. */
  int r = fresh ? incus_files_post_fd (x->c, x->inst, rpath, fd, (long long) st.st_size, a, err)
                : incus_file_push_fd (x->c, x->inst, rpath, fd, (long long) st.st_size, a, err);
  if (r < 0)
    return -1;
  x->o->files++;
  return 0;
}

static int push_link (struct push_ctx *x, int dfd, const char *name, const char *rpath,
                      const struct stat *st, bool fresh, coi_error_t *err)
{
  char target[PATH_MAX];
  ssize_t n = readlinkat (dfd, name, target, sizeof target - 1);
  if (n < 0)
    return coi_error_errno (err, errno, "read link %s", rpath);
  target[n] = '\0';
  if (!fresh)
    {
      struct incus_file_stat rst;
      int ex = incus_file_exists (x->c, x->inst, rpath, &rst, err);
      if (ex < 0)
        return -1;
      if (ex && rst.type == INCUS_FILE_DIRECTORY)
        return coi_error_make (err, EISDIR, "write %s in %s: is a directory", rpath, x->inst);
      if (ex && incus_file_delete (x->c, x->inst, rpath, err) < 0)
        return -1;
    }
  if (incus_file_symlink (x->c, x->inst, rpath, target, attrs_of (x, st), err) < 0)
    return -1;
  x->o->links++;
  return 0;
}

static int push_subdir (struct push_ctx *x, int dfd, const char *name, const char *rpath,
                        const struct stat *st, bool fresh, int depth, coi_error_t *err)
{
  if (depth >= INCUS_FILES_MAX_DEPTH)
    return coi_error_make (err, ELOOP, "push %s: directory tree too deep", rpath);
  bool created = fresh;
  if (!fresh)
    {
      int ex = incus_file_exists (x->c, x->inst, rpath, NULL, err);
      if (ex < 0)
        return -1;
      created = ex == 0;
    }
  if (incus_file_mkdir (x->c, x->inst, rpath, attrs_of (x, st), err) < 0)
    return -1;
  _cleanup_close_ int sub = pathsafe_open_dir (dfd, name);
  if (sub < 0)
    return coi_error_errno (err, errno, "open directory %s", rpath);
  if (push_dir (x, sub, rpath, created, depth + 1, err) < 0)
    return -1;
  x->o->dirs++;
  return 0;
}

static int push_entry (struct push_ctx *x, int dfd, const char *name, const char *rdir,
                       bool fresh, int depth, coi_error_t *err)
{
  _cleanup_free_ char *rpath = incus_files_join (rdir, name);
  struct stat st;
  if (rpath == NULL)
    return coi_error_errno (err, ENOMEM, "push %s", rdir);
  if (fstatat (dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return coi_error_errno (err, errno, "stat %s", rpath);
    }
  if (S_ISDIR (st.st_mode))
    return push_subdir (x, dfd, name, rpath, &st, fresh, depth, err);
  if (S_ISREG (st.st_mode))
    return push_file (x, dfd, name, rpath, fresh, err);
  if (S_ISLNK (st.st_mode))
    return push_link (x, dfd, name, rpath, &st, fresh, err);
  x->o->skipped++;
  incus_files_warn (x->o->warn, x->o->warn_data, rpath,
                    "sockets, fifos and devices are not pushed");
  return 0;
}

static int push_dir (struct push_ctx *x, int dfd, const char *rpath, bool fresh, int depth,
                     coi_error_t *err)
{
  int dup_fd = dup (dfd);
  if (dup_fd < 0)
    return coi_error_errno (err, errno, "read directory for %s", rpath);
  _cleanup_closedir_ DIR *d = fdopendir (dup_fd);
  if (d == NULL)
    {
      close (dup_fd);
      return coi_error_errno (err, errno, "read directory for %s", rpath);
    }
  for (;;)
    {
      errno = 0;
      struct dirent *e = readdir (d);
      if (e == NULL)
        {
          if (errno)
            return coi_error_errno (err, errno, "read directory for %s", rpath);
          return 0;
        }
      if (!strcmp (e->d_name, ".") || !strcmp (e->d_name, ".."))
        continue;
      if (push_entry (x, dfd, e->d_name, rpath, fresh, depth, err) < 0)
        return -1;
    }
}

int incus_file_push_tree (struct incus_client *c, const char *inst, const char *local,
                          const char *path, struct incus_push_opts *opts, coi_error_t *err)
{
  struct incus_push_opts dflt = INCUS_PUSH_OPTS_DEFAULT;
  struct push_ctx x = { .c = c, .inst = inst, .o = opts ? opts : &dflt };
  _cleanup_close_ int fd = open (local, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return coi_error_errno (err, errno, "push %s", local);
  struct incus_file_stat rst;
  int ex = incus_file_exists (c, inst, path, &rst, err);
  if (ex < 0)
    return coi_error_prefix (err, "push %s", local);
  if (ex && rst.type != INCUS_FILE_DIRECTORY)
    return coi_error_make (err, ENOTDIR, "push %s: %s in %s exists and is not a directory",
                           local, path, inst);
  if (!ex && incus_file_mkdir (c, inst, path, attrs_of (&x, &st), err) < 0)
    return coi_error_prefix (err, "push %s", local);
  if (push_dir (&x, fd, path, !ex, 0, err) < 0)
    return coi_error_prefix (err, "push %s", local);
  x.o->dirs++;
  return 0;
}
