/* The Debian mirror is read from apt's configuration (deb822 and one-line
 * formats), and cache keys follow the recipe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "image/mirror.h"
#include "image/recipe.h"
#include "image/stage.h"
#include "util/cleanup.h"

static const char deb822[] =
    "Types: deb\n"
    "# a comment\n"
    "URIs: http://mirror.invalid/debian\n"
    "Suites: bookworm bookworm-updates\n"
    "Components: main\n"
    "\n"
    "Types: deb\n"
    "URIs: http://mirror.invalid/debian-security\n"
    "Suites: bookworm-security\n"
    "Components: main\n";

static void test_deb822 (void **state)
{
  (void) state;
  _cleanup_free_ char *uri = NULL;
  assert_int_equal (coi_mirror_from_deb822 (deb822, "bookworm", &uri), 1);
  assert_string_equal (uri, "http://mirror.invalid/debian");
  _cleanup_free_ char *sec = NULL;
  assert_int_equal (coi_mirror_from_deb822 (deb822, "bookworm-security", &sec), 1);
  assert_string_equal (sec, "http://mirror.invalid/debian-security");
  _cleanup_free_ char *none = NULL;
  assert_int_equal (coi_mirror_from_deb822 (deb822, "trixie", &none), 0);
  assert_null (none);
}

static void test_deb822_skips_src_and_disabled (void **state)
{
  (void) state;
  static const char text[] = "Types: deb-src\nURIs: http://src.invalid/d\nSuites: bookworm\n\n"
                             "Enabled: no\nTypes: deb\nURIs: http://off.invalid/d\nSuites: bookworm\n\n"
                             "Types: deb deb-src\nURIs: http://on.invalid/d http://b.invalid/d\n"
                             "Suites: bookworm\n";
  _cleanup_free_ char *uri = NULL;
  assert_int_equal (coi_mirror_from_deb822 (text, "bookworm", &uri), 1);
  assert_string_equal (uri, "http://on.invalid/d");
}

static void test_one_line (void **state)
{
  (void) state;
  static const char text[] = "# deb http://commented.invalid/d bookworm main\n"
                             "deb-src http://src.invalid/d bookworm main\n"
                             "deb [arch=amd64 signed-by=/k.gpg] http://opt.invalid/d bookworm main\n"
                             "deb http://later.invalid/d bookworm main\n";
  _cleanup_free_ char *uri = NULL;
  assert_int_equal (coi_mirror_from_list (text, "bookworm", &uri), 1);
  assert_string_equal (uri, "http://opt.invalid/d");
  _cleanup_free_ char *none = NULL;
  assert_int_equal (coi_mirror_from_list (text, "bullseye", &none), 0);
}

static void test_env_override (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  setenv ("COI_DEBIAN_MIRROR", "http://override.invalid/debian", 1);
  _cleanup_free_ char *uri = NULL;
  assert_int_equal (coi_debian_mirror ("bookworm", &uri, &err), 0);
  assert_string_equal (uri, "http://override.invalid/debian");
  unsetenv ("COI_DEBIAN_MIRROR");
}

static void test_recipe_keys (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  struct coi_stage st = { 0 };
  assert_int_equal (coi_stage_collect (&st, &err), 0);
  assert_true (st.n >= 2);
  assert_string_equal (st.files[0].path, COI_PROVISION_PATH);
  assert_string_equal (st.files[1].path, COI_DUMMY_PATH);
  assert_non_null (strstr ((const char *) st.files[1].data, "Dummy CLI 1.0.0 (test stub)"));

  char d1[17], d2[17], r1[17], r2[17];
  assert_int_equal (coi_recipe_key ("debootstrap", NULL, d1, &err), 0);
  assert_int_equal (coi_recipe_key ("debootstrap", NULL, d2, &err), 0);
  assert_int_equal (coi_recipe_key ("rootfs", &st, r1, &err), 0);
  assert_string_equal (d1, d2);
  assert_int_equal (strlen (r1), 16);
  assert_string_not_equal (d1, r1);

  /* Any change in a staged file is a new tree. */
  const unsigned char other[] = "#!/bin/sh\n";
  st.files[1].data = other;
  st.files[1].len = sizeof (other) - 1;
  assert_int_equal (coi_recipe_key ("rootfs", &st, r2, &err), 0);
  assert_string_not_equal (r1, r2);
  assert_int_equal (coi_recipe_key ("nonsense", &st, r2, &err), -1);
  coi_error_release (&err);
  coi_stage_clear (&st);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_deb822),
    cmocka_unit_test (test_deb822_skips_src_and_disabled),
    cmocka_unit_test (test_one_line),
    cmocka_unit_test (test_env_override),
    cmocka_unit_test (test_recipe_keys),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
