/* coi health without a server: judging a report (exit code), its text and
 * JSON renderings, and the checks that read only files given to them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "health/health.h"
#include "util/cleanup.h"

static void report_clear (struct coi_health_report *r)
{
  coi_health_report_clear (r);
}
#define _cleanup_report_ __attribute__ ((cleanup (report_clear)))

static void test_exit_code_is_the_worst_status (void **state)
{
  (void) state;
  _cleanup_report_ struct coi_health_report r = { 0 };
  assert_int_equal (coi_health_exit_code (&r), 0);
  assert_string_equal (coi_health_overall_name (&r), "healthy");
  assert_non_null (coi_health_add (&r, COI_HEALTH_SYSTEM, "a", COI_HEALTH_OK, NULL, "fine"));
  assert_non_null (coi_health_add (&r, COI_HEALTH_STORAGE, "b", COI_HEALTH_SKIP, NULL, "not checked"));
  assert_int_equal (coi_health_exit_code (&r), 0); /* a skip counts for nothing */
  assert_int_equal (coi_health_overall (&r), COI_HEALTH_OK);
  assert_non_null (coi_health_add (&r, COI_HEALTH_OPTIONAL, "c", COI_HEALTH_WARN, "fix-c", "meh"));
  assert_int_equal (coi_health_exit_code (&r), 1);
  assert_string_equal (coi_health_overall_name (&r), "degraded");
  assert_non_null (coi_health_add (&r, COI_HEALTH_CRITICAL, "d", COI_HEALTH_FAIL, "fix-d", "bad"));
  assert_int_equal (coi_health_exit_code (&r), 2);
  assert_string_equal (coi_health_overall_name (&r), "unhealthy");
  assert_int_equal (coi_health_overall (&r), COI_HEALTH_FAIL);
}

static void test_fix_only_for_warnings_and_failures (void **state)
{
  (void) state;
  _cleanup_report_ struct coi_health_report r = { 0 };
  struct coi_health_check *ok = coi_health_add (&r, COI_HEALTH_SYSTEM, "a", COI_HEALTH_OK, "ignored", "x");
  assert_non_null (ok);
  assert_null (ok->fix);
  struct coi_health_check *w = coi_health_add (&r, COI_HEALTH_SYSTEM, "b", COI_HEALTH_WARN, NULL, "y");
  assert_non_null (w);
  assert_string_equal (w->fix, "coi health --verbose"); /* never a warning without a command */
  struct coi_health_check *f = coi_health_add (&r, COI_HEALTH_SYSTEM, "c", COI_HEALTH_FAIL, "coi build", "z");
  assert_string_equal (f->fix, "coi build");
}

static void test_message_is_one_line_of_utf8 (void **state)
{
  (void) state;
  _cleanup_report_ struct coi_health_report r = { 0 };
  struct coi_health_check *c = coi_health_add (&r, COI_HEALTH_SYSTEM, "a", COI_HEALTH_WARN, "x\ny",
                                               "two\nlines\tand \xff bad \xc3\xa9 ok");
  assert_non_null (c);
  assert_string_equal (c->message, "two lines and ? bad \xc3\xa9 ok");
  assert_string_equal (c->fix, "x y");
  assert_int_equal (coi_health_detail (c, "d\r%d", 1), 0);
  assert_string_equal (c->details[0], "d 1");
  _cleanup_json_ json_t *j = coi_health_json (&r);
  assert_non_null (j); /* a stray byte would make the encoder refuse */
}

static void test_text_layout (void **state)
{
  (void) state;
  _cleanup_report_ struct coi_health_report r = { 0 };
  struct coi_health_check *c;
  /* Added out of order: printed by category. */
  assert_non_null (coi_health_add (&r, COI_HEALTH_STATUS, "leftovers", COI_HEALTH_WARN, "coi clean", "1 stopped container"));
  assert_non_null (c = coi_health_add (&r, COI_HEALTH_CRITICAL, "incus", COI_HEALTH_FAIL, "scripts/coi-up.sh --no-shell",
                                       "cannot reach the Incus server"));
  assert_int_equal (coi_health_detail (c, "socket /x"), 0);
  assert_non_null (coi_health_add (&r, COI_HEALTH_SYSTEM, "os", COI_HEALTH_OK, NULL, "Linux"));
  assert_non_null (coi_health_add (&r, COI_HEALTH_STORAGE, "pool", COI_HEALTH_SKIP, NULL, "not checked"));
  _cleanup_free_ char *text = coi_health_text (&r, false);
  assert_string_equal (text, "SYSTEM\n"
                             "  [OK]   os: Linux\n"
                             "CRITICAL\n"
                             "  [FAIL] incus: cannot reach the Incus server; run: scripts/coi-up.sh --no-shell\n"
                             "NETWORKING\n"
                             "MONITORING\n"
                             "STORAGE\n"
                             "  [SKIP] pool: not checked\n"
                             "CONFIGURATION\n"
                             "STATUS\n"
                             "  [WARN] leftovers: 1 stopped container; run: coi clean\n"
                             "OPTIONAL\n"
                             "Overall: unhealthy (exit 2): 1 ok, 1 warning, 1 failed, 1 skipped\n");
  _cleanup_free_ char *verbose = coi_health_text (&r, true);
  assert_non_null (strstr (verbose, "; run: scripts/coi-up.sh --no-shell\n         - socket /x\nNETWORKING\n"));
}

static void test_json_shape (void **state)
{
  (void) state;
  _cleanup_report_ struct coi_health_report r = { 0 };
  assert_non_null (coi_health_add (&r, COI_HEALTH_OPTIONAL, "guard", COI_HEALTH_WARN, "sudo coi shell", "w"));
  assert_non_null (coi_health_add (&r, COI_HEALTH_SYSTEM, "os", COI_HEALTH_OK, NULL, "Linux"));
  _cleanup_json_ json_t *j = coi_health_json (&r);
  assert_non_null (j);
  assert_int_equal (json_object_size (j), 5);
  assert_int_equal (json_integer_value (json_object_get (j, "format_version")), 1);
  assert_string_equal (json_string_value (json_object_get (j, "status")), "degraded");
  assert_int_equal (json_integer_value (json_object_get (j, "exit_code")), 1);
  json_t *counts = json_object_get (j, "counts");
  assert_int_equal (json_integer_value (json_object_get (counts, "ok")), 1);
  assert_int_equal (json_integer_value (json_object_get (counts, "warning")), 1);
  assert_int_equal (json_integer_value (json_object_get (counts, "failed")), 0);
  assert_int_equal (json_integer_value (json_object_get (counts, "skipped")), 0);
  json_t *checks = json_object_get (j, "checks");
  assert_int_equal (json_array_size (checks), 2);
  json_t *first = json_array_get (checks, 0), *second = json_array_get (checks, 1);
  assert_int_equal (json_object_size (first), 6);
  assert_string_equal (json_string_value (json_object_get (first, "category")), "SYSTEM");
  assert_string_equal (json_string_value (json_object_get (first, "name")), "os");
  assert_string_equal (json_string_value (json_object_get (first, "status")), "ok");
  assert_string_equal (json_string_value (json_object_get (first, "message")), "Linux");
  assert_true (json_is_null (json_object_get (first, "fix")));
  assert_true (json_is_array (json_object_get (first, "details")));
  assert_string_equal (json_string_value (json_object_get (second, "category")), "OPTIONAL");
  assert_string_equal (json_string_value (json_object_get (second, "status")), "warning");
  assert_string_equal (json_string_value (json_object_get (second, "fix")), "sudo coi shell");
}

static void test_space_thresholds (void **state)
{
  (void) state;
  assert_int_equal (coi_health_space_status (0), COI_HEALTH_FAIL);
  assert_int_equal (coi_health_space_status ((1ull << 30) - 1), COI_HEALTH_FAIL);
  assert_int_equal (coi_health_space_status (1ull << 30), COI_HEALTH_WARN);
  assert_int_equal (coi_health_space_status ((5ull << 30) - 1), COI_HEALTH_WARN);
  assert_int_equal (coi_health_space_status (5ull << 30), COI_HEALTH_OK);
}

/* A run with no server: what needs one is skipped, the rest judged. */
static char dir[] = "/tmp/coi-health-unit-XXXXXX";

static char *write_tmp (const char *name, const char *text)
{
  char *p = NULL;
  assert_true (asprintf (&p, "%s/%s", dir, name) > 0);
  FILE *f = fopen (p, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
  return p;
}

static const struct coi_health_check *find (const struct coi_health_report *r, const char *name)
{
  for (size_t i = 0; i < r->n; i++)
    if (strcmp (r->checks[i].name, name) == 0)
      return &r->checks[i];
  fail_msg ("no check %s", name);
  return NULL;
}

static void run_offline (struct coi_health_report *r, uid_t uid, const char *subuid, const char *subgid,
                         const char *config_error)
{
  _cleanup_error_ coi_error_t err = NULL;
  struct coi_health_input in = {
    .client = NULL,
    .client_error = "cannot open the Incus client: test",
    .config_error = config_error,
    .uid = uid,
    .gid = uid,
    .user = "someone",
    .subuid_path = subuid,
    .subgid_path = subgid,
    .state_dir = dir,
    .run_dir = dir,
    .container_prefix = "coi-",
    .setup_command = "scripts/coi-up.sh --no-shell",
    .privileged = false,
  };
  assert_int_equal (coi_health_run (&in, r, &err), 0);
}

static void test_offline_run (void **state)
{
  (void) state;
  _cleanup_free_ char *sub = write_tmp ("subuid", "root:1000000:1000000000\nroot:4242:1\n");
  _cleanup_free_ char *none = write_tmp ("empty", "root:1000000:1000000000\n");
  _cleanup_report_ struct coi_health_report r = { 0 };
  run_offline (&r, 4242, sub, sub, "~/.coi/config.toml:3:7: unterminated array: expected ']'");
  assert_int_equal (coi_health_exit_code (&r), 2);
  const struct coi_health_check *c = find (&r, "incus");
  assert_int_equal (c->status, COI_HEALTH_FAIL);
  assert_string_equal (c->message, "cannot open the Incus client: test");
  for (const char *const *n = (const char *const[]){ "image", "recipe", "bridge", "pool", "pool-space",
                                                     "containers", "leftovers", NULL };
       *n; n++)
    assert_int_equal (find (&r, *n)->status, COI_HEALTH_SKIP);
  c = find (&r, "subids");
  assert_int_equal (c->status, COI_HEALTH_OK);
  c = find (&r, "config");
  assert_int_equal (c->status, COI_HEALTH_FAIL);
  assert_string_equal (c->message, "~/.coi/config.toml:3:7: unterminated array: expected ']'");
  assert_string_equal (c->fix, "sensible-editor +3 ~/.coi/config.toml");
  /* Not root: the rules are the guard's, which needs the server to judge. */
  assert_int_equal (find (&r, "nftables")->status, COI_HEALTH_OK);
  assert_string_equal (find (&r, "nftables")->message, "changed by the guard service, not by coi (see guard)");
  assert_int_equal (find (&r, "guard")->status, COI_HEALTH_SKIP);
  coi_health_report_clear (&r);

  /* No entry for this uid: the set-up adds it. */
  run_offline (&r, 4242, none, sub, "not a file error");
  c = find (&r, "subids");
  assert_int_equal (c->status, COI_HEALTH_FAIL);
  assert_non_null (strstr (c->message, "no root:4242:1 in "));
  assert_string_equal (c->fix, "scripts/coi-up.sh --no-shell");
  assert_string_equal (find (&r, "config")->fix, "coi config show");
  coi_health_report_clear (&r);

  /* The container's own uid needs no map. */
  run_offline (&r, 1000, none, none, "x");
  c = find (&r, "subids");
  assert_int_equal (c->status, COI_HEALTH_OK);
  assert_string_equal (c->message, "not needed: uid 1000 is the container's code user");
  unlink (sub);
  unlink (none);
}

int main (void)
{
  assert_non_null (mkdtemp (dir));
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_exit_code_is_the_worst_status),
    cmocka_unit_test (test_fix_only_for_warnings_and_failures),
    cmocka_unit_test (test_message_is_one_line_of_utf8),
    cmocka_unit_test (test_text_layout),
    cmocka_unit_test (test_json_shape),
    cmocka_unit_test (test_space_thresholds),
    cmocka_unit_test (test_offline_run),
  };
  int r = cmocka_run_group_tests (tests, NULL, NULL);
  rmdir (dir);
  return r;
}
