/* Project trust without Incus: what an untrusted project config may not do,
 * the one-line notice, the trust store, a changed file, COI_TRUST_ALL. */
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

static const char weakening[] = "[network]\n"
                                "mode = \"open\"\n"
                                "block_private_networks = false\n"
                                "allowed_domains = [\"api.anthropic.com\", \"evil.test\"]\n"
                                "refresh_interval_minutes = 5\n"
                                "[defaults]\n"
                                "profile = \"hardened\"\n"
                                "[defaults.env_commands]\n"
                                "TOKEN = \"cat ~/.secret\"\n"
                                "[defaults.environment]\n"
                                "SAFE = \"1\"\n"
                                "[git]\n"
                                "name = \"x\"\n"
                                "email = \"x@example.invalid\"\n"
                                "writable_hooks = true\n"
                                "[container]\n"
                                "session_name = \"s\"\n"
                                "[security]\n"
                                "writable_paths = [\".git/hooks\"]\n"
                                "protected_paths = [\".git/hooks\"]\n"
                                "secret_paths = [\".env\"]\n"
                                "[[mounts.default]]\n"
                                "host = \"/etc\"\n"
                                "container = \"/x\"\n"
                                "[[mounts.default]]\n"
                                "host = \"sub/dir\"\n"
                                "container = \"/y\"\n"
                                "[[mounts.default]]\n"
                                "host = \"../other\"\n"
                                "container = \"/z\"\n"
                                "[[mounts.default]]\n"
                                "host = \"./a/../b\"\n"
                                "container = \"/w\"\n";

static void test_untrusted_is_sanitised (void **state)
{
  struct fx *f = *state;
  fx_write (f, "ws/.coi/config.toml", weakening);
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_string_equal (coi_config_string (c, "network.mode"), "restricted");
  assert_true (coi_config_bool (c, "network.block_private_networks"));
  assert_null (coi_config_strv (c, "network.allowed_domains")[2]);
  assert_null (coi_config_node (c, "defaults.env_commands"));
  assert_null (coi_config_string (c, "git.name"));
  assert_null (coi_config_string (c, "git.email"));
  assert_false (coi_config_bool (c, "git.writable_hooks"));
  assert_null (coi_config_string (c, "container.session_name"));
  assert_null (coi_config_strv (c, "security.writable_paths")[0]);
  assert_int_equal (coi_config_node (c, "security.protected_paths")->u.arr.n, 9);
  assert_null (coi_config_profile_name (c));
  /* What does not weaken anything is applied. */
  assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), 5);
  /* The container's environment is the host's choice (ANTHROPIC_BASE_URL). */
  assert_null (coi_config_node (c, "defaults.environment"));
  assert_string_equal (coi_config_strv (c, "security.secret_paths")[0], ".env");
  const struct toml_value *m = coi_config_node (c, "mounts.default");
  assert_int_equal (m->u.arr.n, 2);
  assert_string_equal (toml_table_get (m->u.arr.items[0], "host")->u.s.ptr, "sub/dir");
  assert_string_equal (toml_table_get (m->u.arr.items[1], "host")->u.s.ptr, "./a/../b");
  /* One line says what was ignored and how to trust. */
  assert_int_equal (c->warnings.n, 1);
  char want[2048];
  snprintf (want, sizeof want,
            "ignored from untrusted project config (%s/.coi/config.toml): network.mode, "
            "network.block_private_networks, network.allowed_domains, defaults.profile, defaults.env_commands, "
            "defaults.environment, git.name, git.email, git.writable_hooks, container.session_name, "
            "security.writable_paths, security.protected_paths, mounts.default outside the workspace; "
            "run 'coi trust' in %s to trust it",
            f->ws, f->ws);
  assert_string_equal (c->warnings.v[0], want);
}

static void test_untrusted_may_tighten (void **state)
{
  struct fx *f = *state;
  fx_write (f, "home/.coi/config.toml", "[network]\nmode = \"open\"\nblock_private_networks = false\n");
  fx_write (f, "ws/.coi/config.toml",
            "[network]\nmode = \"allowlist\"\nblock_private_networks = true\n[security]\n"
            "protected_paths = [\".git/hooks\", \".git/config\", \".git/config.worktree\", \".git/info/attributes\", "
            "\".husky\", \".vscode\", \".coi\", \".claude/settings.json\", \".claude/settings.local.json\", "
            "\"Makefile\"]\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_string_equal (coi_config_string (c, "network.mode"), "allowlist");
  assert_true (coi_config_bool (c, "network.block_private_networks"));
  assert_int_equal (coi_config_node (c, "security.protected_paths")->u.arr.n, 10);
  assert_int_equal (c->warnings.n, 0);
}

static void test_trust_store (void **state)
{
  struct fx *f = *state;
  fx_write (f, "ws/.coi/config.toml", weakening);
  fx_write (f, "ws/.coi/profiles/p/config.toml", "network.mode = \"open\"\n");
  _cleanup_strv_ char **files = NULL;
  coi_error_t err = NULL;
  assert_int_equal (coi_trust_project_files (f->ws, &files, &err), 0);
  char want[700];
  snprintf (want, sizeof want, "%s/.coi/config.toml", f->ws);
  assert_string_equal (files[0], want);
  snprintf (want, sizeof want, "%s/.coi/profiles/p/config.toml", f->ws);
  assert_string_equal (files[1], want);
  assert_null (files[2]);
  for (char **p = files; *p; p++)
    assert_int_equal (coi_trust_add (f->home, *p, NULL, &err), 0);
  /* Adding again replaces the entry. */
  assert_int_equal (coi_trust_add (f->home, files[0], NULL, &err), 0);
  struct stat st;
  assert_int_equal (stat (fx_abs (f, "home/.coi/trust.toml"), &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  struct coi_trust_entry *v = NULL;
  size_t n = 0;
  assert_int_equal (coi_trust_list (f->home, &v, &n, &err), 0);
  assert_int_equal (n, 2);
  assert_string_equal (v[0].path, files[0]);
  assert_int_equal (strlen (v[0].sha256), 64);
  assert_int_equal (strlen (v[0].trusted_at), 20);
  coi_trust_entries_free (v, n);
  assert_int_equal (coi_trust_check (f->home, files[0], &err), 1);

  struct coi_config_load_opts o = { .profile = "p" };
  struct coi_config *c = fx_load (f, &o);
  assert_string_equal (coi_config_string (c, "git.name"), "x");
  assert_string_equal (coi_config_string (c, "network.mode"), "open");
  assert_int_equal (c->warnings.n, 0);
  coi_config_free (c);

  /* A changed file is untrusted again. */
  fx_write (f, "ws/.coi/config.toml", "[git]\nname = \"y\"\n");
  assert_int_equal (coi_trust_check (f->home, files[0], &err), 0);
  c = fx_load (f, NULL);
  assert_null (coi_config_string (c, "git.name"));
  assert_int_equal (c->warnings.n, 1);
  coi_config_free (c);
  setenv ("COI_TRUST_ALL", "1", 1);
  c = fx_load (f, NULL);
  assert_string_equal (coi_config_string (c, "git.name"), "y");
  assert_int_equal (c->warnings.n, 0);
  coi_config_free (c);
  unsetenv ("COI_TRUST_ALL");

  assert_int_equal (coi_trust_remove (f->home, files[1], &err), 1);
  assert_int_equal (coi_trust_remove (f->home, files[1], &err), 0);
  c = fx_load (f, &o);
  assert_string_equal (coi_config_string (c, "network.mode"), "restricted");
  coi_config_free (c);
  assert_int_equal (coi_trust_check (f->home, "/nonexistent", &err), -1);
  assert_string_equal (err->msg, "open /nonexistent: No such file or directory");
  coi_error_release (&err);
}

static void test_trust_store_errors (void **state)
{
  struct fx *f = *state;
  fx_write (f, "home/.coi/trust.toml", "trusted = 1\n");
  struct coi_trust_entry *v = NULL;
  size_t n = 0;
  coi_error_t err = NULL;
  assert_int_equal (coi_trust_list (f->home, &v, &n, &err), -1);
  assert_string_equal (err->msg, "~/.coi/trust.toml: \"trusted\" must be an array of tables");
  coi_error_release (&err);
  fx_write (f, "home/.coi/trust.toml", "[[trusted]\n");
  assert_int_equal (coi_trust_list (f->home, &v, &n, &err), -1);
  assert_string_equal (err->msg, "~/.coi/trust.toml:1:10: expected ']]' to close the table header");
  coi_error_release (&err);
  _cleanup_strv_ char **files = NULL;
  assert_int_equal (coi_trust_project_files (f->ws, &files, &err), 0);
  assert_null (files[0]);
}

static void test_legacy_project_file (void **state)
{
  struct fx *f = *state;
  fx_write (f, "ws/.coi.toml", "[timezone]\nmode = \"utc\"\n[container]\nimage = \"legacy\"\n[network]\n"
                               "mode = \"open\"\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_string_equal (coi_config_string (c, "timezone.mode"), "utc");
  assert_string_equal (coi_config_string (c, "container.image"), "coi");
  assert_string_equal (coi_config_string (c, "network.mode"), "restricted");
  char want[700];
  snprintf (want, sizeof want, "%s/.coi.toml:2", f->ws);
  assert_string_equal (coi_config_origin (c, "timezone.mode"), want);
  /* It is the workspace's (the file `coi trust` records), not the cwd's. */
  fx_write (f, "home/.coi.toml", "[timezone]\nname = \"Etc/cwd\"\n");
  struct cfg_env env = { .home = f->home, .system_config = f->sys, .cwd = f->home,
                         .vars = (const char *const *) environ };
  struct coi_config_load_opts o = { .workspace = f->ws };
  _cleanup_config_ struct coi_config *c2 = NULL;
  coi_error_t err = NULL;
  assert_int_equal (config_load_env (&o, &env, &c2, &err), 0);
  assert_string_equal (coi_config_string (c2, "timezone.mode"), "utc");
  assert_null (coi_config_string (c2, "timezone.name"));
}

/* A project config is read as a regular file of its own: not through a
 * symbolic link (to a host file), not a FIFO that would hang the open. */
static void test_project_file_kinds (void **state)
{
  struct fx *f = *state;
  fx_write (f, "home/secret.toml", "[git]\nname = \"x\"\n");
  fx_mkdirs (fx_abs (f, "ws/.coi/x"));
  assert_int_equal (symlink (fx_abs (f, "home/secret.toml"), fx_abs (f, "ws/.coi/config.toml")), 0);
  char want[900];
  snprintf (want, sizeof want, "%s/.coi/config.toml: is a symbolic link; a project config must be a regular file",
            f->ws);
  assert_string_equal (fx_load_fail (f, NULL), want);
  coi_error_t err = NULL;
  assert_int_equal (coi_trust_add (f->home, fx_abs (f, "ws/.coi/config.toml"), NULL, &err), -1);
  assert_string_equal (err->msg, want);
  coi_error_release (&err);
  unlink (fx_abs (f, "ws/.coi/config.toml"));
  assert_int_equal (mkfifo (fx_abs (f, "ws/.coi/config.toml"), 0600), 0);
  snprintf (want, sizeof want, "%s/.coi/config.toml: not a regular file", f->ws);
  assert_string_equal (fx_load_fail (f, NULL), want);
  /* The user's own files may be links. */
  unlink (fx_abs (f, "ws/.coi/config.toml"));
  fx_mkdirs (fx_abs (f, "home/.coi/x"));
  assert_int_equal (symlink (fx_abs (f, "home/secret.toml"), fx_abs (f, "home/.coi/config.toml")), 0);
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_string_equal (coi_config_string (c, "git.name"), "x");
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_untrusted_is_sanitised, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_untrusted_may_tighten, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_trust_store, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_trust_store_errors, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_legacy_project_file, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_project_file_kinds, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
