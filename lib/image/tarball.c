#include "image/tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cleanup.h"

#define COPY_CHUNK (256 * 1024)

struct coi_tar
{
  struct archive *w;
  struct archive_entry_linkresolver *links;
  char *chunk;
};

static void cleanup_entryp (struct archive_entry **e)
{
  if (*e)
    archive_entry_free (*e);
}
#define _cleanup_entry_ __attribute__ ((cleanup (cleanup_entryp)))

static void cleanup_readp (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}
#define _cleanup_archive_read_ __attribute__ ((cleanup (cleanup_readp)))

void coi_tar_free (struct coi_tar *t)
{
  if (t == NULL)
    return;
  if (t->w)
    archive_write_free (t->w); /* also closes; the fd itself is not ours */
  if (t->links)
    archive_entry_linkresolver_free (t->links);
  free (t->chunk);
  free (t);
}

static int write_error (struct coi_tar *t, coi_error_t *err, const char *what)
{
  const char *why = archive_error_string (t->w);
  int e = archive_errno (t->w);
  return coi_error_make (err, e > 0 ? e : 0, "write tarball: %s: %s", what,
                         why ? why : "unknown error");
}

int coi_tar_open (struct coi_tar **out, int fd, coi_error_t *err)
{
  struct coi_tar *t = calloc (1, sizeof (*t));
  if (t == NULL || (t->chunk = malloc (COPY_CHUNK)) == NULL || (t->w = archive_write_new ()) == NULL
      || (t->links = archive_entry_linkresolver_new ()) == NULL)
    {
      coi_tar_free (t);
      return coi_error_errno (err, ENOMEM, "write tarball");
    }
  /* pax: arbitrary names, sizes and ids; SCHILY xattr records are the ones
   * GNU tar (which Incus unpacks with) understands without warnings. */
  if (archive_write_set_format_pax_restricted (t->w) != ARCHIVE_OK
      || archive_write_set_format_option (t->w, "pax", "xattrheader", "SCHILY") < ARCHIVE_WARN
      || archive_write_set_bytes_per_block (t->w, 64 * 1024) != ARCHIVE_OK
      || archive_write_open_fd (t->w, fd) != ARCHIVE_OK)
    {
      int r = write_error (t, err, "open");
      coi_tar_free (t);
      return r;
    }
  archive_entry_linkresolver_set_strategy (t->links, archive_format (t->w));
  *out = t;
  return 0;
}

int coi_tar_add_file (struct coi_tar *t, const char *name, const void *data, size_t len,
                      mode_t mode, coi_error_t *err)
{
  _cleanup_entry_ struct archive_entry *e = archive_entry_new ();
  if (e == NULL)
    return coi_error_errno (err, ENOMEM, "write tarball");
  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, mode & 07777);
  archive_entry_set_size (e, (la_int64_t) len);
  archive_entry_set_uid (e, 0);
  archive_entry_set_gid (e, 0);
  archive_entry_set_mtime (e, time (NULL), 0);
  if (archive_write_header (t->w, e) < ARCHIVE_WARN)
    return write_error (t, err, name);
  if (len > 0 && archive_write_data (t->w, data, len) != (la_ssize_t) len)
    return write_error (t, err, name);
  return 0;
}

/* Is `rel` one of the directories whose contents are left out? */
static bool skipped_dir (const char *rel, const char *const *skip)
{
  for (const char *const *s = skip; s && *s; s++)
    if (strcmp (rel, *s) == 0)
      return true;
  return false;
}

static int copy_data (struct coi_tar *t, struct archive *d, const char *name, coi_error_t *err)
{
  for (;;)
    {
      la_ssize_t n = archive_read_data (d, t->chunk, COPY_CHUNK);
      if (n == 0)
        return 0;
      if (n < 0)
        return coi_error_make (err, archive_errno (d), "write tarball: read %s: %s", name,
                               archive_error_string (d));
      if (archive_write_data (t->w, t->chunk, (size_t) n) != n)
        return write_error (t, err, name);
    }
}

/* One entry read from disk: rename it under the prefix, store it. */
static int add_disk_entry (struct coi_tar *t, struct archive *d, struct archive_entry *e,
                           const char *rel, const char *prefix, coi_error_t *err)
{
  _cleanup_free_ char *name = NULL;
  if (asprintf (&name, "%s/%s", prefix, rel) < 0)
    return coi_error_errno (err, ENOMEM, "write tarball");
  archive_entry_set_pathname (e, name);
  /* The disk reader fills no user or group names: owners stay numeric. */
  struct archive_entry *sparse = NULL;
  archive_entry_linkify (t->links, &e, &sparse);
  if (archive_write_header (t->w, e) < ARCHIVE_WARN)
    return write_error (t, err, name);
  if (archive_entry_filetype (e) == AE_IFREG && archive_entry_hardlink (e) == NULL
      && archive_entry_size (e) > 0)
    return copy_data (t, d, name, err);
  return 0;
}

int coi_tar_add_tree (struct coi_tar *t, const char *dir, const char *prefix,
                      const char *const *skip_contents, coi_error_t *err)
{
  _cleanup_archive_read_ struct archive *d = archive_read_disk_new ();
  if (d == NULL)
    return coi_error_errno (err, ENOMEM, "read %s", dir);
  archive_read_disk_set_symlink_physical (d);
  archive_read_disk_set_behavior (d, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS | ARCHIVE_READDISK_NO_ACL
                                         | ARCHIVE_READDISK_NO_FFLAGS
                                         | ARCHIVE_READDISK_NO_SPARSE);
  if (archive_read_disk_open (d, dir) != ARCHIVE_OK)
    return coi_error_make (err, archive_errno (d), "read %s: %s", dir, archive_error_string (d));

  size_t dlen = strlen (dir);
  while (dlen > 1 && dir[dlen - 1] == '/')
    dlen--;
  for (;;)
    {
      _cleanup_entry_ struct archive_entry *e = archive_entry_new ();
      if (e == NULL)
        return coi_error_errno (err, ENOMEM, "read %s", dir);
      int r = archive_read_next_header2 (d, e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        return coi_error_make (err, archive_errno (d), "read %s: %s", dir,
                               archive_error_string (d));
      /* The reader names entries by their full path on disk. */
      const char *src = archive_entry_pathname (e);
      if (src == NULL || strncmp (src, dir, dlen) != 0)
        return coi_error_make (err, 0, "read %s: unexpected entry %s", dir, src ? src : "?");
      const char *rel = src + dlen;
      while (*rel == '/')
        rel++;
      if (archive_entry_filetype (e) == AE_IFSOCK)
        continue;
      if (archive_entry_filetype (e) == AE_IFDIR && !skipped_dir (rel, skip_contents)
          && archive_read_disk_descend (d) != ARCHIVE_OK)
        return coi_error_make (err, archive_errno (d), "read %s: %s", src,
                               archive_error_string (d));
      if (add_disk_entry (t, d, e, rel, prefix, err) < 0)
        return -1;
    }
  return 0;
}

int coi_tar_finish (struct coi_tar *t, long long *bytes, coi_error_t *err)
{
  int r = 0;
  if (archive_write_close (t->w) != ARCHIVE_OK)
    r = write_error (t, err, "close");
  if (bytes)
    *bytes = (long long) archive_filter_bytes (t->w, -1);
  coi_tar_free (t);
  return r;
}
