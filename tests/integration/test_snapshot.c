/* Snapshots against the real incusd: create, list, get, a file changed
 * after the snapshot is back after restore, delete, and the failure paths
 * (duplicate, missing snapshot, missing instance, stateful without CRIU). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_ops_fixture.h"

#include "incus/files.h"
#include "incus/instance.h"
#include "incus/snapshot.h"
#include "util/cleanup.h"

static int setup (void **s)
{
  *s = ops_state_new ("snap", NULL, "snap");
  return 0;
}

static int teardown (void **s)
{
  ops_state_free (*s);
  return 0;
}

static void put_state (struct ops_state *st, const char *data)
{
  _cleanup_error_ coi_error_t err = NULL;
  OPS_OK (incus_file_push_data (st->c, st->inst, "/root/state", data, strlen (data),
                                INCUS_FILE_ATTRS_DEFAULT, &err),
          &err);
}

static void expect_state (struct ops_state *st, const char *want)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *p = NULL;
  assert_true (asprintf (&p, "%s/state-XXXXXX", st->dir) > 0);
  _cleanup_close_ int fd = mkstemp (p);
  assert_true (fd >= 0);
  OPS_OK (incus_file_pull_fd (st->c, st->inst, "/root/state", fd, NULL, &err), &err);
  char got[64] = "";
  assert_true (pread (fd, got, sizeof got - 1, 0) >= 0);
  assert_string_equal (got, want);
}

static void test_round_trip (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  put_state (st, "before\n");
  OPS_OK (incus_snapshot_create (st->c, st->inst, "s1", false, &err), &err);
  assert_int_equal (incus_snapshot_exists (st->c, st->inst, "s1", &err), 1);

  _cleanup_json_ json_t *list = NULL;
  OPS_OK (incus_snapshot_list (st->c, st->inst, &list, &err), &err);
  assert_int_equal (json_array_size (list), 1);
  json_t *s1 = json_array_get (list, 0);
  assert_string_equal (json_string_value (json_object_get (s1, "name")), "s1");
  assert_false (json_is_true (json_object_get (s1, "stateful")));
  assert_non_null (json_string_value (json_object_get (s1, "created_at")));
  _cleanup_json_ json_t *got = NULL;
  OPS_OK (incus_snapshot_get (st->c, st->inst, "s1", &got, &err), &err);
  assert_string_equal (json_string_value (json_object_get (got, "name")), "s1");

  put_state (st, "after\n");
  OPS_OK (incus_instance_set_state (st->c, st->inst, "stop", 30, true, &err), &err);
  OPS_OK (incus_snapshot_restore (st->c, st->inst, "s1", false, &err), &err);
  expect_state (st, "before\n");
  /* The witness agrees once it runs again. */
  OPS_OK (incus_instance_set_state (st->c, st->inst, "start", -1, false, &err), &err);
  _cleanup_buf_ struct buf out = { 0 };
  const char *argv[] = { "incus", "exec", st->inst, "--", "cat", "/root/state", NULL };
  assert_int_equal (ops_run (&out, argv), 0);
  assert_string_equal (out.data, "before\n");

  OPS_OK (incus_snapshot_delete (st->c, st->inst, "s1", &err), &err);
  assert_int_equal (incus_snapshot_exists (st->c, st->inst, "s1", &err), 0);
  _cleanup_json_ json_t *empty = NULL;
  OPS_OK (incus_snapshot_list (st->c, st->inst, &empty, &err), &err);
  assert_int_equal (json_array_size (empty), 0);
}

static void expect_one_line_error (coi_error_t *err, const char *needle)
{
  assert_non_null (*err);
  assert_null (strchr ((*err)->msg, '\n'));
  if (needle && strstr ((*err)->msg, needle) == NULL)
    fail_msg ("error '%s' does not mention '%s'", (*err)->msg, needle);
  coi_error_release (err);
}

static void test_failures (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  OPS_OK (incus_snapshot_create (st->c, st->inst, "dup", false, &err), &err);
  assert_int_equal (incus_snapshot_create (st->c, st->inst, "dup", false, &err), -1);
  assert_int_equal (err->status, 409);
  expect_one_line_error (&err, "dup");
  _cleanup_json_ json_t *none = NULL;
  assert_int_equal (incus_snapshot_get (st->c, st->inst, "nope", &none, &err), -1);
  assert_int_equal (err->status, 404);
  expect_one_line_error (&err, "nope");
  assert_int_equal (incus_snapshot_restore (st->c, st->inst, "nope", false, &err), -1);
  expect_one_line_error (&err, "nope");
  assert_int_equal (incus_snapshot_delete (st->c, st->inst, "nope", &err), -1);
  expect_one_line_error (&err, "nope");
  _cleanup_json_ json_t *l = NULL;
  assert_int_equal (incus_snapshot_list (st->c, "coi-test-ops-missing", &l, &err), -1);
  assert_int_equal (err->status, 404);
  expect_one_line_error (&err, "coi-test-ops-missing");
  /* Stateful needs CRIU: either it works or it fails with one clear line. */
  if (incus_snapshot_create (st->c, st->inst, "live", true, &err) < 0)
    expect_one_line_error (&err, "live");
  OPS_OK (incus_snapshot_delete (st->c, st->inst, "dup", &err), &err);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_round_trip),
    cmocka_unit_test (test_failures),
  };
  return ops_main ("snap", tests, sizeof tests / sizeof tests[0], setup, teardown);
}
