/* Profiles without Incus: sources, precedence, inheritance (cycles, depth),
 * built-ins, short forms, validation and the JSON Schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_private.h"
#include "test_config_util.h"
#include "util/cleanup.h"

static void test_config_table_profile (void **state)
{
  struct fx *f = *state;
  fx_write (f, "home/.coi/config.toml",
            "[profiles.fast]\nimage = \"fast-img\"\npersistent = true\n[profiles.fast.environment]\nA = \"1\"\n"
            "[[profiles.fast.mounts]]\nhost = \"~/data\"\ncontainer = \"/data\"\n");
  struct coi_config_load_opts o = { .profile = "fast" };
  _cleanup_config_ struct coi_config *c = fx_load (f, &o);
  assert_string_equal (coi_config_profile_name (c), "fast");
  assert_string_equal (coi_config_string (c, "container.image"), "fast-img");
  assert_string_equal (coi_config_origin (c, "container.image"), "~/.coi/config.toml:2");
  assert_true (coi_config_bool (c, "container.persistent"));
  assert_string_equal (toml_table_get (coi_config_node (c, "defaults.environment"), "A")->u.s.ptr, "1");
  const struct toml_value *m = coi_config_node (c, "mounts.default");
  char want[700];
  snprintf (want, sizeof want, "%s/data", f->home);
  assert_string_equal (toml_table_get (m->u.arr.items[0], "host")->u.s.ptr, want);
}

static void test_inheritance_and_builtins (void **state)
{
  struct fx *f = *state;
  fx_write (f, "home/.coi/profiles/child/config.toml", "inherits = \"hardened\"\n[network]\nmode = \"allowlist\"\n");
  fx_write (f, "home/.coi/config.toml", "[defaults]\nprofile = \"child\"\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_string_equal (coi_config_profile_name (c), "child");
  assert_false (coi_config_bool (c, "container.docker"));
  assert_string_equal (coi_config_origin (c, "container.docker"), "profile hardened");
  assert_true (coi_config_bool (c, "security.reduce_kernel_surface"));
  assert_string_equal (coi_config_string (c, "network.mode"), "allowlist");
  assert_string_equal (coi_config_origin (c, "network.mode"), "~/.coi/profiles/child/config.toml:3");
  _cleanup_strv_ char **chain = NULL;
  coi_error_t err = NULL;
  assert_int_equal (coi_config_profile_chain (c, "child", &chain, &err), 0);
  assert_string_equal (chain[0], "hardened");
  assert_string_equal (chain[1], "child");
  assert_null (chain[2]);
  struct coi_profile_info *v = NULL;
  size_t n = 0;
  assert_int_equal (coi_config_profiles (c, &v, &n, &err), 0);
  assert_int_equal (n, 3);
  assert_string_equal (v[0].name, "child");
  assert_int_equal (v[0].kind, COI_PROFILE_USER);
  assert_string_equal (v[0].inherits, "hardened");
  assert_string_equal (v[0].source, "~/.coi/profiles/child/config.toml");
  assert_string_equal (v[1].name, "default");
  assert_string_equal (v[2].name, "hardened");
  assert_int_equal (v[2].kind, COI_PROFILE_BUILTIN);
  coi_profile_infos_free (v, n);
  /* The default profile changes nothing. */
  struct coi_config_load_opts o = { .profile = "default" };
  unlink (fx_abs (f, "home/.coi/config.toml"));
  struct coi_config *d = fx_load (f, &o);
  assert_true (coi_config_bool (d, "container.docker"));
  assert_string_equal (coi_config_profile_name (d), "default");
  coi_config_free (d);
  /* A flag beats the profile, the profile beats the files. */
  const char *flags[] = { "network.mode=open", NULL };
  struct coi_config_load_opts o2 = { .profile = "child", .flag_overrides = flags };
  d = fx_load (f, &o2);
  assert_string_equal (coi_config_string (d, "network.mode"), "open");
  coi_config_free (d);
}

static void test_profile_errors (void **state)
{
  struct fx *f = *state;
  struct coi_config_load_opts o = { .profile = "nope" };
  coi_error_t err = NULL;
  assert_int_equal (fx_load_err (f, &o, &err), -1);
  assert_string_equal (err->msg, "unknown profile \"nope\"");
  assert_string_equal (err->hint, "available profiles: default, hardened");
  coi_error_release (&err);

  fx_write (f, "home/.coi/profiles/a/config.toml", "inherits = \"b\"\n");
  fx_write (f, "home/.coi/profiles/b/config.toml", "inherits = \"a\"\n");
  o.profile = "a";
  assert_string_equal (fx_load_fail (f, &o), "profile \"a\": inheritance cycle a -> b -> a");
  fx_write (f, "home/.coi/profiles/self/config.toml", "inherits = \"self\"\n");
  o.profile = "self";
  assert_string_equal (fx_load_fail (f, &o), "profile \"self\": inheritance cycle self -> self");

  fx_write (f, "home/.coi/profiles/c/config.toml", "inherits = \"zz\"\n");
  o.profile = "c";
  assert_string_equal (fx_load_fail (f, &o), "profile \"c\" inherits unknown profile \"zz\"");

  /* Ten levels are fine, eleven are not. */
  for (int i = 0; i < 11; i++)
    {
      char rel[64], text[64];
      snprintf (rel, sizeof rel, "home/.coi/profiles/p%d/config.toml", i);
      snprintf (text, sizeof text, "inherits = \"p%d\"\n", i + 1);
      fx_write (f, rel, i == 10 ? "" : text);
    }
  o.profile = "p1";
  struct coi_config *c = fx_load (f, &o);
  coi_config_free (c);
  o.profile = "p0";
  assert_string_equal (fx_load_fail (f, &o), "profile \"p0\": inheritance deeper than 10 levels");

  fx_write (f, "ws/.coi/profiles/dup/config.toml", "");
  fx_write (f, "home/.coi/profiles/dup/config.toml", "");
  o.profile = "dup";
  char want[1024];
  snprintf (want, sizeof want, "profile \"dup\" is defined in both ~/.coi/profiles/dup/config.toml and %s/.coi/profiles/dup/config.toml", f->ws);
  assert_string_equal (fx_load_fail (f, &o), want);

  fx_write (f, "home/.coi/profiles/broken/config.toml", "[network\n");
  o.profile = "broken";
  assert_string_equal (fx_load_fail (f, &o), "~/.coi/profiles/broken/config.toml:1:9: expected ']' to close the table header");
  fx_write (f, "home/.coi/profiles/badval/config.toml", "[network]\nmode = 1\n");
  o.profile = "badval";
  assert_string_equal (fx_load_fail (f, &o),
                       "~/.coi/profiles/badval/config.toml:2: network.mode: expected a string, got an integer");
  fx_write (f, "home/.coi/profiles/badinh/config.toml", "inherits = [1]\n");
  o.profile = "badinh";
  assert_string_equal (fx_load_fail (f, &o), "~/.coi/profiles/badinh/config.toml:1: inherits: expected a string, got an array");
}

static void test_precedence_of_sources (void **state)
{
  struct fx *f = *state;
  fx_write (f, "sys", "[profiles.x]\nimage = \"from-sys\"\n");
  fx_write (f, "home/.coi/config.toml", "[profiles.x]\nimage = \"from-dot\"\n");
  struct coi_config_load_opts o = { .profile = "x" };
  struct coi_config *c = fx_load (f, &o);
  assert_string_equal (coi_config_string (c, "container.image"), "from-dot");
  coi_config_free (c);
  fx_write (f, "home/.coi/profiles/x/config.toml", "image = \"from-dir\"\n");
  c = fx_load (f, &o);
  assert_string_equal (coi_config_string (c, "container.image"), "from-dir");
  coi_config_free (c);
  /* A user's own "hardened" replaces the built-in one. */
  fx_write (f, "home/.coi/profiles/hardened/config.toml", "image = \"mine\"\n");
  o.profile = "hardened";
  c = fx_load (f, &o);
  assert_string_equal (coi_config_string (c, "container.image"), "mine");
  assert_true (coi_config_bool (c, "container.docker"));
  coi_config_free (c);
}

static void test_untrusted_project_profile (void **state)
{
  struct fx *f = *state;
  fx_write (f, "ws/.coi/profiles/proj/config.toml", "image = \"p\"\n[timezone]\nmode = \"utc\"\n[network]\n"
                                                    "mode = \"open\"\n");
  struct coi_config_load_opts o = { .profile = "proj" };
  _cleanup_config_ struct coi_config *c = fx_load (f, &o);
  assert_string_equal (coi_config_string (c, "timezone.mode"), "utc");
  assert_string_equal (coi_config_string (c, "container.image"), "coi");
  assert_string_equal (coi_config_string (c, "network.mode"), "restricted");
  assert_int_equal (c->warnings.n, 1);
  /* The notice names the profile file the refused values came from. */
  char want[900];
  snprintf (want, sizeof want, "ignored from untrusted project config (%s/.coi/profiles/proj/config.toml): "
                               "container.image, network.mode; run 'coi trust'", f->ws);
  assert_non_null (strstr (c->warnings.v[0], want));
}

static void test_validate (void **state)
{
  struct fx *f = *state;
  fx_write (f, "bad.toml",
            "inherits = 3\n[network]\nmode = \"wide\"\nfoo = 1\n[[mounts]]\ncontainer = \"rel\"\n[limits.cpu]\npriority = 11\n");
  struct coi_validate_issue *v = NULL;
  size_t n = 0;
  coi_error_t err = NULL;
  const char *bad = fx_abs (f, "bad.toml");
  assert_int_equal (coi_validate_profile_file (bad, &v, &n, &err), 0);
  assert_int_equal (n, 6);
  static const char *const paths[] = { "inherits", "network.mode", "network.foo", "mounts[0]", "mounts[0].container",
                                       "limits.cpu.priority" };
  static const char *const msgs[] = {
    "1: inherits: expected a string, got an integer",
    "3: network.mode: expected one of restricted, allowlist, open, got \"wide\"",
    "4: unknown key \"network.foo\" (did you mean \"network.mode\"?)",
    "5: mounts[0]: missing \"host\"",
    "6: mounts[0].container: \"rel\" is not an absolute path",
    "8: limits.cpu.priority: 11 is out of range 0..10",
  };
  for (size_t i = 0; i < n; i++)
    {
      char want[1024];
      snprintf (want, sizeof want, "%s:%s", bad, msgs[i]);
      assert_string_equal (v[i].path, paths[i]);
      assert_string_equal (v[i].message, want);
    }
  coi_validate_issues_free (v, n);
  fx_write (f, "syntax.toml", "a = \n");
  assert_int_equal (coi_validate_profile_file (fx_abs (f, "syntax.toml"), &v, &n, &err), 0);
  assert_int_equal (n, 1);
  assert_string_equal (v[0].path, "");
  char want[1024];
  snprintf (want, sizeof want, "%s:1:5: expected a value, found end of line", fx_abs (f, "syntax.toml"));
  assert_string_equal (v[0].message, want);
  coi_validate_issues_free (v, n);
  fx_write (f, "good.toml", "inherits = \"hardened\"\nimage = \"x\"\n[network]\nmode = \"allowlist\"\n");
  assert_int_equal (coi_validate_profile_file (fx_abs (f, "good.toml"), &v, &n, &err), 0);
  assert_int_equal (n, 0);
  coi_validate_issues_free (v, n);
  assert_int_equal (coi_validate_profile_file ("/nonexistent.toml", &v, &n, &err), -1);
  assert_string_equal (err->msg, "open /nonexistent.toml: No such file or directory");
  coi_error_release (&err);
}

static void test_schema (void **state)
{
  (void) state;
  _cleanup_free_ char *s = coi_profile_schema_json ();
  json_error_t je;
  _cleanup_json_ json_t *j = json_loads (s, 0, &je);
  assert_non_null (j);
  json_t *props = json_object_get (j, "properties");
  json_t *mode = json_object_get (json_object_get (json_object_get (props, "network"), "properties"), "mode");
  assert_string_equal (json_string_value (json_array_get (json_object_get (mode, "enum"), 0)), "restricted");
  assert_string_equal (json_string_value (json_object_get (mode, "default")), "restricted");
  assert_true (json_is_false (json_object_get (j, "additionalProperties")));
  assert_non_null (json_object_get (json_object_get (props, "mounts"), "oneOf"));
  assert_non_null (json_object_get (props, "inherits"));
  json_t *prio = json_object_get (
      json_object_get (json_object_get (json_object_get (json_object_get (props, "limits"), "properties"), "cpu"),
                       "properties"),
      "priority");
  assert_int_equal (json_integer_value (json_object_get (prio, "maximum")), 10);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_config_table_profile, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_inheritance_and_builtins, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_profile_errors, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_precedence_of_sources, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_untrusted_project_profile, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_validate, fx_setup, fx_teardown),
    cmocka_unit_test (test_schema),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
