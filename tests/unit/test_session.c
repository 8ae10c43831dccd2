/* Session building blocks that need no Incus: names, the session store,
 * mounts, tool commands, settings merge, environment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session/agent.h"
#include "session/claude_settings.h"
#include "session/metadata.h"
#include "session/mounts.h"
#include "session/naming.h"
#include "session/tool.h"
#include "util/cleanup.h"

static char tmp_home[] = "/tmp/coi-unit-XXXXXX";

static void test_workspace_abs_cleans (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  char *p = NULL;
  assert_int_equal (coi_workspace_abs ("/a//b/./c/../d/", &p, &err), 0);
  assert_string_equal (p, "/a/b/d");
  free (p);
  assert_int_equal (coi_workspace_abs ("/../..", &p, &err), 0);
  assert_string_equal (p, "/");
  free (p);
  assert_int_equal (coi_workspace_abs ("/x/y/../../z", &p, &err), 0);
  assert_string_equal (p, "/z");
  free (p);
}

static void test_container_name_matches_coi (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  char *name = NULL;
  unsetenv ("COI_CONTAINER_PREFIX");
  /* sha256("/home/user/project") starts with these 8 hex digits. */
  char hex[65];
  coi_sha256_hex ("/home/user/project", strlen ("/home/user/project"), hex);
  assert_int_equal (coi_container_name ("/home/user/project", 3, &name, &err), 0);
  char expect[32];
  snprintf (expect, sizeof expect, "coi-%.8s-3", hex);
  assert_string_equal (name, expect);
  free (name);
  coi_sha256_hex ("abc", 3, hex);
  assert_string_equal (hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

  setenv ("COI_CONTAINER_PREFIX", "bad_prefix-", 1);
  assert_int_equal (coi_container_name ("/w", 1, &name, &err), -1);
  assert_non_null (strstr (err->msg, "is not valid"));
  coi_error_release (&err);
  setenv ("COI_CONTAINER_PREFIX", "ci-", 1);
  assert_int_equal (coi_container_name ("/w", 1, &name, &err), 0);
  assert_int_equal (strncmp (name, "ci-", 3), 0);
  free (name);
  unsetenv ("COI_CONTAINER_PREFIX");
}

static void test_container_slot_parse (void **state)
{
  (void) state;
  assert_int_equal (coi_container_slot ("coi-abcd1234-", "coi-abcd1234-7"), 7);
  assert_int_equal (coi_container_slot ("coi-abcd1234-", "coi-abcd1234-07"), -1);
  assert_int_equal (coi_container_slot ("coi-abcd1234-", "coi-abcd1234-x"), -1);
  assert_int_equal (coi_container_slot ("coi-abcd1234-", "coi-ffff1234-1"), -1);
  assert_int_equal (coi_container_slot ("coi-abcd1234-", "coi-abcd1234-"), -1);
}

static void test_metadata_round_trip (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  struct coi_session_meta m = { 0 }, back = { 0 };
  char id[37];
  assert_int_equal (coi_uuid4 (id, &err), 0);
  assert_true (coi_valid_session_id (id));
  m.session_id = id;
  m.container_name = "coi-12345678-1";
  m.workspace = "/tmp/we \"ird\"\npath";
  m.persistent = true;
  m.slot = 1;
  m.saved_at = 1700000000;
  assert_int_equal (coi_session_meta_save ("claude", &m, &err), 0);
  assert_int_equal (coi_session_meta_load ("claude", id, &back, &err), 0);
  assert_string_equal (back.workspace, m.workspace);
  assert_string_equal (back.container_name, m.container_name);
  assert_true (back.persistent);
  assert_int_equal (back.saved_at, 1700000000);
  coi_session_meta_clear (&back);

  /* A newer session for the same workspace is the one resumed. */
  char id2[37];
  assert_int_equal (coi_uuid4 (id2, &err), 0);
  m.session_id = id2;
  m.saved_at = 1700000100;
  assert_int_equal (coi_session_meta_save ("claude", &m, &err), 0);
  assert_int_equal (coi_session_latest_for_workspace ("claude", m.workspace, &back, &err), 0);
  assert_string_equal (back.session_id, id2);
  coi_session_meta_clear (&back);
  assert_int_equal (coi_session_latest_for_workspace ("claude", "/elsewhere", &back, &err), 1);
}

static void test_metadata_errors (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  struct coi_session_meta back = { 0 };
  assert_int_equal (coi_session_meta_load ("claude", "../../etc", &back, &err), -1);
  assert_string_equal (err->msg, "session '../../etc' not found - check available sessions with: coi list --all");
  coi_error_release (&err);
  assert_int_equal (coi_session_meta_load ("claude", "deadbeef", &back, &err), -1);
  assert_string_equal (err->msg, "session 'deadbeef' not found - check available sessions with: coi list --all");
  coi_error_release (&err);

  /* A corrupt metadata file is reported with its path, and skipped by listings. */
  char dir[512], path[600];
  snprintf (dir, sizeof dir, "%s/.coi/sessions-claude/abcdef", tmp_home);
  assert_int_equal (mkdir (dir, 0700), 0);
  snprintf (path, sizeof path, "%s/metadata.json", dir);
  FILE *f = fopen (path, "w");
  fputs ("{not json", f);
  fclose (f);
  assert_int_equal (coi_session_meta_load ("claude", "abcdef", &back, &err), -1);
  assert_non_null (strstr (err->msg, "load session abcdef: "));
  assert_non_null (strstr (err->msg, "metadata.json"));
  coi_error_release (&err);
  struct coi_session_meta *list = NULL;
  size_t n = 0;
  assert_int_equal (coi_session_list ("claude", &list, &n, &err), 0);
  for (size_t i = 0; i < n; i++)
    assert_string_not_equal (list[i].session_id, "abcdef");
  coi_session_list_free (list, n);
}

static void test_mounts_validation (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  struct coi_mounts m = { 0 };
  assert_int_equal (coi_mounts_add_spec (&m, "nocolon", &err), -1);
  assert_string_equal (err->msg, "invalid mount 'nocolon': expected HOST:CONTAINER");
  assert_int_equal (err->exit_code, 2);
  coi_error_release (&err);
  assert_int_equal (coi_mounts_add_spec (&m, "/tmp:relative", &err), -1);
  assert_string_equal (err->msg, "invalid mount /tmp:relative: container path must be absolute");
  coi_error_release (&err);

  assert_int_equal (coi_mounts_add_spec (&m, "/tmp/a:/data", &err), 0);
  assert_int_equal (coi_mounts_add_spec (&m, "/tmp/b:/data/sub", &err), 0);
  assert_int_equal (coi_mounts_validate (&m, "/workspace", &err), -1);
  assert_string_equal (err->msg, "invalid mounts: /data and /data/sub are nested or the same");
  coi_error_release (&err);
  coi_mounts_clear (&m);

  assert_int_equal (coi_mounts_add_spec (&m, "/tmp/a:/workspace/x", &err), 0);
  assert_int_equal (coi_mounts_validate (&m, "/workspace", &err), -1);
  assert_string_equal (err->msg, "invalid mount /tmp/a:/workspace/x: it is inside the workspace mount /workspace");
  coi_error_release (&err);
  coi_mounts_clear (&m);

  assert_int_equal (coi_mounts_add_spec (&m, "/tmp/a:/", &err), 0);
  assert_int_equal (coi_mounts_validate (&m, "/workspace", &err), -1);
  assert_string_equal (err->msg, "invalid mount /tmp/a:/: it would hide the workspace at /workspace");
  coi_error_release (&err);
  coi_mounts_clear (&m);

  /* ~ expands and the host directory is created. */
  assert_int_equal (coi_mounts_add_spec (&m, "~/cache/npm:/home/code/.npm", &err), 0);
  assert_int_equal (coi_mounts_validate (&m, "/workspace", &err), 0);
  char expect[600];
  snprintf (expect, sizeof expect, "%s/cache/npm", tmp_home);
  assert_string_equal (m.items[0].host, expect);
  struct stat st;
  assert_int_equal (stat (expect, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
  coi_mounts_clear (&m);
}

static void join (char **argv, char *out, size_t n)
{
  out[0] = '\0';
  for (char **a = argv; *a; a++)
    {
      strncat (out, *a, n - strlen (out) - 1);
      if (a[1])
        strncat (out, " ", n - strlen (out) - 1);
    }
}

static void test_tool_argv (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  char line[256];
  char **argv = NULL;
  const struct coi_tool *claude = coi_tool_lookup ("claude", &err);
  assert_non_null (claude);
  struct coi_tool_argv_opts o = { .tool = claude, .session_id = "1234" };
  assert_int_equal (coi_tool_argv (&o, &argv, &err), 0);
  join (argv, line, sizeof line);
  assert_string_equal (line, "claude --verbose --permission-mode bypassPermissions --session-id 1234");
  cleanup_strvp (&argv);

  o.resume = true;
  o.resume_cli_id = "abcd";
  o.binary_override = "dummy";
  assert_int_equal (coi_tool_argv (&o, &argv, &err), 0);
  join (argv, line, sizeof line);
  assert_string_equal (line, "dummy --verbose --permission-mode bypassPermissions --resume abcd");
  cleanup_strvp (&argv);

  assert_null (coi_tool_lookup ("nope", &err));
  assert_string_equal (err->msg, "unknown tool 'nope'");
  coi_error_release (&err);

  const struct coi_tool *generic = coi_tool_lookup ("generic", &err);
  struct coi_tool_argv_opts g = { .tool = generic };
  assert_int_equal (coi_tool_argv (&g, &argv, &err), -1);
  coi_error_release (&err);
  g.binary_override = "mycli";
  assert_int_equal (coi_tool_argv (&g, &argv, &err), 0);
  join (argv, line, sizeof line);
  assert_string_equal (line, "mycli");
  cleanup_strvp (&argv);
}

static void write_file (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  assert_non_null (f);
  fputs (text, f);
  fclose (f);
}

/* Host files full of secrets: only the allowlisted keys may come out. */
static const char *const secrets[] = {
  "SECRET-MCP-TOKEN", "SECRET-ENV-KEY", "secret-helper.sh", "SECRET-OAUTH", "SECRET-PRIMARY",
  "SECRET-HISTORY", "SECRET-OTHER-PROJECT", "SECRET-HOOK", "SECRET-STATUS", "SECRET-USERID",
  "SECRET-APPROVED", "SECRET-PROJECT-MCP", "/host/extra", "AWS_REGION", NULL,
};

static void test_claude_settings_allowlist (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  char path[600];
  snprintf (path, sizeof path, "%s/settings.json", tmp_home);
  write_file (path,
              "{\"env\":{\"ANTHROPIC_API_KEY\":\"SECRET-ENV-KEY\",\"AWS_REGION\":\"eu-west-1\"},"
              "\"apiKeyHelper\":\"/usr/local/bin/secret-helper.sh\","
              "\"hooks\":{\"PreToolUse\":[{\"hooks\":[{\"command\":\"SECRET-HOOK\"}]}]},"
              "\"statusLine\":{\"type\":\"command\",\"command\":\"SECRET-STATUS\"},"
              "\"mcpServers\":{\"x\":{\"headers\":{\"Authorization\":\"SECRET-MCP-TOKEN\"}}},"
              "\"model\":\"opus\",\"permissions\":{\"allow\":[\"Bash\"],\"deny\":[\"Bash(rm:*)\"],"
              "\"additionalDirectories\":[\"/host/extra\"],\"defaultMode\":\"plan\"}}");
  char *text = NULL;
  assert_int_equal (coi_claude_settings_text (path, &text, &err), 0);
  for (const char *const *sec = secrets; *sec; sec++)
    if (strstr (text, *sec))
      fail_msg ("settings.json for the container holds %s:\n%s", *sec, text);
  json_t *j = json_loads (text, 0, NULL);
  free (text);
  assert_non_null (j);
  assert_string_equal (json_string_value (json_object_get (j, "model")), "opus");
  json_t *perms = json_object_get (j, "permissions");
  assert_string_equal (json_string_value (json_object_get (perms, "defaultMode")), "bypassPermissions");
  assert_null (json_object_get (perms, "allow"));
  assert_string_equal (json_string_value (json_array_get (json_object_get (perms, "deny"), 0)),
                       "Bash(rm:*)");
  assert_true (json_is_true (json_object_get (j, "bypassPermissionsModeAccepted")));
  assert_true (json_is_true (json_object_get (j, "allowDangerouslySkipPermissions")));
  assert_int_equal (json_object_size (j), 4); /* model, permissions and the two flags */
  json_decref (j);

  /* Allowed keys of the wrong type are left out too. */
  write_file (path, "{\"model\":{\"token\":\"SECRET-ENV-KEY\"},\"permissions\":{\"deny\":[{\"x\":1}]}}");
  assert_int_equal (coi_claude_settings_text (path, &text, &err), 0);
  assert_null (strstr (text, "SECRET"));
  assert_null (strstr (text, "deny"));
  free (text);

  write_file (path, "[1,2]");
  assert_int_equal (coi_claude_settings_text (path, &text, &err), -1);
  assert_non_null (strstr (err->msg, "not a JSON object"));
  coi_error_release (&err);

  assert_int_equal (coi_claude_settings_text ("/nonexistent/x.json", &text, &err), 0);
  assert_non_null (strstr (text, "bypassPermissions"));
  free (text);
}

static void test_claude_config_allowlist (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  char path[600];
  snprintf (path, sizeof path, "%s/.claude.json", tmp_home);
  write_file (path,
              "{\"hasCompletedOnboarding\":true,\"theme\":\"light\",\"lastOnboardingVersion\":\"2.1.0\","
              "\"userID\":\"SECRET-USERID\",\"primaryApiKey\":\"SECRET-PRIMARY\","
              "\"oauthAccount\":{\"emailAddress\":\"SECRET-OAUTH\"},"
              "\"customApiKeyResponses\":{\"approved\":[\"SECRET-APPROVED\"]},"
              "\"mcpServers\":{\"gh\":{\"env\":{\"TOKEN\":\"SECRET-MCP-TOKEN\"}}},"
              "\"projects\":{\"/home/u\":{\"hasTrustDialogAccepted\":true,"
              "\"history\":[{\"display\":\"SECRET-HISTORY\"}],"
              "\"mcpServers\":{\"p\":{\"url\":\"SECRET-PROJECT-MCP\"}}},"
              "\"/srv/other\":{\"hasTrustDialogAccepted\":true,"
              "\"history\":[{\"display\":\"SECRET-OTHER-PROJECT\"}]}}}");
  const char *const ws[] = { "/home/u/proj", NULL };
  char *text = NULL;
  assert_int_equal (coi_claude_config_text (path, ws, "/workspace", &text, &err), 0);
  for (const char *const *sec = secrets; *sec; sec++)
    if (strstr (text, *sec))
      fail_msg (".claude.json for the container holds %s:\n%s", *sec, text);
  assert_null (strstr (text, "/home/u"));
  assert_null (strstr (text, "/srv/other"));
  json_t *j = json_loads (text, 0, NULL);
  free (text);
  assert_non_null (j);
  assert_true (json_is_true (json_object_get (j, "hasCompletedOnboarding")));
  assert_string_equal (json_string_value (json_object_get (j, "theme")), "light");
  assert_string_equal (json_string_value (json_object_get (j, "lastOnboardingVersion")), "2.1.0");
  assert_true (json_is_true (json_object_get (j, "bypassPermissionsModeAccepted")));
  assert_true (json_is_true (json_object_get (j, "hasSeenAutoDefaultNudge")));
  /* The workspace is trusted through its parent on the host. */
  json_t *projects = json_object_get (j, "projects");
  assert_int_equal (json_object_size (projects), 1);
  json_t *w = json_object_get (projects, "/workspace");
  assert_int_equal (json_object_size (w), 1);
  assert_true (json_is_true (json_object_get (w, "hasTrustDialogAccepted")));
  json_decref (j);

  /* A workspace the host never trusted is not trusted inside. */
  const char *const other[] = { "/opt/new", NULL };
  assert_int_equal (coi_claude_config_text (path, other, "/workspace", &text, &err), 0);
  assert_null (strstr (text, "projects"));
  free (text);
}

static void test_term_and_env (void **state)
{
  (void) state;
  assert_string_equal (coi_sanitize_term ("xterm-kitty"), "xterm-256color");
  assert_string_equal (coi_sanitize_term (""), "xterm-256color");
  assert_string_equal (coi_sanitize_term (NULL), "xterm-256color");
  assert_string_equal (coi_sanitize_term ("screen"), "screen");
  assert_string_equal (coi_sanitize_term ("x;rm -rf /"), "xterm-256color");

  coi_error_t err = NULL;
  struct coi_agent_user u = { 1000, 1000, "/home/code" };
  const char *extra[] = { "FOO=bar", "HOME=/override", "notkv", "FOO=baz", NULL };
  char **env = NULL;
  assert_int_equal (coi_agent_env (&u, "code", "xterm", extra, &env, &err), 0);
  int foo = 0, home = 0, sandbox = 0, bad = 0;
  for (char **e = env; *e; e++)
    {
      foo += strcmp (*e, "FOO=baz") == 0;
      home += strcmp (*e, "HOME=/override") == 0;
      sandbox += strcmp (*e, "IS_SANDBOX=1") == 0;
      bad += strcmp (*e, "notkv") == 0 || strcmp (*e, "FOO=bar") == 0;
    }
  assert_int_equal (foo, 1);
  assert_int_equal (home, 1);
  assert_int_equal (sandbox, 1);
  assert_int_equal (bad, 0);
  cleanup_strvp (&env);
}

static int setup (void **state)
{
  (void) state;
  if (mkdtemp (tmp_home) == NULL)
    return -1;
  setenv ("HOME", tmp_home, 1);
  return 0;
}

static int teardown (void **state)
{
  (void) state;
  char *argv[] = { "rm", "-rf", tmp_home, NULL };
  pid_t pid = fork ();
  if (pid == 0)
    {
      execvp (argv[0], argv);
      _exit (127);
    }
  return 0;
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_workspace_abs_cleans),
    cmocka_unit_test (test_container_name_matches_coi),
    cmocka_unit_test (test_container_slot_parse),
    cmocka_unit_test (test_metadata_round_trip),
    cmocka_unit_test (test_metadata_errors),
    cmocka_unit_test (test_mounts_validation),
    cmocka_unit_test (test_tool_argv),
    cmocka_unit_test (test_claude_settings_allowlist),
    cmocka_unit_test (test_claude_config_allowlist),
    cmocka_unit_test (test_term_and_env),
  };
  return cmocka_run_group_tests_name ("session", tests, setup, teardown);
}
