/* The instance files API against the real incusd: binary and 100 MiB round
 * trips checked by sha256 on both sides, trees with modes, replacement
 * rules, the basic calls, and pulls from a stopped container.  The incus
 * CLI inside the container is the independent witness. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_ops_fixture.h"

#include "incus/files.h"
#include "incus/instance.h"
#include "util/cleanup.h"

static int setup (void **s)
{
  *s = ops_state_new ("run", "stopped", "files");
  return 0;
}

static int teardown (void **s)
{
  ops_state_free (*s);
  return 0;
}

static void push_path (struct ops_state *st, const char *inst, const char *local, const char *remote,
                       struct incus_file_attrs a)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_close_ int fd = open (local, O_RDONLY | O_CLOEXEC);
  struct stat sb;
  assert_true (fd >= 0 && fstat (fd, &sb) == 0);
  OPS_OK (incus_file_push_fd (st->c, inst, remote, fd, (long long) sb.st_size, a, &err), &err);
}

/* Witness: what the container itself says about a path. */
static void expect_remote_stat (const char *inst, const char *path, const char *want)
{
  _cleanup_buf_ struct buf out = { 0 };
  /* Directory sizes differ between storage drivers: only files show one. */
  const char *fmt = strstr (want, "directory") ? "%a %u %g %F" : "%a %u %g %s %F";
  const char *argv[] = { "incus", "exec", inst, "--", "stat", "-c", fmt, path, NULL };
  assert_int_equal (ops_run (&out, argv), 0);
  assert_string_equal (out.data, want);
}

static void expect_remote_sha (const char *inst, const char *path, const char *sha)
{
  _cleanup_buf_ struct buf out = { 0 };
  const char *argv[] = { "incus", "exec", inst, "--", "sha256sum", path, NULL };
  assert_int_equal (ops_run (&out, argv), 0);
  assert_true (out.len > 64);
  out.data[64] = '\0';
  assert_string_equal (out.data, sha);
}

static void test_binary_roundtrip (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *src = ops_path (st->dir, "bin.src"), *back = ops_path (st->dir, "bin.back");
  ops_write_random (src, 300000, 1, 0750);
  struct incus_file_attrs a = { .uid = 1000, .gid = 1000, .mode = 0750 };
  push_path (st, st->inst, src, "/home/code/bin.dat", a);

  struct incus_file_stat fs;
  OPS_OK (incus_file_stat (st->c, st->inst, "/home/code/bin.dat", &fs, &err), &err);
  assert_int_equal (fs.type, INCUS_FILE_REGULAR);
  assert_int_equal (fs.mode, 0750);
  assert_int_equal (fs.uid, 1000);
  assert_int_equal (fs.gid, 1000);
  assert_int_equal (fs.size, 300000);
  expect_remote_stat (st->inst, "/home/code/bin.dat", "750 1000 1000 300000 regular file\n");

  OPS_OK (incus_file_pull_file (st->c, st->inst, "/home/code/bin.dat", back, 0, &err), &err);
  char a1[65], a2[65];
  ops_sha256_file (src, a1);
  ops_sha256_file (back, a2);
  assert_string_equal (a1, a2);
  expect_remote_sha (st->inst, "/home/code/bin.dat", a1);
  struct stat sb;
  assert_int_equal (stat (back, &sb), 0);
  assert_int_equal (sb.st_mode & 07777, 0750);

  /* Every byte value, from memory, back into an fd. */
  unsigned char all[512];
  for (size_t i = 0; i < sizeof all; i++)
    all[i] = (unsigned char) (i & 0xff);
  OPS_OK (incus_file_push_data (st->c, st->inst, "/root/bytes", all, sizeof all,
                                INCUS_FILE_ATTRS_DEFAULT, &err),
          &err);
  _cleanup_free_ char *mem = ops_path (st->dir, "bytes");
  _cleanup_close_ int fd = open (mem, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  OPS_OK (incus_file_pull_fd (st->c, st->inst, "/root/bytes", fd, NULL, &err), &err);
  unsigned char got[1024];
  assert_int_equal (pread (fd, got, sizeof got, 0), (ssize_t) sizeof all);
  assert_memory_equal (got, all, sizeof all);
}

static void test_100mib_both_ways (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *src = ops_path (st->dir, "big.src"), *back = ops_path (st->dir, "big.back");
  ops_write_random (src, 100u << 20, 7, 0644);
  char want[65], got[65];
  ops_sha256_file (src, want);
  push_path (st, st->inst, src, "/root/big", (struct incus_file_attrs) { 0, 0, 0644 });
  expect_remote_sha (st->inst, "/root/big", want);
  OPS_OK (incus_file_pull_file (st->c, st->inst, "/root/big", back, 0, &err), &err);
  ops_sha256_file (back, got);
  assert_string_equal (want, got);
  assert_int_equal (unlink (src), 0);
  assert_int_equal (unlink (back), 0);
}

static void put (const char *dir, const char *rel, const char *data, mode_t mode)
{
  _cleanup_free_ char *p = ops_path (dir, rel);
  _cleanup_close_ int fd = open (p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, data, strlen (data)), (ssize_t) strlen (data));
  assert_int_equal (fchmod (fd, mode), 0);
}

static void sub (const char *dir, const char *rel, mode_t mode)
{
  _cleanup_free_ char *p = ops_path (dir, rel);
  assert_int_equal (mkdir (p, 0700), 0);
  assert_int_equal (chmod (p, mode), 0);
}

static unsigned mode_of (const char *dir, const char *rel)
{
  _cleanup_free_ char *p = ops_path (dir, rel);
  struct stat sb;
  assert_int_equal (lstat (p, &sb), 0);
  return sb.st_mode & 07777;
}

static void test_tree_with_modes (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *top = ops_path (st->dir, "tree"), *back = ops_path (st->dir, "tree.back");
  assert_int_equal (mkdir (top, 0755), 0);
  sub (top, "a", 0750);
  sub (top, "b", 0700);
  sub (top, "b/deep", 0711);
  sub (top, "ro", 0555);
  put (top, "a/x", "x data\n", 0640);
  put (top, "a/run.sh", "#!/bin/sh\necho run\n", 0755);
  put (top, "b/deep/f", "deep\n", 0600);
  put (top, "empty", "", 0644);
  put (top, "suid", "setuid on the host is dropped on pull\n", 04755);
  _cleanup_free_ char *ln = ops_path (top, "link");
  assert_int_equal (symlink ("a/x", ln), 0);
  /* A directory that is read-only for its owner must still be filled. */
  _cleanup_free_ char *ro = ops_path (top, "ro");
  assert_int_equal (chmod (ro, 0755), 0);
  put (top, "ro/inside", "in a read-only dir\n", 0444);
  assert_int_equal (chmod (ro, 0555), 0);

  struct incus_push_opts po = INCUS_PUSH_OPTS_DEFAULT;
  po.uid = 1000;
  po.gid = 1000;
  OPS_OK (incus_file_push_tree (st->c, st->inst, top, "/home/code/tree", &po, &err), &err);
  assert_int_equal (po.files, 6);
  assert_int_equal (po.links, 1);

  _cleanup_buf_ struct buf out = { 0 };
  assert_int_equal (ops_sh (st->inst,
                            "cd /home/code/tree && find . -printf '%P %y %m %u\\n' | sort", &out),
                    0);
  assert_string_equal (out.data, " d 755 code\n"
                                 "a d 750 code\n"
                                 "a/run.sh f 755 code\n"
                                 "a/x f 640 code\n"
                                 "b d 700 code\n"
                                 "b/deep d 711 code\n"
                                 "b/deep/f f 600 code\n"
                                 "empty f 644 code\n"
                                 "link l 777 root\n" /* the server does not chown links */
                                 "ro d 555 code\n"
                                 "ro/inside f 444 code\n"
                                 "suid f 755 code\n" /* the server drops setuid */);
  buf_reset (&out);
  assert_int_equal (ops_sh (st->inst, "readlink /home/code/tree/link; cat /home/code/tree/link", &out), 0);
  assert_string_equal (out.data, "a/x\nx data\n");

  struct incus_pull_opts pl = { 0 };
  OPS_OK (incus_file_pull_tree (st->c, st->inst, "/home/code/tree", back, &pl, &err), &err);
  assert_int_equal (pl.files, 6);
  assert_int_equal (pl.skipped, 1); /* the symlink */
  assert_int_equal (mode_of (back, "."), 0755);
  assert_int_equal (mode_of (back, "a"), 0750);
  assert_int_equal (mode_of (back, "a/x"), 0640);
  assert_int_equal (mode_of (back, "a/run.sh"), 0755);
  assert_int_equal (mode_of (back, "b"), 0700);
  assert_int_equal (mode_of (back, "b/deep"), 0711);
  assert_int_equal (mode_of (back, "b/deep/f"), 0600);
  assert_int_equal (mode_of (back, "ro"), 0555);
  assert_int_equal (mode_of (back, "ro/inside"), 0444);
  assert_int_equal (mode_of (back, "suid"), 0755);
  _cleanup_free_ char *bl = ops_path (back, "link");
  struct stat sb;
  assert_int_equal (lstat (bl, &sb), -1);
  char h1[65], h2[65];
  _cleanup_free_ char *p1 = ops_path (top, "a/run.sh"), *p2 = ops_path (back, "a/run.sh");
  ops_sha256_file (p1, h1);
  ops_sha256_file (p2, h2);
  assert_string_equal (h1, h2);
}

static void test_basic_calls (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  struct incus_file_attrs d = { .uid = 1000, .gid = 1000, .mode = 0710 };
  OPS_OK (incus_file_mkdir (st->c, st->inst, "/root/basic", d, &err), &err);
  /* An existing directory is fine. */
  OPS_OK (incus_file_mkdir (st->c, st->inst, "/root/basic", d, &err), &err);
  expect_remote_stat (st->inst, "/root/basic", "710 1000 1000 directory\n");
  OPS_OK (incus_file_push_data (st->c, st->inst, "/root/basic/f", "one", 3,
                                (struct incus_file_attrs) { -1, -1, 0600 }, &err),
          &err);
  /* Pushing again replaces the file, so the new mode applies. */
  OPS_OK (incus_file_push_data (st->c, st->inst, "/root/basic/f", "two!", 4,
                                (struct incus_file_attrs) { 1000, 1000, 0755 }, &err),
          &err);
  expect_remote_stat (st->inst, "/root/basic/f", "755 1000 1000 4 regular file\n");
  OPS_OK (incus_file_symlink (st->c, st->inst, "/root/basic/l", "f", INCUS_FILE_ATTRS_DEFAULT, &err),
          &err);
  struct incus_file_stat fs;
  OPS_OK (incus_file_stat (st->c, st->inst, "/root/basic/l", &fs, &err), &err);
  assert_int_equal (fs.type, INCUS_FILE_SYMLINK);
  /* A file pushed over a symlink replaces the link. */
  OPS_OK (incus_file_push_data (st->c, st->inst, "/root/basic/l", "real", 4,
                                INCUS_FILE_ATTRS_DEFAULT, &err),
          &err);
  OPS_OK (incus_file_stat (st->c, st->inst, "/root/basic/l", &fs, &err), &err);
  assert_int_equal (fs.type, INCUS_FILE_REGULAR);
  expect_remote_stat (st->inst, "/root/basic/f", "755 1000 1000 4 regular file\n");

  _cleanup_strv_ char **names = NULL;
  OPS_OK (incus_file_list (st->c, st->inst, "/root/basic", &names, &err), &err);
  int seen = 0;
  for (char **n = names; *n; n++)
    seen += !strcmp (*n, "f") + !strcmp (*n, "l");
  assert_int_equal (seen, 2);

  /* Pushing a file onto a directory is refused. */
  assert_int_equal (incus_file_push_data (st->c, st->inst, "/root/basic", "x", 1,
                                          INCUS_FILE_ATTRS_DEFAULT, &err),
                    -1);
  assert_non_null (strstr (err->msg, "is a directory"));
  coi_error_release (&err);

  OPS_OK (incus_file_delete (st->c, st->inst, "/root/basic/l", &err), &err);
  OPS_OK (incus_file_delete (st->c, st->inst, "/root/basic/f", &err), &err);
  OPS_OK (incus_file_delete (st->c, st->inst, "/root/basic", &err), &err);
  assert_int_equal (incus_file_exists (st->c, st->inst, "/root/basic", NULL, &err), 0);
  assert_int_equal (incus_file_stat (st->c, st->inst, "/root/basic", &fs, &err), -1);
  assert_int_equal (err->status, 404);
  assert_non_null (strstr (err->msg, "/root/basic"));
  assert_non_null (strstr (err->msg, "no such file or directory"));
  coi_error_release (&err);
  /* Instance missing: one clear line naming it. */
  assert_int_equal (incus_file_exists (st->c, "coi-test-ops-no-such", "/etc", NULL, &err), -1);
  assert_int_equal (err->status, ENXIO);
  assert_string_equal (err->msg, "instance 'coi-test-ops-no-such' not found");
}

static void test_pull_replaces_symlink_not_target (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *canary = ops_path (st->dir, "canary"), *dst = ops_path (st->dir, "dst");
  put (st->dir, "canary", "untouched\n", 0644);
  assert_int_equal (symlink (canary, dst), 0);
  OPS_OK (incus_file_push_data (st->c, st->inst, "/root/msg", "pulled\n", 7,
                                INCUS_FILE_ATTRS_DEFAULT, &err),
          &err);
  OPS_OK (incus_file_pull_file (st->c, st->inst, "/root/msg", dst, 0, &err), &err);
  struct stat sb;
  assert_int_equal (lstat (dst, &sb), 0);
  assert_true (S_ISREG (sb.st_mode));
  char buf[64] = "";
  _cleanup_close_ int fd = open (canary, O_RDONLY | O_CLOEXEC);
  assert_int_equal (read (fd, buf, sizeof buf - 1), 10);
  assert_string_equal (buf, "untouched\n");
  /* An existing directory is never replaced by a file. */
  assert_int_equal (incus_file_pull_file (st->c, st->inst, "/root/msg", st->dir, 0, &err), -1);
  assert_int_equal (err->status, EISDIR);
  coi_error_release (&err);
  /* A directory is not pulled as a file. */
  assert_int_equal (incus_file_pull_file (st->c, st->inst, "/root", dst, 0, &err), -1);
  assert_int_equal (err->status, EISDIR);
}

static void test_pull_tree_exists_and_replace (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *dst = ops_path (st->dir, "replace");
  OPS_OK (incus_file_mkdir (st->c, st->inst, "/root/rt", INCUS_FILE_ATTRS_DEFAULT, &err), &err);
  OPS_OK (incus_file_push_data (st->c, st->inst, "/root/rt/new", "n", 1, INCUS_FILE_ATTRS_DEFAULT,
                                &err),
          &err);
  assert_int_equal (mkdir (dst, 0755), 0);
  put (dst, "old", "o", 0644);
  struct incus_pull_opts o = { 0 };
  assert_int_equal (incus_file_pull_tree (st->c, st->inst, "/root/rt", dst, &o, &err), -1);
  assert_int_equal (err->status, EEXIST);
  coi_error_release (&err);
  o.flags = INCUS_PULL_REPLACE;
  OPS_OK (incus_file_pull_tree (st->c, st->inst, "/root/rt", dst, &o, &err), &err);
  _cleanup_free_ char *old = ops_path (dst, "old"), *nw = ops_path (dst, "new");
  assert_int_equal (access (old, F_OK), -1);
  assert_int_equal (access (nw, F_OK), 0);
  /* Nothing of ours is left next to it. */
  _cleanup_buf_ struct buf out = { 0 };
  const char *argv[] = { "find", st->dir, "-maxdepth", "1", "-name", ".coi-tmp-*", NULL };
  assert_int_equal (ops_run (&out, argv), 0);
  assert_int_equal (out.len, 0);
  /* A pull of a file as a tree is refused. */
  _cleanup_free_ char *dst2 = ops_path (st->dir, "notatree");
  assert_int_equal (incus_file_pull_tree (st->c, st->inst, "/root/rt/new", dst2, &o, &err), -1);
  assert_int_equal (err->status, ENOTDIR);
}

static void test_stopped_container (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *status = NULL;
  OPS_OK (incus_instance_status (st->c, st->inst2, &status, &err), &err);
  assert_string_equal (status, "Stopped");
  OPS_OK (incus_file_mkdir (st->c, st->inst2, "/home/code/.claude",
                            (struct incus_file_attrs) { 1000, 1000, 0700 }, &err),
          &err);
  OPS_OK (incus_file_push_data (st->c, st->inst2, "/home/code/.claude/settings.json", "{}\n", 3,
                                (struct incus_file_attrs) { 1000, 1000, 0600 }, &err),
          &err);
  _cleanup_free_ char *dst = ops_path (st->dir, "saved-claude");
  struct incus_pull_opts o = { 0 };
  OPS_OK (incus_file_pull_tree (st->c, st->inst2, "/home/code/.claude", dst, &o, &err), &err);
  assert_int_equal (o.files, 1);
  assert_int_equal (mode_of (dst, "."), 0700);
  assert_int_equal (mode_of (dst, "settings.json"), 0600);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_binary_roundtrip),
    cmocka_unit_test (test_100mib_both_ways),
    cmocka_unit_test (test_tree_with_modes),
    cmocka_unit_test (test_basic_calls),
    cmocka_unit_test (test_pull_replaces_symlink_not_target),
    cmocka_unit_test (test_pull_tree_exists_and_replace),
    cmocka_unit_test (test_stopped_container),
  };
  return ops_main ("files", tests, sizeof tests / sizeof tests[0], setup, teardown);
}
