/* Images against the real incusd: tarballs made here from a tiny tree are
 * imported (split and unified), aliased, moved, published from a stopped
 * container and deleted; missing images give one clear message. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "image/tarball.h"
#include "incus/image.h"
#include "incus/instance.h"
#include "util/cleanup.h"

extern char **environ;

struct fixture
{
  struct incus_client *c;
  char dir[64];   /* scratch directory */
  char tag[48];   /* unique per run: names and fingerprints never collide */
};

static const char *errmsg (coi_error_t *err)
{
  return *err && (*err)->msg ? (*err)->msg : "?";
}

#define CHECK_OK(call, errp)                          \
  do                                                  \
    {                                                 \
      if ((call) < 0)                                 \
        fail_msg ("%s: %s", #call, errmsg (errp));    \
    }                                                 \
  while (0)

static void put (const char *dir, const char *rel, const char *data, mode_t mode)
{
  _cleanup_free_ char *p = NULL;
  assert_true (asprintf (&p, "%s/%s", dir, rel) > 0);
  int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, data, strlen (data)), (ssize_t) strlen (data));
  assert_int_equal (fchmod (fd, mode), 0);
  close (fd);
}

static void sub (const char *dir, const char *rel)
{
  _cleanup_free_ char *p = NULL;
  assert_true (asprintf (&p, "%s/%s", dir, rel) > 0);
  assert_int_equal (mkdir (p, 0755), 0);
}

/* A tree that is not bootable but exercises what the tarball must keep. */
static void make_tree (const char *root)
{
  assert_int_equal (mkdir (root, 0755), 0);
  sub (root, "etc");
  sub (root, "bin");
  sub (root, "dev");
  sub (root, "home");
  sub (root, "home/code");
  put (root, "etc/os-release", "ID=coitest\n", 0644);
  put (root, "bin/tool", "#!/bin/sh\necho hi\n", 0750);
  put (root, "dev/stale", "must not be archived\n", 0600);
  put (root, "home/code/notes", "owned by 1000\n", 0640);
  _cleanup_free_ char *a = NULL, *b = NULL, *l = NULL, *n = NULL;
  assert_true (asprintf (&a, "%s/bin/tool", root) > 0);
  assert_true (asprintf (&b, "%s/bin/tool-link", root) > 0);
  assert_true (asprintf (&l, "%s/bin/sym", root) > 0);
  assert_true (asprintf (&n, "%s/home/code/notes", root) > 0);
  assert_int_equal (link (a, b), 0);
  assert_int_equal (symlink ("/etc/shadow", l), 0);
  assert_int_equal (lchown (n, 1000, 1000), 0);
  assert_int_equal (setxattr (a, "user.coi", "yes", 3, 0), 0);
}

static int tar_to_file (const char *path, const char *meta_yaml, const char *tree,
                        const char *prefix)
{
  coi_error_t err = NULL;
  int fd = open (path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  struct coi_tar *t = NULL;
  CHECK_OK (coi_tar_open (&t, fd, &err), &err);
  if (meta_yaml)
    CHECK_OK (coi_tar_add_file (t, "metadata.yaml", meta_yaml, strlen (meta_yaml), 0644, &err),
              &err);
  if (tree)
    {
      static const char *const skip[] = { "dev", NULL };
      CHECK_OK (coi_tar_add_tree (t, tree, prefix, skip, &err), &err);
    }
  CHECK_OK (coi_tar_finish (t, NULL, &err), &err);
  assert_int_equal (lseek (fd, 0, SEEK_SET), 0);
  return fd;
}

static char *meta_yaml (struct fixture *f, const char *what)
{
  char *y = NULL;
  assert_true (asprintf (&y,
                         "architecture: x86_64\ncreation_date: %lld\nproperties:\n"
                         "  description: coi test %s %s\n  os: coitest\n",
                         (long long) time (NULL), what, f->tag) > 0);
  return y;
}

static int setup (void **state)
{
  static struct fixture f;
  coi_error_t err = NULL;
  snprintf (f.tag, sizeof (f.tag), "%ld-%ld", (long) getpid (), (long) time (NULL));
  strcpy (f.dir, "/tmp/coi-test-image-XXXXXX");
  if (mkdtemp (f.dir) == NULL)
    return -1;
  if (incus_client_open (&f.c, NULL, NULL, (const char *const *) environ, &err) < 0)
    {
      fprintf (stderr, "open client: %s\n", err->msg);
      coi_error_release (&err);
      return -1;
    }
  *state = &f;
  return 0;
}

static int teardown (void **state)
{
  struct fixture *f = *state;
  incus_client_free (f->c);
  /* Scratch trees nest a few levels deep; rm -r is the plain way out. */
  char *argv[] = { "rm", "-rf", "--", f->dir, NULL };
  pid_t p = fork ();
  if (p == 0)
    {
      execvp (argv[0], argv);
      _exit (127);
    }
  int st = 0;
  return p > 0 && waitpid (p, &st, 0) == p && WIFEXITED (st) && WEXITSTATUS (st) == 0 ? 0 : -1;
}

static void test_tarball_contents (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *tree = NULL, *tarpath = NULL;
  assert_true (asprintf (&tree, "%s/tree-contents", f->dir) > 0);
  assert_true (asprintf (&tarpath, "%s/contents.tar", f->dir) > 0);
  make_tree (tree);
  _cleanup_close_ int fd = tar_to_file (tarpath, NULL, tree, ".");

  struct archive *a = archive_read_new ();
  assert_non_null (a);
  archive_read_support_format_tar (a);
  assert_int_equal (archive_read_open_fd (a, fd, 65536), ARCHIVE_OK);
  struct archive_entry *e;
  int seen_root = 0, seen_dev = 0, seen_stale = 0, seen_link = 0, seen_xattr = 0, seen_owner = 0;
  while (archive_read_next_header (a, &e) == ARCHIVE_OK)
    {
      const char *n = archive_entry_pathname (e);
      seen_root |= !strcmp (n, "./");
      seen_dev |= !strcmp (n, "./dev/") || !strcmp (n, "./dev");
      seen_stale |= strstr (n, "stale") != NULL;
      if (!strcmp (n, "./home/code/notes"))
        {
          const char *un = archive_entry_uname (e);
          seen_owner = archive_entry_uid (e) == 1000 && archive_entry_gid (e) == 1000
                       && (un == NULL || *un == '\0');
          assert_int_equal (archive_entry_perm (e), 0640);
        }
      if (archive_entry_hardlink (e))
        seen_link = 1;
      if (!strcmp (n, "./bin/sym"))
        assert_string_equal (archive_entry_symlink (e), "/etc/shadow");
      const char *xn;
      const void *xv;
      size_t xs;
      archive_entry_xattr_reset (e);
      while (archive_entry_xattr_next (e, &xn, &xv, &xs) == ARCHIVE_OK)
        seen_xattr |= !strcmp (xn, "user.coi") && xs == 3 && !memcmp (xv, "yes", 3);
    }
  archive_read_free (a);
  assert_true (seen_root);
  assert_true (seen_dev);
  assert_false (seen_stale);
  assert_true (seen_link);
  assert_true (seen_xattr);
  assert_true (seen_owner);
}

static void test_missing_image (void **state)
{
  struct fixture *f = *state;
  coi_error_t err = NULL;
  _cleanup_free_ char *name = NULL, *fp = NULL;
  assert_true (asprintf (&name, "coi-test-missing-%s", f->tag) > 0);

  assert_int_equal (incus_image_resolve (f->c, name, &fp, NULL, &err), -1);
  assert_int_equal (err->status, 404);
  _cleanup_free_ char *want = NULL;
  assert_true (asprintf (&want, "image '%s' not found", name) > 0);
  assert_string_equal (err->msg, want);
  coi_error_release (&err);

  assert_int_equal (incus_image_exists (f->c, name, &err), 0);
  assert_null (err);

  assert_int_equal (incus_image_alias_delete (f->c, name, &err), -1);
  assert_int_equal (err->status, 404);
  assert_non_null (strstr (err->msg, "not found"));
  coi_error_release (&err);

  assert_int_equal (incus_image_delete (f->c, "00000000deadbeef", &err), -1);
  assert_int_equal (err->status, 404);
  coi_error_release (&err);
}

static char *import_split (struct fixture *f, const char *what, const char *const *aliases)
{
  coi_error_t err = NULL;
  _cleanup_free_ char *tree = NULL, *mp = NULL, *rp = NULL, *yaml = meta_yaml (f, what);
  assert_true (asprintf (&tree, "%s/tree-%s", f->dir, what) > 0);
  assert_true (asprintf (&mp, "%s/%s-meta.tar", f->dir, what) > 0);
  assert_true (asprintf (&rp, "%s/%s-rootfs.tar", f->dir, what) > 0);
  make_tree (tree);
  _cleanup_close_ int mfd = tar_to_file (mp, yaml, NULL, NULL);
  _cleanup_close_ int rfd = tar_to_file (rp, NULL, tree, ".");
  _cleanup_json_ json_t *props = json_pack ("{s:s}", "coi.test", f->tag);
  struct incus_image_import in = { .meta_fd = mfd, .rootfs_fd = rfd, .filename = "coi-test.tar",
                                   .properties = props, .aliases = aliases };
  char *fp = NULL;
  CHECK_OK (incus_image_import (f->c, &in, &fp, &err), &err);
  assert_int_equal (strlen (fp), 64);
  return fp;
}

static void test_import_split_and_aliases (void **state)
{
  struct fixture *f = *state;
  coi_error_t err = NULL;
  _cleanup_free_ char *a1 = NULL, *a2 = NULL, *a3 = NULL;
  assert_true (asprintf (&a1, "coi-test-a1-%s", f->tag) > 0);
  assert_true (asprintf (&a2, "coi-test-a2-%s", f->tag) > 0);
  assert_true (asprintf (&a3, "coi-test-a3-%s", f->tag) > 0);
  const char *const aliases[] = { a1, NULL };
  _cleanup_free_ char *fp1 = import_split (f, "split1", aliases);
  _cleanup_free_ char *fp2 = import_split (f, "split2", NULL);
  assert_string_not_equal (fp1, fp2);

  /* The alias given at import resolves, properties arrived. */
  _cleanup_free_ char *got = NULL;
  _cleanup_json_ json_t *img = NULL;
  CHECK_OK (incus_image_resolve (f->c, a1, &got, &img, &err), &err);
  assert_string_equal (got, fp1);
  json_t *props = json_object_get (img, "properties");
  assert_string_equal (json_string_value (json_object_get (props, "coi.test")), f->tag);
  assert_string_equal (json_string_value (json_object_get (props, "os")), "coitest");
  assert_int_equal (incus_image_exists (f->c, fp1, &err), 1);
  assert_int_equal (incus_image_exists (f->c, a1, &err), 1);

  /* Create, then move to the other image, then move a missing alias (creates it). */
  CHECK_OK (incus_image_alias_create (f->c, a2, fp1, "test alias", &err), &err);
  assert_int_equal (incus_image_alias_create (f->c, a2, fp2, NULL, &err), -1);
  assert_int_equal (err->status, 409);
  coi_error_release (&err);
  CHECK_OK (incus_image_alias_move (f->c, a2, fp2, &err), &err);
  _cleanup_json_ json_t *al = NULL;
  CHECK_OK (incus_image_alias_get (f->c, a2, &al, &err), &err);
  assert_string_equal (json_string_value (json_object_get (al, "target")), fp2);
  assert_string_equal (json_string_value (json_object_get (al, "description")), "test alias");
  CHECK_OK (incus_image_alias_move (f->c, a3, fp2, &err), &err);
  _cleanup_free_ char *got3 = NULL;
  CHECK_OK (incus_image_resolve (f->c, a3, &got3, NULL, &err), &err);
  assert_string_equal (got3, fp2);

  _cleanup_json_ json_t *list = NULL;
  CHECK_OK (incus_image_alias_list (f->c, &list, &err), &err);
  size_t i, found = 0;
  json_t *v;
  json_array_foreach (list, i, v)
  {
    const char *n = json_string_value (json_object_get (v, "name"));
    found += n && (!strcmp (n, a1) || !strcmp (n, a2) || !strcmp (n, a3));
  }
  assert_int_equal (found, 3);

  CHECK_OK (incus_image_alias_delete (f->c, a2, &err), &err);
  CHECK_OK (incus_image_alias_delete (f->c, a3, &err), &err);
  assert_int_equal (incus_image_exists (f->c, a2, &err), 0);
  assert_int_equal (incus_image_exists (f->c, fp2, &err), 1); /* the image stays */

  _cleanup_json_ json_t *images = NULL;
  CHECK_OK (incus_image_list (f->c, 1, NULL, &images, &err), &err);
  found = 0;
  json_array_foreach (images, i, v)
  {
    const char *p = json_string_value (json_object_get (v, "fingerprint"));
    found += p && (!strcmp (p, fp1) || !strcmp (p, fp2));
  }
  assert_int_equal (found, 2);

  CHECK_OK (incus_image_delete (f->c, fp1, &err), &err);
  CHECK_OK (incus_image_delete (f->c, fp2, &err), &err);
  assert_int_equal (incus_image_exists (f->c, a1, &err), 0);
}

static void test_import_unified (void **state)
{
  struct fixture *f = *state;
  coi_error_t err = NULL;
  _cleanup_free_ char *tree = NULL, *path = NULL, *yaml = meta_yaml (f, "unified");
  assert_true (asprintf (&tree, "%s/tree-unified", f->dir) > 0);
  assert_true (asprintf (&path, "%s/unified.tar", f->dir) > 0);
  make_tree (tree);
  _cleanup_close_ int fd = tar_to_file (path, yaml, tree, "rootfs");
  struct incus_image_import in = { .meta_fd = fd, .rootfs_fd = -1 };
  _cleanup_free_ char *fp = NULL;
  CHECK_OK (incus_image_import (f->c, &in, &fp, &err), &err);
  _cleanup_json_ json_t *img = NULL;
  CHECK_OK (incus_image_get (f->c, fp, &img, &err), &err);
  assert_string_equal (json_string_value (json_object_get (img, "fingerprint")), fp);
  CHECK_OK (incus_image_delete (f->c, fp, &err), &err);
}

static void test_import_bad_tarball (void **state)
{
  struct fixture *f = *state;
  coi_error_t err = NULL;
  _cleanup_free_ char *path = NULL;
  assert_true (asprintf (&path, "%s/garbage.tar", f->dir) > 0);
  put (f->dir, "garbage.tar", "this is not a tarball", 0600);
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  struct incus_image_import in = { .meta_fd = fd, .rootfs_fd = -1 };
  assert_int_equal (incus_image_import (f->c, &in, NULL, &err), -1);
  assert_non_null (strstr (err->msg, "import image"));
  assert_null (strchr (err->msg, '\n'));
  coi_error_release (&err);
}

static void test_publish (void **state)
{
  struct fixture *f = *state;
  coi_error_t err = NULL;
  _cleanup_free_ char *fp = import_split (f, "pubsrc", NULL);
  _cleanup_free_ char *name = NULL, *alias = NULL;
  assert_true (asprintf (&name, "coi-test-pub-%ld", (long) getpid ()) > 0);
  assert_true (asprintf (&alias, "coi-test-pub-%s", f->tag) > 0);

  /* Created, never started: a stopped container can be published. */
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:{s:s, s:s}}", "name", name, "source", "type",
                                           "image", "fingerprint", fp);
  CHECK_OK (incus_instance_create (f->c, body, &err), &err);

  _cleanup_json_ json_t *props = json_pack ("{s:s}", "description", "published by test_image");
  const char *const aliases[] = { alias, NULL };
  struct incus_image_publish pub = { .instance = name, .compression = "none",
                                     .properties = props, .aliases = aliases };
  _cleanup_free_ char *pfp = NULL;
  CHECK_OK (incus_image_publish (f->c, &pub, &pfp, &err), &err);
  assert_int_equal (strlen (pfp), 64);
  _cleanup_free_ char *got = NULL;
  _cleanup_json_ json_t *img = NULL;
  CHECK_OK (incus_image_resolve (f->c, alias, &got, &img, &err), &err);
  assert_string_equal (got, pfp);
  assert_string_equal (
      json_string_value (json_object_get (json_object_get (img, "properties"), "description")),
      "published by test_image");

  CHECK_OK (incus_instance_delete (f->c, name, &err), &err);
  CHECK_OK (incus_image_delete (f->c, pfp, &err), &err);
  CHECK_OK (incus_image_delete (f->c, fp, &err), &err);
  assert_int_equal (incus_image_exists (f->c, alias, &err), 0);

  /* Publishing what is not there fails with the server's reason, on one line. */
  assert_int_equal (incus_image_publish (f->c, &pub, NULL, &err), -1);
  assert_non_null (strstr (err->msg, name));
  assert_null (strchr (err->msg, '\n'));
  coi_error_release (&err);
}

static void test_image_source (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  _cleanup_json_ json_t *plain = incus_image_source ("coi", (const char *const *) environ, &err);
  assert_non_null (plain);
  assert_string_equal (json_string_value (json_object_get (plain, "alias")), "coi");
  assert_null (json_object_get (plain, "server"));
  _cleanup_json_ json_t *local = incus_image_source ("local:coi", (const char *const *) environ, &err);
  assert_non_null (local);
  assert_null (json_object_get (local, "server"));
  _cleanup_json_ json_t *remote = incus_image_source ("images:ubuntu/24.04", (const char *const *) environ, &err);
  assert_non_null (remote);
  assert_string_equal (json_string_value (json_object_get (remote, "alias")), "ubuntu/24.04");
  assert_string_equal (json_string_value (json_object_get (remote, "protocol")), "simplestreams");
  assert_string_equal (json_string_value (json_object_get (remote, "mode")), "pull");
  assert_non_null (json_string_value (json_object_get (remote, "server")));
  assert_null (incus_image_source ("images:", (const char *const *) environ, &err));
  assert_int_equal (err->exit_code, 2);
  coi_error_release (&err);
  assert_null (incus_image_source ("coi-no-such-remote:x", (const char *const *) environ, &err));
  assert_non_null (err);
  coi_error_release (&err);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_tarball_contents),
    cmocka_unit_test (test_missing_image),
    cmocka_unit_test (test_import_split_and_aliases),
    cmocka_unit_test (test_import_unified),
    cmocka_unit_test (test_import_bad_tarball),
    cmocka_unit_test (test_publish),
    cmocka_unit_test (test_image_source),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
