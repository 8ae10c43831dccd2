/* Files inside an instance through /1.0/instances/NAME/files: stat, push,
 * pull, mkdir, symlink, delete, and whole trees in both directions.  Works on
 * stopped containers too.  Contents are streamed from and to file
 * descriptors, never held in memory.
 *
 * A container is untrusted: pulls write only below the local destination,
 * relative to directory fds, never follow a symlink on the host, never create
 * symlinks, devices or fifos on the host, never give a mode above 0755, skip
 * names with control characters and write no more bytes than their limits. */
#ifndef COI_INCUS_FILES_H
#define COI_INCUS_FILES_H

#include <stdbool.h>
#include <stddef.h>

#include "incus/client.h"

enum incus_file_type
{
  INCUS_FILE_OTHER = 0,
  INCUS_FILE_REGULAR,
  INCUS_FILE_DIRECTORY,
  INCUS_FILE_SYMLINK,
};

struct incus_file_stat
{
  enum incus_file_type type;
  unsigned mode;    /* permission bits, 0..07777 */
  long long uid;
  long long gid;
  long long size;   /* regular files only; -1 when unknown */
};

/* Ownership and mode of a pushed entry; -1 leaves it to the server (root,
 * 0644 for files, 0755 for directories). */
struct incus_file_attrs
{
  long long uid;
  long long gid;
  int mode;
};
#define INCUS_FILE_ATTRS_DEFAULT ((struct incus_file_attrs) { -1, -1, -1 })

/* HEAD: what `path` is, without following a symlink there.  A missing path
 * fails with status 404, a missing instance with status ENXIO.  Incus reports fifos, sockets and devices as empty
 * regular files (size 0); nothing here ever opens such an entry. */
int incus_file_stat (struct incus_client *c, const char *inst, const char *path,
                     struct incus_file_stat *st, coi_error_t *err);
/* 1 if `path` exists, 0 if not, -1 on error; `st` may be NULL. */
int incus_file_exists (struct incus_client *c, const char *inst, const char *path,
                       struct incus_file_stat *st, coi_error_t *err);

/* POST a regular file, body read from fd (current offset to EOF; size = -1 if
 * unknown) or from memory.  An existing file or symlink at `path` is replaced
 * so that the new mode and owner apply. */
int incus_file_push_fd (struct incus_client *c, const char *inst, const char *path, int fd,
                        long long size, struct incus_file_attrs attrs, coi_error_t *err);
int incus_file_push_data (struct incus_client *c, const char *inst, const char *path,
                          const void *data, size_t len, struct incus_file_attrs attrs,
                          coi_error_t *err);
/* Create a directory (an existing directory is left as it is). */
int incus_file_mkdir (struct incus_client *c, const char *inst, const char *path,
                      struct incus_file_attrs attrs, coi_error_t *err);
/* Create the symlink `path` -> `target` inside the instance. */
int incus_file_symlink (struct incus_client *c, const char *inst, const char *path,
                        const char *target, struct incus_file_attrs attrs, coi_error_t *err);
/* DELETE a file, symlink or empty directory. */
int incus_file_delete (struct incus_client *c, const char *inst, const char *path,
                       coi_error_t *err);

/* GET a directory listing: *names is a NULL-terminated vector of entry
 * names as the server sent them (caller frees; validate before use). */
int incus_file_list (struct incus_client *c, const char *inst, const char *path, char ***names,
                     coi_error_t *err);

/* GET a regular file's contents into fd.  Refuses anything that is not a
 * regular file, and never sends a GET for an empty one (an Incus GET of a
 * fifo blocks forever).  `st` (may be NULL) receives what was pulled. */
int incus_file_pull_fd (struct incus_client *c, const char *inst, const char *path, int fd,
                        struct incus_file_stat *st, coi_error_t *err);

/* Warnings from tree transfers (skipped entries); NULL prints them to stderr. */
typedef void (*incus_file_warn_fn) (void *data, const char *path, const char *why);

/* Byte limits of a pull, counted on the bytes received (a container may
 * announce one size and send another).  0 in an option means this default;
 * INCUS_PULL_UNLIMITED means none. */
#define INCUS_PULL_DEFAULT_MAX (1ull << 30)
#define INCUS_PULL_UNLIMITED (~0ull)

/* Pull a regular file to the host: `local` (its last component is never
 * followed) is replaced atomically by a temp file renamed into place.  An
 * existing directory at `local` is refused.  A file larger than max_bytes
 * (see above) fails with status EFBIG and leaves nothing.  Mode: see
 * pathsafe_host_mode (at most 0755). */
int incus_file_pull_file (struct incus_client *c, const char *inst, const char *path,
                          const char *local, unsigned long long max_bytes, coi_error_t *err);

enum
{
  INCUS_PULL_REPLACE = 1 << 0, /* atomically replace whatever is at `local` */
};

struct incus_pull_opts
{
  unsigned flags;
  incus_file_warn_fn warn;
  void *warn_data;
  /* Limits (see above): a file over max_file_bytes, or one that would
     bring the pull over max_total_bytes, is skipped with a warning and
     nothing of it stays on the host. */
  unsigned long long max_file_bytes;
  unsigned long long max_total_bytes;
  /* out */
  unsigned long long files, dirs, skipped, bytes;
};

/* Pull the directory `path` to the new host directory `local`.  The tree is
 * built under a temporary name next to `local` and renamed into place at the
 * end, so `local` appears complete or not at all.  Without
 * INCUS_PULL_REPLACE an existing `local` is refused (status EEXIST).
 * Symlinks, entries with unsafe names and files over a limit are skipped
 * with a warning. */
int incus_file_pull_tree (struct incus_client *c, const char *inst, const char *path,
                          const char *local, struct incus_pull_opts *opts, coi_error_t *err);

struct incus_push_opts
{
  long long uid; /* -1: each entry's own owner on the host */
  long long gid;
  incus_file_warn_fn warn;
  void *warn_data;
  /* out */
  unsigned long long files, dirs, links, skipped;
};
#define INCUS_PUSH_OPTS_DEFAULT ((struct incus_push_opts) { .uid = -1, .gid = -1 })

/* Push the host directory `local` to `path` in the instance, created if
 * missing and merged into if present.  Files, directories and symlinks (as
 * symlinks inside the instance) keep their modes; the host owner applies
 * unless opts->uid/gid say otherwise.  Sockets, fifos and devices are
 * skipped with a warning.  Host symlinks are never followed. */
int incus_file_push_tree (struct incus_client *c, const char *inst, const char *local,
                          const char *path, struct incus_push_opts *opts, coi_error_t *err);

#endif
