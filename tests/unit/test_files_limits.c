/* Pull limits against a server that lies: a fake Incus announces one size
 * (HEAD's Content-Length) and streams far more, without a length, until it
 * closes the connection.  The limit must hold on the bytes received, a file
 * over it must leave nothing behind (no partial file, no temporary), and a
 * tree pull must skip it with one warning naming it and carry on. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_incus.h"
#include "incus/files.h"
#include "util/cleanup.h"

#define KiB 1024ull
#define MiB (1024ull * 1024)

static char tmpdir[64];

static json_t *raw_file_head (long long announced)
{
  return json_pack ("{s:{s:[s,s,s,s], s:I, s:b}}", "fake_raw", "headers", "X-Incus-Type: file",
                    "X-Incus-Mode: 0644", "X-Incus-Uid: 0", "X-Incus-Gid: 0", "content_length",
                    (json_int_t) announced, "no_body", 1);
}

/* `repeat` times a 1 KiB block; close: no length, the body ends at EOF. */
static json_t *raw_file_get (long long blocks, bool close)
{
  static char block[1025];
  memset (block, 'z', 1024);
  return json_pack ("{s:{s:[s], s:s, s:I, s:b}}", "fake_raw", "headers", "X-Incus-Type: file",
                    "body", block, "repeat", (json_int_t) blocks, "close", close);
}

static json_t *raw_dir (const char *listing)
{
  return json_pack ("{s:{s:[s,s], s:s}}", "fake_raw", "headers", "X-Incus-Type: directory",
                    "X-Incus-Mode: 0755", "body", listing);
}

static void add (json_t *replies, const char *method, const char *path, json_t *reply)
{
  char key[512];
  snprintf (key, sizeof key, "%s /1.0/instances/x/files?path=%s", method, path);
  assert_non_null (reply);
  assert_int_equal (json_object_set_new (replies, key, reply), 0);
}

/* The server's files: /d/{ok (5 bytes), liar (says 1, sends 8 MiB), huge
 * (says 2 TiB honestly), a, b, c (600 KiB each, honest)}. */
static json_t *replies (void)
{
  json_t *r = json_object ();
  assert_non_null (r);
  add (r, "GET", "%2Fd",
       raw_dir ("{\"type\":\"sync\",\"metadata\":[\"ok\",\"liar\",\"huge\",\"a\",\"b\",\"c\"]}"));
  add (r, "HEAD", "%2Fd", json_pack ("{s:{s:[s,s], s:b}}", "fake_raw", "headers",
                                      "X-Incus-Type: directory", "X-Incus-Mode: 0755", "no_body", 1));
  add (r, "HEAD", "%2Fd%2Fok", raw_file_head (5));
  add (r, "GET", "%2Fd%2Fok",
       json_pack ("{s:{s:[s], s:s}}", "fake_raw", "headers", "X-Incus-Type: file", "body", "hello"));
  add (r, "HEAD", "%2Fd%2Fliar", raw_file_head (1));
  add (r, "GET", "%2Fd%2Fliar", raw_file_get (8 * 1024, true));
  add (r, "HEAD", "%2Fd%2Fhuge", raw_file_head (2ll << 40));
  add (r, "GET", "%2Fd%2Fhuge", raw_file_get (8 * 1024, true));
  const char *abc[] = { "a", "b", "c" };
  for (int i = 0; i < 3; i++)
    {
      char p[32];
      snprintf (p, sizeof p, "%%2Fd%%2F%s", abc[i]);
      add (r, "HEAD", p, raw_file_head (600 * 1024));
      add (r, "GET", p, raw_file_get (600, false));
    }
  return r;
}

struct fixture
{
  struct fake_incus *f;
  struct incus_client *c;
};

static int setup (void **state)
{
  static struct fixture fx;
  snprintf (tmpdir, sizeof tmpdir, "/tmp/coi-files-limits-XXXXXX");
  assert_non_null (mkdtemp (tmpdir));
  json_t *r = replies ();
  fx.f = fake_incus_start (r);
  json_decref (r);
  assert_non_null (fx.f);
  struct incus_endpoint ep = { .name = (char *) "fake", .unix_path = (char *) fake_incus_socket (fx.f) };
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (incus_client_open_endpoint (&fx.c, &ep, NULL, &err), 0);
  *state = &fx;
  return 0;
}

static int teardown (void **state)
{
  struct fixture *fx = *state;
  incus_client_free (fx->c);
  fake_incus_stop (fx->f);
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system (cmd) == 0 ? 0 : -1;
}

/* Names directly in dir, sorted, joined with spaces. */
static void listing (const char *dir, char *out, size_t cap)
{
  struct dirent **ents = NULL;
  int n = scandir (dir, &ents, NULL, alphasort);
  assert_true (n >= 0);
  out[0] = '\0';
  for (int i = 0; i < n; i++)
    {
      if (strcmp (ents[i]->d_name, ".") && strcmp (ents[i]->d_name, ".."))
        snprintf (out + strlen (out), cap - strlen (out), "%s%s", *out ? " " : "", ents[i]->d_name);
      free (ents[i]);
    }
  free (ents);
}

static char warned[4096];
static void warn (void *data, const char *path, const char *why)
{
  (void) data;
  snprintf (warned + strlen (warned), sizeof warned - strlen (warned), "%s: %s\n", path, why);
}

static void test_single_file_lying_size (void **state)
{
  struct fixture *fx = *state;
  _cleanup_error_ coi_error_t err = NULL;
  char area[128], local[160], names[512];
  snprintf (area, sizeof area, "%s/single", tmpdir);
  snprintf (local, sizeof local, "%s/liar", area);
  assert_int_equal (mkdir (area, 0755), 0);

  assert_int_equal (incus_file_pull_file (fx->c, "x", "/d/liar", local, 1 * MiB, &err), -1);
  assert_int_equal (err->status, EFBIG);
  assert_non_null (strstr (err->msg, "pull /d/liar from x: larger than the limit of 1 MiB"));
  coi_error_release (&err);
  listing (area, names, sizeof names);
  assert_string_equal (names, ""); /* no partial file, no temporary */

  /* An honest size over the limit is refused before any transfer. */
  int before = fake_incus_requests (fx->f);
  assert_int_equal (incus_file_pull_file (fx->c, "x", "/d/huge", local, 1 * MiB, &err), -1);
  assert_int_equal (err->status, EFBIG);
  coi_error_release (&err);
  assert_int_equal (fake_incus_requests (fx->f) - before, 1); /* the HEAD alone */
  listing (area, names, sizeof names);
  assert_string_equal (names, "");

  /* Under a limit that fits, the same file arrives whole. */
  assert_int_equal (incus_file_pull_file (fx->c, "x", "/d/liar", local, 16 * MiB, &err), 0);
  struct stat sb;
  assert_int_equal (stat (local, &sb), 0);
  assert_int_equal (sb.st_size, 8 * MiB);
}

static void test_tree_limits (void **state)
{
  struct fixture *fx = *state;
  _cleanup_error_ coi_error_t err = NULL;
  char area[128], dst[160], names[512];
  snprintf (area, sizeof area, "%s/tree", tmpdir);
  snprintf (dst, sizeof dst, "%s/d", area);
  assert_int_equal (mkdir (area, 0755), 0);

  /* Per file: the liar and the huge one go, the rest arrives. */
  warned[0] = '\0';
  struct incus_pull_opts o = { .warn = warn, .max_file_bytes = 1 * MiB,
                               .max_total_bytes = 100 * MiB };
  assert_int_equal (incus_file_pull_tree (fx->c, "x", "/d", dst, &o, &err), 0);
  fprintf (stderr, "%s", warned);
  listing (area, names, sizeof names);
  assert_string_equal (names, "d");
  listing (dst, names, sizeof names);
  assert_string_equal (names, "a b c ok");
  assert_int_equal (o.files, 4);
  assert_int_equal (o.bytes, 5 + 3 * 600 * KiB);
  assert_int_equal (o.skipped, 2);
  assert_string_equal (warned, "/d/liar: larger than the limit of 1 MiB per file\n"
                               "/d/huge: larger than the limit of 1 MiB per file\n");

  /* In all: ok (5) and a (600 KiB) fit in 1 MiB, then nothing more. */
  snprintf (dst, sizeof dst, "%s/d2", area);
  warned[0] = '\0';
  o = (struct incus_pull_opts) { .warn = warn, .max_file_bytes = 1 * MiB, .max_total_bytes = 1 * MiB };
  assert_int_equal (incus_file_pull_tree (fx->c, "x", "/d", dst, &o, &err), 0);
  fprintf (stderr, "%s", warned);
  listing (dst, names, sizeof names);
  assert_string_equal (names, "a ok");
  assert_int_equal (o.bytes, 5 + 600 * KiB);
  assert_int_equal (o.skipped, 4);
  assert_string_equal (warned, "/d/liar: the pull reached its limit of 1 MiB in all\n"
                               "/d/huge: larger than the limit of 1 MiB per file\n"
                               "/d/b: the pull reached its limit of 1 MiB in all\n"
                               "/d/c: the pull reached its limit of 1 MiB in all\n");

  /* Exactly full after a: b and c are not even asked for. */
  snprintf (dst, sizeof dst, "%s/d3", area);
  warned[0] = '\0';
  o = (struct incus_pull_opts) { .warn = warn, .max_file_bytes = 1 * MiB,
                                 .max_total_bytes = 5 + 600 * KiB };
  int before = fake_incus_requests (fx->f);
  assert_int_equal (incus_file_pull_tree (fx->c, "x", "/d", dst, &o, &err), 0);
  fprintf (stderr, "%s", warned);
  /* HEAD and GET of d, ok, liar and a; HEAD of huge, b and c. */
  assert_int_equal (fake_incus_requests (fx->f) - before, 11);
  listing (dst, names, sizeof names);
  assert_string_equal (names, "a ok");
  assert_int_equal (o.bytes, 5 + 600 * KiB);
  assert_non_null (strstr (warned, "/d/b: the pull reached its limit of 614405 bytes in all\n"));
  assert_non_null (strstr (warned, "/d/c: the pull reached its limit of 614405 bytes in all\n"));
  listing (area, names, sizeof names);
  assert_string_equal (names, "d d2 d3"); /* no temporary left */
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_single_file_lying_size),
    cmocka_unit_test (test_tree_limits),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
