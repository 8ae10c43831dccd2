/* coi file push LOCAL CONTAINER:PATH [-r] and coi file pull CONTAINER:PATH LOCAL [-r]
 * (spec A.2, G.2).  Pulls are hostile-container-safe (lib/incus/files.h). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cmd_container_common.h"
#include "cli/command.h"
#include "incus/files.h"
#include "util/cleanup.h"
#include "util/size.h"

COI_HANDLER (cmd_file_push);
COI_HANDLER (cmd_file_pull);

const struct coi_command coi_file_commands[] = {
  { "push", "Push a file or directory into a container", "<local-path> <container>:<remote-path> [-r]", NULL, cmd_file_push, NULL, false },
  { "pull", "Pull a file or directory from a container", "<container>:<remote-path> <local-path> [-r] [--max-size SIZE]", NULL, cmd_file_pull, NULL, false },
  { 0 },
};

struct file_opts
{
  bool recursive;
  char *max_size;
};

static void file_opts_clear (struct file_opts *o)
{
  free (o->max_size);
}

static const struct coi_opt push_options[] = {
  { "recursive", 'r', OPT_BOOL, OPT_AT (struct file_opts, recursive), "Push directory recursively", NULL, NULL },
  OPT_END,
};

static const struct coi_opt pull_options[] = {
  { "recursive", 'r', OPT_BOOL, OPT_AT (struct file_opts, recursive), "Pull directory recursively", NULL, NULL },
  { "max-size", 0, OPT_STRING, OPT_AT (struct file_opts, max_size),
    "Most bytes to pull, per file and in all (default 1GiB; 0: no limit)", NULL, "SIZE" },
  OPT_END,
};

/* The container decides what a pull sends: without a limit one sparse file
 * could fill the host's disk. */
static int pull_limit (const char *arg, unsigned long long *max, coi_error_t *err)
{
  *max = INCUS_PULL_DEFAULT_MAX;
  if (arg == NULL)
    return 0;
  if (!coi_parse_size (arg, max))
    return coi_error_usage (err, "invalid --max-size '%s': expected a size such as 512MiB or 4G", arg);
  if (*max == 0)
    *max = INCUS_PULL_UNLIMITED;
  return 0;
}

static void warn_skipped (void *data, const char *path, const char *why)
{
  (void) data;
  fprintf (stderr, "Warning: skipped %s: %s\n", path, why);
}

/* "container:path" -> its two halves (borrowed from spec, which is modified). */
static int split_remote (char *spec, const char *which, char **inst, char **path,
                         coi_error_t *err)
{
  char *colon = strchr (spec, ':');
  if (colon == NULL || colon == spec || colon[1] == '\0')
    return coi_error_usage (err, "%s must be in format 'container:path'", which);
  *colon = '\0';
  *inst = spec;
  *path = colon + 1;
  return 0;
}

static int parse_two (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts,
                      struct file_opts *o, const char *usage, char ***pos, coi_error_t *err)
{
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, opts, o, false, &p, err);
  if (r != 0)
    return r;
  *pos = p.pos;
  return coi_expect_args (&p, 2, usage, err);
}

static int push_one_file (struct incus_client *c, const char *local, const char *inst,
                          const char *rpath, coi_error_t *err)
{
  _cleanup_close_ int fd = open (local, O_RDONLY | O_NOCTTY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return coi_error_errno (err, errno, "open %s", local);
  if (!S_ISREG (st.st_mode))
    return coi_error_make (err, EINVAL, "push %s: not a regular file or directory", local);
  /* "dir/" or an existing directory means "into it", as cp and incus do. */
  _cleanup_free_ char *target = NULL;
  size_t n = strlen (rpath);
  struct incus_file_stat rst;
  int ex = rpath[n - 1] == '/' ? 1 : incus_file_exists (c, inst, rpath, &rst, err);
  if (ex < 0)
    return -1;
  if (ex && (rpath[n - 1] == '/' || rst.type == INCUS_FILE_DIRECTORY))
    {
      _cleanup_free_ char *copy = strdup (local);
      if (copy == NULL
          || asprintf (&target, "%s%s%s", rpath, rpath[n - 1] == '/' ? "" : "/", basename (copy)) < 0)
        return coi_error_errno (err, ENOMEM, "push %s", local);
    }
  struct incus_file_attrs a = { .uid = (long long) st.st_uid, .gid = (long long) st.st_gid,
                                .mode = (int) (st.st_mode & 07777) };
  return incus_file_push_fd (c, inst, target ? target : rpath, fd, (long long) st.st_size, a,
                             err);
}

COI_HANDLER (cmd_file_push)
{
  struct file_opts o = { 0 };
  _cleanup_free_ char **pos = NULL;
  int r = parse_two (ctx, argc, argv, push_options, &o,
                     "coi file push <local-path> <container>:<remote-path> [-r]", &pos, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  const char *local = pos[0];
  char *inst = NULL, *rpath = NULL;
  if (split_remote (pos[1], "destination", &inst, &rpath, err) < 0)
    return -1;
  struct stat st;
  if (stat (local, &st) < 0)
    return coi_error_errno (err, errno, "source %s does not exist", local);
  if (S_ISDIR (st.st_mode) && !o.recursive)
    return coi_error_usage (err, "source %s is a directory, use -r flag", local);
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  if (S_ISDIR (st.st_mode))
    {
      struct incus_push_opts po = INCUS_PUSH_OPTS_DEFAULT;
      po.warn = warn_skipped;
      if (incus_file_push_tree (c, inst, local, rpath, &po, err) < 0)
        return -1;
      fprintf (stderr, "Pushed directory %s -> %s:%s\n", local, inst, rpath);
      return 0;
    }
  if (push_one_file (c, local, inst, rpath, err) < 0)
    return coi_error_prefix (err, "push file");
  fprintf (stderr, "Pushed file %s -> %s:%s\n", local, inst, rpath);
  return 0;
}

/* Where a pull lands, decided before anything is transferred: an existing
 * directory means "inside it"; a trailing slash demands one; the final
 * target never already exists, except a non-directory a single-file pull
 * replaces (a symlink there is replaced, never written through). */
static int pull_target (const char *local, const char *rpath, bool recursive, char **target,
                        coi_error_t *err)
{
  _cleanup_free_ char *r = strdup (rpath), *l = strdup (local);
  if (r == NULL || l == NULL)
    return coi_error_errno (err, ENOMEM, "pull");
  size_t rn = strlen (r), ln = strlen (l);
  while (rn > 1 && r[rn - 1] == '/')
    r[--rn] = '\0';
  const char *base = strrchr (r, '/') ? strrchr (r, '/') + 1 : r;
  if (*base == '\0' || !strcmp (base, ".") || !strcmp (base, ".."))
    return coi_error_usage (err, "cannot derive a file name from remote path '%s'", rpath);
  bool trailing = ln > 0 && l[ln - 1] == '/';
  while (ln > 1 && l[ln - 1] == '/')
    l[--ln] = '\0';
  struct stat st;
  int e = lstat (l, &st) == 0 ? 0 : errno;
  if (e == 0 && S_ISDIR (st.st_mode))
    {
      if (asprintf (target, "%s%s%s", l, l[ln - 1] == '/' ? "" : "/", base) < 0)
        return coi_error_errno (err, ENOMEM, "pull");
    }
  else if (e == 0 && trailing)
    return coi_error_usage (err, "destination '%s' is not a directory", local);
  else if (e != 0 && e != ENOENT)
    return coi_error_errno (err, e, "destination %s", local);
  else if (e != 0 && trailing)
    return coi_error_usage (err, "destination '%s' does not exist: a trailing slash requires an "
                                 "existing directory", local);
  else if ((*target = strdup (l)) == NULL)
    return coi_error_errno (err, ENOMEM, "pull");
  if (lstat (*target, &st) < 0)
    return errno == ENOENT ? 0 : coi_error_errno (err, errno, "destination %s", *target);
  if (S_ISDIR (st.st_mode))
    return coi_error_usage (err, "destination '%s' already exists; remove it or choose another "
                                 "name", *target);
  if (recursive)
    return coi_error_usage (err, "destination '%s' already exists and is not a directory; "
                                 "remove it or choose another name", *target);
  return 0;
}

COI_HANDLER (cmd_file_pull)
{
  __attribute__ ((cleanup (file_opts_clear))) struct file_opts o = { 0 };
  _cleanup_free_ char **pos = NULL;
  int r = parse_two (ctx, argc, argv, pull_options, &o,
                     "coi file pull <container>:<remote-path> <local-path> [-r] [--max-size SIZE]",
                     &pos, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  char *inst = NULL, *rpath = NULL;
  unsigned long long max;
  if (pull_limit (o.max_size, &max, err) < 0 || split_remote (pos[0], "source", &inst, &rpath, err) < 0)
    return -1;
  _cleanup_free_ char *target = NULL;
  if (pull_target (pos[1], rpath, o.recursive, &target, err) < 0)
    return -1;
  struct incus_client *c;
  struct incus_file_stat st;
  if (coi_ctx_client (ctx, &c, err) < 0 || incus_file_stat (c, inst, rpath, &st, err) < 0)
    return coi_error_prefix (err, "pull %s:%s", inst, rpath);
  if (st.type == INCUS_FILE_DIRECTORY)
    {
      if (!o.recursive)
        {
          coi_error_usage (err, "pull %s:%s: is a directory", inst, rpath);
          coi_error_set_hint (err, "to pull a directory, use -r");
          return -1;
        }
      struct incus_pull_opts po = { .warn = warn_skipped, .max_file_bytes = max,
                                    .max_total_bytes = max };
      if (incus_file_pull_tree (c, inst, rpath, target, &po, err) < 0)
        return -1;
      fprintf (stderr, "Pulled directory %s:%s -> %s\n", inst, rpath, target);
      return 0;
    }
  if (incus_file_pull_file (c, inst, rpath, target, max, err) < 0)
    {
      if ((*err)->status == EFBIG)
        coi_error_set_hint (err, "nothing was written; --max-size raises the limit");
      return -1;
    }
  fprintf (stderr, "Pulled file %s:%s -> %s\n", inst, rpath, target);
  return 0;
}
