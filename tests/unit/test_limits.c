/* Limits (spec G.5): validation names the key, and the create request gets
 * exactly the Incus keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <string.h>

#include "session/limits.h"
#include "util/cleanup.h"

static void set_ok (struct coi_limits *l, const char *key, const char *value)
{
  coi_error_t err = NULL;
  int r = coi_limits_set (l, key, value, &err);
  if (r < 0)
    fail_msg ("%s=%s: %s", key, value, err->msg);
}

static void expect_bad (const char *key, const char *value)
{
  _cleanup_limits_ struct coi_limits l;
  coi_limits_init (&l);
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (coi_limits_set (&l, key, value, &err), -1);
  assert_non_null (err);
  assert_int_equal (err->exit_code, 2);
  /* The message names the key the user wrote. */
  const char *rel = strncmp (key, "limits.", 7) == 0 ? key + 7 : key;
  assert_non_null (strstr (err->msg, rel));
}

static void test_valid_values (void **state)
{
  (void) state;
  _cleanup_limits_ struct coi_limits l;
  coi_limits_init (&l);
  set_ok (&l, "cpu.count", "2");
  set_ok (&l, "cpu.count", "0-3,6");
  set_ok (&l, "limits.cpu.allowance", "50%");
  set_ok (&l, "cpu.allowance", "25ms/100ms");
  set_ok (&l, "cpu.priority", "10");
  set_ok (&l, "memory.limit", "2GiB");
  set_ok (&l, "memory.limit", "50%");
  set_ok (&l, "memory.enforce", "hard");
  set_ok (&l, "memory.swap", "Off");
  assert_string_equal (l.memory_swap, "false");
  set_ok (&l, "memory.swap", "512MiB");
  set_ok (&l, "disk.read", "30MB");
  set_ok (&l, "disk.write", "100iops");
  set_ok (&l, "disk.max", "1GiB");
  set_ok (&l, "disk.priority", "3");
  set_ok (&l, "runtime.max_processes", "200");
  set_ok (&l, "runtime.max_duration", "1h30m");
  assert_int_equal (l.max_duration_sec, 5400);
  set_ok (&l, "runtime.auto_stop", "false");
  assert_false (l.auto_stop);
  /* Keys other parts of coi apply are accepted and left alone. */
  set_ok (&l, "disk.tmpfs_size", "2GiB");
  set_ok (&l, "disk.size", "10GiB");
  /* An empty value unsets (COI's defaults are empty strings). */
  set_ok (&l, "cpu.count", "");
  assert_null (l.cpu_count);
}

static void test_invalid_values_name_the_key (void **state)
{
  (void) state;
  expect_bad ("cpu.count", "0");
  expect_bad ("cpu.count", "two");
  expect_bad ("cpu.count", "3-1");
  expect_bad ("cpu.count", "1,,2");
  expect_bad ("limits.cpu.allowance", "150%");
  expect_bad ("cpu.allowance", "25ms");
  expect_bad ("cpu.allowance", "0ms/100ms");
  expect_bad ("cpu.priority", "11");
  expect_bad ("memory.limit", "2 GiB");
  expect_bad ("memory.limit", "2gb");
  expect_bad ("memory.limit", "0%");
  expect_bad ("memory.enforce", "strict");
  expect_bad ("memory.swap", "maybe");
  expect_bad ("disk.read", "fast");
  expect_bad ("disk.write", "0iops");
  expect_bad ("disk.priority", "-1");
  expect_bad ("runtime.max_processes", "-5");
  expect_bad ("runtime.max_duration", "2 hours");
  expect_bad ("runtime.max_duration", "5x");
  expect_bad ("runtime.stop_graceful", "sometimes");
  expect_bad ("cpu.cores", "2");
}

static void test_duration (void **state)
{
  (void) state;
  long s = -1;
  assert_int_equal (coi_parse_duration ("5s", &s), 0);
  assert_int_equal (s, 5);
  assert_int_equal (coi_parse_duration ("2h", &s), 0);
  assert_int_equal (s, 7200);
  assert_int_equal (coi_parse_duration ("1m30s", &s), 0);
  assert_int_equal (s, 90);
  assert_int_equal (coi_parse_duration ("1.5h", &s), 0);
  assert_int_equal (s, 5400);
  assert_int_equal (coi_parse_duration ("500ms", &s), 0);
  assert_int_equal (s, 1); /* rounded up: a limit is never shorter than asked */
  assert_int_equal (coi_parse_duration ("0", &s), 0);
  assert_int_equal (s, 0);
  assert_int_equal (coi_parse_duration ("", &s), -1);
  assert_int_equal (coi_parse_duration ("h", &s), -1);
  assert_int_equal (coi_parse_duration ("10", &s), -1);
  assert_int_equal (coi_parse_duration ("-5s", &s), -1);
}

static void test_apply_to_body (void **state)
{
  (void) state;
  _cleanup_limits_ struct coi_limits l;
  coi_limits_init (&l);
  set_ok (&l, "cpu.count", "1");
  set_ok (&l, "cpu.allowance", "50%");
  set_ok (&l, "memory.limit", "256MiB");
  set_ok (&l, "memory.enforce", "hard");
  set_ok (&l, "memory.swap", "false");
  set_ok (&l, "runtime.max_processes", "64");
  set_ok (&l, "runtime.max_duration", "5s");
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:{s:s}, s:{s:{s:s, s:s, s:s}}}", "name", "c1", "config",
                                           "user.x", "y", "devices", "root", "type", "disk", "path", "/", "pool",
                                           "default");
  coi_error_t err = NULL;
  assert_int_equal (coi_limits_apply_to_body (&l, body, &err), 0);
  json_t *config = json_object_get (body, "config");
  assert_string_equal (json_string_value (json_object_get (config, "limits.cpu")), "1");
  assert_string_equal (json_string_value (json_object_get (config, "limits.cpu.allowance")), "50%");
  assert_string_equal (json_string_value (json_object_get (config, "limits.memory")), "256MiB");
  assert_string_equal (json_string_value (json_object_get (config, "limits.memory.enforce")), "hard");
  assert_string_equal (json_string_value (json_object_get (config, "limits.memory.swap")), "false");
  assert_string_equal (json_string_value (json_object_get (config, "limits.processes")), "64");
  assert_string_equal (json_string_value (json_object_get (config, "user.x")), "y");
  /* Not an Incus key: the supervisor enforces it. */
  assert_null (json_object_get (config, "limits.runtime.max_duration"));
  /* Unset priorities are not written (Incus keeps its own defaults). */
  assert_null (json_object_get (config, "limits.cpu.priority"));
  /* No disk limits: the root device is untouched. */
  assert_int_equal (json_object_size (json_object_get (json_object_get (body, "devices"), "root")), 3);
}

static void test_memory_qualifiers_need_a_limit (void **state)
{
  (void) state;
  _cleanup_limits_ struct coi_limits l;
  coi_limits_init (&l);
  /* COI's defaults: enforce soft, swap true, no limit. */
  set_ok (&l, "memory.enforce", "soft");
  set_ok (&l, "memory.swap", "true");
  _cleanup_json_ json_t *body = json_pack ("{s:s}", "name", "c1");
  coi_error_t err = NULL;
  assert_int_equal (coi_limits_apply_to_body (&l, body, &err), 0);
  assert_int_equal (json_object_size (json_object_get (body, "config")), 0);
}

static void test_disk_limits_root_device (void **state)
{
  (void) state;
  _cleanup_limits_ struct coi_limits l;
  coi_limits_init (&l);
  set_ok (&l, "disk.read", "10MB");
  set_ok (&l, "disk.max", "100iops");
  set_ok (&l, "disk.priority", "4");
  /* No root device in the body and no pool: a clear error. */
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:{}}", "name", "c1", "devices");
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (coi_limits_apply_to_body (&l, body, &err), -1);
  assert_non_null (strstr (err->msg, "limits.disk"));
  l.root_pool = strdup ("default");
  assert_int_equal (coi_limits_apply_to_body (&l, body, &err), 0);
  json_t *root = json_object_get (json_object_get (body, "devices"), "root");
  assert_string_equal (json_string_value (json_object_get (root, "pool")), "default");
  assert_string_equal (json_string_value (json_object_get (root, "path")), "/");
  assert_string_equal (json_string_value (json_object_get (root, "limits.read")), "10MB");
  assert_string_equal (json_string_value (json_object_get (root, "limits.max")), "100iops");
  assert_null (json_object_get (root, "limits.write"));
  assert_string_equal (json_string_value (json_object_get (json_object_get (body, "config"), "limits.disk.priority")),
                       "4");
}

static void test_from_json_table (void **state)
{
  (void) state;
  _cleanup_limits_ struct coi_limits l;
  coi_limits_init (&l);
  _cleanup_json_ json_t *t = json_pack ("{s:{s:s, s:i}, s:{s:i, s:s, s:b}, s:{s:s}}", "cpu", "count", "2",
                                        "priority", 0, "runtime", "max_processes", 100, "max_duration", "5s",
                                        "stop_graceful", 0, "disk", "tmpfs_size", "");
  coi_error_t err = NULL;
  assert_int_equal (coi_limits_from_json (&l, t, &err), 0);
  assert_string_equal (l.cpu_count, "2");
  assert_int_equal (l.max_processes, 100);
  assert_int_equal (l.max_duration_sec, 5);
  assert_false (l.stop_graceful);
  _cleanup_json_ json_t *bad = json_pack ("{s:{s:s}}", "memory", "limit", "lots");
  _cleanup_error_ coi_error_t err2 = NULL;
  assert_int_equal (coi_limits_from_json (&l, bad, &err2), -1);
  assert_non_null (strstr (err2->msg, "limits.memory.limit"));
  _cleanup_json_ json_t *audit = coi_limits_to_json (&l);
  assert_non_null (audit);
  assert_string_equal (json_string_value (json_object_get (audit, "limits.cpu")), "2");
  assert_int_equal (json_integer_value (json_object_get (audit, "max_duration_sec")), 5);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_valid_values),
    cmocka_unit_test (test_invalid_values_name_the_key),
    cmocka_unit_test (test_duration),
    cmocka_unit_test (test_apply_to_body),
    cmocka_unit_test (test_memory_qualifiers_need_a_limit),
    cmocka_unit_test (test_disk_limits_root_device),
    cmocka_unit_test (test_from_json_table),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
