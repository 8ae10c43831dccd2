/* Layered configuration: defaults, layer order, merge rules, errors and
 * warnings (exact text), environment, flags, ~ expansion, the npm default.
 * Everything runs in a temporary HOME and workspace; no Incus. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_private.h"
#include "test_config_util.h"
#include "util/cleanup.h"

static void test_defaults (void **state)
{
  struct fx *f = *state;
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_string_equal (coi_config_string (c, "network.mode"), "restricted");
  assert_string_equal (coi_config_origin (c, "network.mode"), "default");
  assert_false (coi_config_bool (c, "container.persistent"));
  assert_true (coi_config_bool (c, "network.block_private_networks"));
  assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), 30);
  assert_true (coi_config_float (c, "monitoring.file_read_threshold_mb") == 50.0);
  const char *const *pp = coi_config_strv (c, "security.protected_paths");
  size_t n = 0;
  while (pp[n])
    n++;
  assert_int_equal (n, 9);
  assert_string_equal (pp[0], ".git/hooks");
  const char *const *ad = coi_config_strv (c, "network.allowed_domains");
  assert_string_equal (ad[0], "api.anthropic.com");
  assert_string_equal (ad[1], "platform.claude.com");
  assert_null (ad[2]);
  char want[600];
  snprintf (want, sizeof want, "%s/.coi/sessions", f->home);
  assert_string_equal (coi_config_string (c, "paths.sessions_dir"), want);
  assert_null (coi_config_node (c, "mounts.default"));
  assert_null (coi_config_string (c, "container.alias"));
  assert_string_equal (coi_config_origin (c, "container.alias"), "default");
  assert_null (coi_config_strv (c, "defaults.forward_env")[0]);
  /* Unknown keys and wrong types give nothing rather than crashing. */
  assert_null (coi_config_string (c, "no.such.key"));
  assert_null (coi_config_origin (c, "no.such.key"));
  assert_null (coi_config_string (c, "container.persistent"));
  assert_false (coi_config_bool (c, "network.mode"));
  assert_int_equal (coi_config_int (c, "nope"), 0);
  assert_null (coi_config_profile_name (c));
  assert_string_equal (coi_config_workspace (c), f->ws);
  assert_int_equal (c->warnings.n, 0);
}

static void test_every_key_is_sound (void **state)
{
  (void) state;
  size_t n = 0;
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++, n++)
    {
      assert_ptr_equal (coi_config_key_find (k->key), k);
      assert_non_null (k->help);
      for (const struct coi_config_key *j = coi_config_keys; j < k; j++)
        assert_string_not_equal (j->key, k->key);
      if (k->type == CFG_TABLES)
        assert_non_null (k->fields);
    }
  assert_true (n >= 100);
  /* Spec B.1 names are synonyms of the B.2 keys. */
  assert_ptr_equal (coi_config_key_find ("defaults.image"), coi_config_key_find ("container.image"));
  assert_ptr_equal (coi_config_key_find ("defaults.persistent"), coi_config_key_find ("container.persistent"));
}

static void test_env_names_unique (void **state)
{
  (void) state;
  static const char *const reserved[] = { "COI_CONFIG", "COI_CONTAINER", "COI_CONTAINER_PREFIX", "COI_TRUST_ALL",
                                          "COI_USE_DUMMY", "COI_BINARY", "COI_BUILD_SCRIPT_FROM_DISK" };
  char a[128], b[128];
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      coi_config_env_name (k, a, sizeof a);
      for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        assert_string_not_equal (a, reserved[i]);
      for (const struct coi_config_key *j = coi_config_keys; j < k; j++)
        {
          coi_config_env_name (j, b, sizeof b);
          assert_string_not_equal (a, b);
        }
    }
  coi_config_env_name (coi_config_key_find ("network.mode"), a, sizeof a);
  assert_string_equal (a, "COI_NETWORK_MODE");
}

static void test_layer_order (void **state)
{
  struct fx *f = *state;
  static const char *const kinds[] = { "sys", "xdg", "dot", "project", "explicit" };
  for (int i = 0; i < 5; i++)
    {
      char text[64];
      snprintf (text, sizeof text, "# %s\n[network]\nrefresh_interval_minutes = %d\n", kinds[i], i + 1);
      fx_write (f, fx_path (f, kinds[i]), text);
    }
  fx_write (f, "home/.coi/profiles/p/config.toml", "network.refresh_interval_minutes = 6\n");
  setenv ("COI_TRUST_ALL", "1", 1);
  setenv ("COI_CONFIG", fx_abs (f, fx_path (f, "explicit")), 1);
  setenv ("COI_NETWORK_REFRESH_INTERVAL_MINUTES", "7", 1);
  const char *flags[] = { "network.refresh_interval_minutes=8", NULL };
  struct coi_config_load_opts o = { .profile = "p", .flag_overrides = flags };
  char want[700];

  struct coi_config *c = fx_load (f, &o);
  assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), 8);
  assert_string_equal (coi_config_origin (c, "network.refresh_interval_minutes"),
                       "flag network.refresh_interval_minutes");
  coi_config_free (c);
  o.flag_overrides = NULL;
  c = fx_load (f, &o);
  assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), 7);
  assert_string_equal (coi_config_origin (c, "network.refresh_interval_minutes"),
                       "env COI_NETWORK_REFRESH_INTERVAL_MINUTES");
  coi_config_free (c);
  unsetenv ("COI_NETWORK_REFRESH_INTERVAL_MINUTES");
  c = fx_load (f, &o);
  assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), 6);
  assert_string_equal (coi_config_origin (c, "network.refresh_interval_minutes"), "~/.coi/profiles/p/config.toml:1");
  assert_string_equal (coi_config_profile_name (c), "p");
  coi_config_free (c);
  o.profile = NULL;
  c = fx_load (f, &o);
  assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), 5);
  snprintf (want, sizeof want, "%s:3", fx_abs (f, fx_path (f, "explicit")));
  assert_string_equal (coi_config_origin (c, "network.refresh_interval_minutes"), want);
  coi_config_free (c);
  unsetenv ("COI_CONFIG");
  c = fx_load (f, &o);
  assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), 4);
  snprintf (want, sizeof want, "%s/.coi/config.toml:3", f->ws);
  assert_string_equal (coi_config_origin (c, "network.refresh_interval_minutes"), want);
  coi_config_free (c);
  static const char *const origins[] = { NULL, "~/.config/coi/config.toml:3", "~/.coi/config.toml:3" };
  for (int i = 3; i >= 1; i--)
    {
      unlink (fx_abs (f, fx_path (f, kinds[i])));
      c = fx_load (f, &o);
      assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), i);
      if (i > 1)
        assert_string_equal (coi_config_origin (c, "network.refresh_interval_minutes"), origins[i - 1]);
      else
        {
          snprintf (want, sizeof want, "%s:3", f->sys);
          assert_string_equal (coi_config_origin (c, "network.refresh_interval_minutes"), want);
        }
      coi_config_free (c);
    }
  unlink (f->sys);
  c = fx_load (f, &o);
  assert_int_equal (coi_config_int (c, "network.refresh_interval_minutes"), 30);
  coi_config_free (c);
}

static void test_omitted_key_keeps_value (void **state)
{
  struct fx *f = *state;
  fx_write (f, "sys", "[container]\npersistent = true\n[network]\nblock_private_networks = false\n");
  fx_write (f, "home/.coi/config.toml", "[container]\nimage = \"mine\"\n[network]\nmode = \"open\"\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_true (coi_config_bool (c, "container.persistent"));
  assert_false (coi_config_bool (c, "network.block_private_networks"));
  assert_string_equal (coi_config_string (c, "container.image"), "mine");
  char want[600];
  snprintf (want, sizeof want, "%s:2", f->sys);
  assert_string_equal (coi_config_origin (c, "container.persistent"), want);
  assert_string_equal (coi_config_origin (c, "container.image"), "~/.coi/config.toml:2");
}

static void test_unknown_key_warnings (void **state)
{
  struct fx *f = *state;
  fx_write (f, "home/.coi/config.toml",
            "[network]\nmdoe = \"open\"\nzzzzzzzzzz = 1\n\"network.mode\" = \"open\"\n[[mounts.default]]\nhost = \"/a\"\n"
            "container = \"/b\"\nrw = true\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_int_equal (c->warnings.n, 4);
  assert_string_equal (c->warnings.v[0], "~/.coi/config.toml:2: unknown key \"network.mdoe\" (did you mean \"network.mode\"?)");
  assert_string_equal (c->warnings.v[1], "~/.coi/config.toml:3: unknown key \"network.zzzzzzzzzz\"");
  assert_string_equal (c->warnings.v[2],
                       "~/.coi/config.toml:4: unknown key \"network.network.mode\" (did you mean \"network.mode\"?)");
  assert_string_equal (c->warnings.v[3], "~/.coi/config.toml:8: unknown key \"mounts.default[0].rw\"");
  /* The value next to the typo is still read, the typo changes nothing. */
  assert_string_equal (coi_config_string (c, "network.mode"), "restricted");
  assert_non_null (coi_config_node (c, "mounts.default"));
}

static void test_error_messages (void **state)
{
  struct fx *f = *state;
  static const struct
  {
    const char *text, *msg;
  } cases[] = {
    { "[network]\nmode \"open\"\n", "~/.coi/config.toml:2:6: expected '=' after key \"mode\"" },
    { "[network]\nrefresh_interval_minutes = \"x\"\n",
      "~/.coi/config.toml:2: network.refresh_interval_minutes: expected an integer, got \"x\"" },
    { "[network]\nrefresh_interval_minutes = 0\n",
      "~/.coi/config.toml:2: network.refresh_interval_minutes: 0 is out of range 1..10080" },
    { "[network]\nmode = \"wide\"\n",
      "~/.coi/config.toml:2: network.mode: expected one of restricted, allowlist, open, got \"wide\"" },
    { "network = 1\n", "~/.coi/config.toml:1: network: expected a table, got an integer" },
    { "[network]\nallowed_domains = [\"a\", 1]\n",
      "~/.coi/config.toml:2: network.allowed_domains[1]: expected a string, got an integer" },
    { "[network]\nallowed_domains = \"a\"\n",
      "~/.coi/config.toml:2: network.allowed_domains: expected an array of strings, got \"a\"" },
    { "[network]\nallowed_ports = [80, 70000]\n",
      "~/.coi/config.toml:2: network.allowed_ports[1]: 70000 is out of range 1..65535" },
    { "[defaults]\nenv_command_timeout = \"soon\"\n",
      "~/.coi/config.toml:2: defaults.env_command_timeout: \"soon\" is not a duration (e.g. \"30s\", \"1h30m\")" },
    { "[[mounts.default]]\ncontainer = \"/x\"\n", "~/.coi/config.toml:1: mounts.default[0]: missing \"host\"" },
    { "[[mounts.default]]\nhost = \"/x\"\ncontainer = \"x\"\n",
      "~/.coi/config.toml:3: mounts.default[0].container: \"x\" is not an absolute path" },
    { "[defaults.environment]\nA = 1\n",
      "~/.coi/config.toml:2: defaults.environment.A: expected a string, got an integer" },
    { "[container]\npersistent = \"yes\"\n", "~/.coi/config.toml:2: container.persistent: expected a boolean, got \"yes\"" },
    { "[monitoring]\nfile_read_threshold_mb = true\n",
      "~/.coi/config.toml:2: monitoring.file_read_threshold_mb: expected a number, got a boolean" },
    { "profiles = 1\n", "~/.coi/config.toml:1: profiles: expected a table, got an integer" },
    { "[profiles]\nx = 1\n", "~/.coi/config.toml:2: profiles.x: expected a table, got an integer" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      fx_write (f, "home/.coi/config.toml", cases[i].text);
      const char *got = fx_load_fail (f, NULL);
      if (strcmp (got, cases[i].msg) != 0)
        fail_msg ("case %zu: got  %s\n          want %s", i, got, cases[i].msg);
    }
  /* An integer is a fine float. */
  fx_write (f, "home/.coi/config.toml", "[monitoring]\nfile_read_threshold_mb = 5\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  assert_true (coi_config_float (c, "monitoring.file_read_threshold_mb") == 5.0);
  /* $COI_CONFIG naming a missing file is an error, not a silent skip. */
  setenv ("COI_CONFIG", "/nonexistent/coi.toml", 1);
  assert_string_equal (fx_load_fail (f, NULL), "COI_CONFIG names /nonexistent/coi.toml, which does not exist");
  unsetenv ("COI_CONFIG");
}

static void test_environment (void **state)
{
  struct fx *f = *state;
  setenv ("COI_NETWORK_MODE", "open", 1);
  setenv ("CLAUDE_ON_INCUS_PERSISTENT", "1", 1);
  setenv ("CLAUDE_ON_INCUS_IMAGE", "legacy-img", 1);
  setenv ("CLAUDE_ON_INCUS_SESSIONS_DIR", "~/old-sessions", 1);
  setenv ("CLAUDE_ON_INCUS_STORAGE_DIR", "/srv/storage", 1);
  setenv ("COI_SECURITY_SECRET_PATHS", " .env , secrets/*,", 1);
  setenv ("COI_NETWORK_ALLOWED_PORTS", "[80, 443]", 1);
  setenv ("COI_MONITORING_FILE_READ_THRESHOLD_MB", "7.5", 1);
  struct coi_config *c = fx_load (f, NULL);
  assert_string_equal (coi_config_string (c, "network.mode"), "open");
  assert_string_equal (coi_config_origin (c, "network.mode"), "env COI_NETWORK_MODE");
  assert_true (coi_config_bool (c, "container.persistent"));
  assert_string_equal (coi_config_origin (c, "defaults.persistent"), "env CLAUDE_ON_INCUS_PERSISTENT");
  assert_string_equal (coi_config_string (c, "defaults.image"), "legacy-img");
  char want[600];
  snprintf (want, sizeof want, "%s/old-sessions", f->home);
  assert_string_equal (coi_config_string (c, "paths.sessions_dir"), want);
  assert_string_equal (coi_config_string (c, "paths.storage_dir"), "/srv/storage");
  const char *const *sp = coi_config_strv (c, "security.secret_paths");
  assert_string_equal (sp[0], ".env");
  assert_string_equal (sp[1], "secrets/*");
  assert_null (sp[2]);
  assert_int_equal (coi_config_node (c, "network.allowed_ports")->u.arr.items[1]->u.i, 443);
  assert_true (coi_config_float (c, "monitoring.file_read_threshold_mb") == 7.5);
  coi_config_free (c);
  /* COI read "true" or "1" only; anything else was false. */
  setenv ("CLAUDE_ON_INCUS_PERSISTENT", "yes", 1);
  c = fx_load (f, NULL);
  assert_false (coi_config_bool (c, "container.persistent"));
  coi_config_free (c);
  setenv ("COI_NETWORK_REFRESH_INTERVAL_MINUTES", "soon", 1);
  assert_string_equal (fx_load_fail (f, NULL),
                       "env COI_NETWORK_REFRESH_INTERVAL_MINUTES: network.refresh_interval_minutes: expected an "
                       "integer, got \"soon\"");
  unsetenv ("COI_NETWORK_REFRESH_INTERVAL_MINUTES");
  setenv ("COI_CONTAINER_PERSISTENT", "maybe", 1);
  assert_string_equal (fx_load_fail (f, NULL),
                       "env COI_CONTAINER_PERSISTENT: container.persistent: expected a boolean, got \"maybe\"");
}

/* Issue 13: the loader takes its environment from the caller, never from
 * the process (which says otherwise here). */
static void test_injected_environment (void **state)
{
  struct fx *f = *state;
  setenv ("COI_NETWORK_MODE", "open", 1);
  setenv ("COI_TRUST_ALL", "1", 1);
  setenv ("CLAUDE_ON_INCUS_IMAGE", "process-img", 1);
  fx_write (f, "ws/.coi/config.toml", "[git]\nname = \"proj\"\n");
  fx_write (f, "explicit.toml", "[container]\nalias = \"from-explicit\"\n");
  fx_write (f, "home/.coi/profiles/p/config.toml", "[container]\nmax_slots = 3\n");
  char cfg[700];
  snprintf (cfg, sizeof cfg, "COI_CONFIG=%s", fx_abs (f, "explicit.toml"));
  const char *vars[] = { "COI_NETWORK_MODE=allowlist", "CLAUDE_ON_INCUS_PERSISTENT=1", cfg,
                         "COI_DEFAULTS_PROFILE=p", "COI_TRUST_ALL", NULL };
  struct cfg_env env = { .home = f->home, .system_config = f->sys, .cwd = f->ws, .vars = vars };
  coi_error_t err = NULL;
  struct coi_config *c = NULL;
  assert_int_equal (config_load_env (NULL, &env, &c, &err), 0);
  assert_string_equal (coi_config_string (c, "network.mode"), "allowlist");
  assert_string_equal (coi_config_origin (c, "network.mode"), "env COI_NETWORK_MODE");
  assert_true (coi_config_bool (c, "container.persistent"));
  assert_string_equal (coi_config_string (c, "container.image"), "coi");
  assert_string_equal (coi_config_string (c, "container.alias"), "from-explicit");
  assert_int_equal (coi_config_int (c, "container.max_slots"), 3);
  /* "COI_TRUST_ALL" without a value is not "1": the project file stays untrusted. */
  assert_null (coi_config_string (c, "git.name"));
  coi_config_free (c);

  /* The public loader: HOME comes from the injected environment too. */
  fx_write (f, "home/.coi/config.toml", "[container]\nalias = \"from-home\"\n");
  setenv ("HOME", f->root, 1);
  char home[700];
  snprintf (home, sizeof home, "HOME=%s", f->home);
  const char *pub[] = { home, NULL };
  struct coi_config_load_opts o = { .workspace = f->ws, .env = pub, .quiet = true };
  assert_int_equal (coi_config_load (&o, &c, &err), 0);
  assert_string_equal (coi_config_string (c, "container.alias"), "from-home");
  assert_string_equal (coi_config_string (c, "network.mode"), "restricted");
  assert_string_equal (coi_config_string (c, "container.image"), "coi");
  coi_config_free (c);
  unsetenv ("COI_NETWORK_MODE");
  unsetenv ("COI_TRUST_ALL");
  unsetenv ("CLAUDE_ON_INCUS_IMAGE");
}

static void test_flags (void **state)
{
  struct fx *f = *state;
  const char *flags[] = { "network.mode=open", "defaults.persistent=true", "monitoring.enabled=1",
                          "network.allowed_domains=a.test,b.test", "container.image=img", NULL };
  struct coi_config_load_opts o = { .flag_overrides = flags };
  struct coi_config *c = fx_load (f, &o);
  assert_string_equal (coi_config_origin (c, "network.mode"), "flag --network");
  assert_true (coi_config_bool (c, "container.persistent"));
  assert_string_equal (coi_config_origin (c, "container.persistent"), "flag --persistent");
  assert_string_equal (coi_config_origin (c, "container.image"), "flag --image");
  assert_string_equal (coi_config_origin (c, "monitoring.enabled"), "flag monitoring.enabled");
  assert_string_equal (coi_config_strv (c, "network.allowed_domains")[1], "b.test");
  coi_config_free (c);
  const char *bad[] = { "network.mdoe=open", NULL };
  o.flag_overrides = bad;
  coi_error_t err = NULL;
  assert_int_equal (fx_load_err (f, &o, &err), -1);
  assert_string_equal (err->msg, "unknown configuration key \"network.mdoe\"");
  assert_string_equal (err->hint, "did you mean \"network.mode\"?");
  assert_int_equal (err->exit_code, 2);
  coi_error_release (&err);
  const char *noeq[] = { "network.mode", NULL };
  o.flag_overrides = noeq;
  assert_int_equal (fx_load_err (f, &o, &err), -1);
  assert_string_equal (err->msg, "flag network.mode: expected key=value");
  coi_error_release (&err);
  const char *range[] = { "network.refresh_interval_minutes=0", NULL };
  o.flag_overrides = range;
  assert_string_equal (fx_load_fail (f, &o),
                       "flag network.refresh_interval_minutes: network.refresh_interval_minutes: 0 is out of range "
                       "1..10080");
}

static void test_merge_rules (void **state)
{
  struct fx *f = *state;
  fx_write (f, "sys",
            "[security]\nsecret_paths = [\"a\"]\n[defaults.environment]\nA = \"1\"\nC = \"c\"\n"
            "[network]\nallowed_domains = [\"x.test\"]\n[[mounts.default]]\nhost = \"/m1\"\ncontainer = \"/m1\"\n");
  fx_write (f, "home/.coi/config.toml",
            "[security]\nsecret_paths = [\"b\", \"a\"]\n[defaults.environment]\nB = \"2\"\nA = \"3\"\n"
            "[network]\nallowed_domains = [\"y.test\"]\n[[mounts.default]]\nhost = \"~/m2\"\ncontainer = \"/m2\"\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  /* Lists marked union accumulate without duplicates. */
  const char *const *sp = coi_config_strv (c, "security.secret_paths");
  assert_string_equal (sp[0], "a");
  assert_string_equal (sp[1], "b");
  assert_null (sp[2]);
  /* Maps merge key by key; a later layer wins per key. */
  const struct toml_value *env = coi_config_node (c, "defaults.environment");
  assert_int_equal (env->u.tab.n, 3);
  assert_string_equal (toml_table_get (env, "A")->u.s.ptr, "3");
  assert_string_equal (toml_table_get (env, "B")->u.s.ptr, "2");
  assert_string_equal (toml_table_get (env, "C")->u.s.ptr, "c");
  /* Other lists are replaced. */
  const char *const *ad = coi_config_strv (c, "network.allowed_domains");
  assert_string_equal (ad[0], "y.test");
  assert_null (ad[1]);
  /* Arrays of tables accumulate, with ~ expanded in host paths. */
  const struct toml_value *m = coi_config_node (c, "mounts.default");
  assert_int_equal (m->u.arr.n, 2);
  char want[600];
  snprintf (want, sizeof want, "%s/m2", f->home);
  assert_string_equal (toml_table_get (m->u.arr.items[1], "host")->u.s.ptr, want);
  assert_int_equal (m->u.arr.items[1]->origin.line, 8);
  assert_string_equal (toml_origin_file (m->u.arr.items[1]), "~/.coi/config.toml");
}

static void test_tilde_paths (void **state)
{
  struct fx *f = *state;
  fx_write (f, "home/.coi/config.toml",
            "[paths]\nlogs_dir = \"~/l\"\nstorage_dir = \"~\"\nsessions_dir = \"~other/x\"\n[network.logging]\npath = \"~/n.log\"\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  char want[600];
  snprintf (want, sizeof want, "%s/l", f->home);
  assert_string_equal (coi_config_string (c, "paths.logs_dir"), want);
  assert_string_equal (coi_config_string (c, "paths.storage_dir"), f->home);
  assert_string_equal (coi_config_string (c, "paths.sessions_dir"), "~other/x");
  snprintf (want, sizeof want, "%s/n.log", f->home);
  assert_string_equal (coi_config_string (c, "network.logging.path"), want);
}

static void test_npm_registry_default (void **state)
{
  struct fx *f = *state;
  fx_write (f, "npm-ok", "#!/bin/sh\n[ \"$*\" = \"config get registry\" ] || exit 3\necho https://u@pkgs.test.invalid:8443/r/\n");
  fx_write (f, "npm-fail", "#!/bin/sh\nexit 1\n");
  chmod (fx_abs (f, "npm-ok"), 0755);
  chmod (fx_abs (f, "npm-fail"), 0755);
  f->npm = fx_abs (f, "npm-ok");
  struct coi_config *c = fx_load (f, NULL);
  const char *const *ad = coi_config_strv (c, "network.allowed_domains");
  assert_string_equal (ad[0], "pkgs.test.invalid");
  assert_string_equal (ad[1], "api.anthropic.com");
  assert_string_equal (coi_config_origin (c, "network.allowed_domains"), "default");
  coi_config_free (c);
  /* A configured list is the user's choice: nothing is added to it. */
  fx_write (f, "home/.coi/config.toml", "[network]\nallowed_domains = [\"only.test\"]\n");
  c = fx_load (f, NULL);
  ad = coi_config_strv (c, "network.allowed_domains");
  assert_string_equal (ad[0], "only.test");
  assert_null (ad[1]);
  coi_config_free (c);
  unlink (fx_abs (f, "home/.coi/config.toml"));
  f->npm = fx_abs (f, "npm-fail");
  c = fx_load (f, NULL);
  assert_string_equal (coi_config_strv (c, "network.allowed_domains")[0], "api.anthropic.com");
  coi_config_free (c);
  f->npm = "/nonexistent/npm";
  c = fx_load (f, NULL);
  assert_string_equal (coi_config_strv (c, "network.allowed_domains")[0], "api.anthropic.com");
  coi_config_free (c);
  static const struct
  {
    const char *url, *host;
  } urls[] = {
    { "https://a.test/", "a.test" }, { "http://user:pw@b.test:81/x", "b.test" }, { "http://[::1]:80/", "::1" },
    { "c.test", "c.test" }, { "https://", NULL },
  };
  for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++)
    {
      _cleanup_free_ char *h = config_url_host (urls[i].url);
      if (urls[i].host)
        assert_string_equal (h, urls[i].host);
      else
        assert_null (h);
    }
}

static void test_show (void **state)
{
  struct fx *f = *state;
  fx_write (f, "home/.coi/config.toml", "[network]\nmode = \"open\"\n");
  _cleanup_config_ struct coi_config *c = fx_load (f, NULL);
  _cleanup_free_ char *text = coi_config_show_text (c);
  assert_non_null (strstr (text, "\nnetwork.mode = \"open\""));
  assert_non_null (strstr (text, "# ~/.coi/config.toml:2\n"));
  assert_non_null (strstr (text, "\ncontainer.image = \"coi\""));
  assert_null (strstr (text, "container.alias"));
  _cleanup_json_ json_t *j = coi_config_show_json (c);
  json_t *mode = json_object_get (json_object_get (j, "settings"), "network.mode");
  assert_string_equal (json_string_value (json_object_get (mode, "value")), "open");
  assert_string_equal (json_string_value (json_object_get (mode, "origin")), "~/.coi/config.toml:2");
  assert_true (json_is_null (json_object_get (json_object_get (json_object_get (j, "settings"), "container.alias"),
                                              "value")));
  _cleanup_free_ char *tmpl = coi_config_template ();
  _cleanup_toml_ struct toml_value *doc = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (toml_parse (tmpl, strlen (tmpl), "template", &doc, &err), 0);
  assert_non_null (strstr (tmpl, "\n# [network]\n# mode = \"restricted\""));
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_defaults, fx_setup, fx_teardown),
    cmocka_unit_test (test_every_key_is_sound),
    cmocka_unit_test (test_env_names_unique),
    cmocka_unit_test_setup_teardown (test_layer_order, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_omitted_key_keeps_value, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_unknown_key_warnings, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_error_messages, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_environment, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_injected_environment, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_flags, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_merge_rules, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_tilde_paths, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_npm_registry_default, fx_setup, fx_teardown),
    cmocka_unit_test_setup_teardown (test_show, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
