/* coi health without a server: judging a report (exit code), its text and
 * JSON renderings, the checks that read only files given to them, and the
 * guard check against a guard that is absent, silent or answering (a fake
 * one on a socket of the test's own). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/config.h"
#include "guard/link.h"
#include "health/health.h"
#include "health/health_private.h"
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

/* The guard line alone, as coi_health_run would add it once the server
 * answered.  flags: configuration overrides ("network.mode=open"). */
static const struct coi_health_check *guard_line (struct coi_health_report *r, struct coi_guard_link *g,
                                                  const char *incus_socket, const char *const *flags)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *home = NULL;
  assert_true (asprintf (&home, "HOME=%s", dir) > 0);
  const char *env[] = { home, NULL };
  struct coi_config_load_opts o = { .workspace = dir, .flag_overrides = flags, .env = env, .quiet = true };
  _cleanup_config_ struct coi_config *cfg = NULL;
  assert_int_equal (coi_config_load (&o, &cfg, &err), 0);
  struct coi_health_input in = {
    .socket_path = incus_socket,
    .config = cfg,
    .setup_command = "/src/coi/scripts/coi-up.sh --no-shell",
    .guard = g,
  };
  struct health_run run = { .in = &in, .report = r, .server_ok = true };
  const struct health_def d = { COI_HEALTH_OPTIONAL, "guard", health_check_guard, 0 };
  assert_int_equal (health_check_guard (&run, &d), 0);
  return &r->checks[r->n - 1];
}

static void test_guard_check (void **state)
{
  (void) state;
  _cleanup_report_ struct coi_health_report r = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  const char *open[] = { "network.mode=open", NULL };
  const char *open_monitored[] = { "network.mode=open", "monitoring.enabled=true", NULL };
  const char *open_limited[] = { "network.mode=open", "limits.runtime.max_duration=2h", NULL };
  const char *open_unlimited[] = { "network.mode=open", "limits.runtime.max_duration=0", NULL };

  /* A remote server: no guard of its here. */
  const struct coi_health_check *c = guard_line (&r, NULL, NULL, NULL);
  assert_int_equal (c->status, COI_HEALTH_FAIL);
  assert_string_equal (c->message, "a remote server has no guard service here: only open, unmonitored sessions run");
  assert_string_equal (c->fix, "coi shell --network=open");
  assert_int_equal (guard_line (&r, NULL, NULL, open)->status, COI_HEALTH_WARN);

  /* A server under another INCUS_DIR whose guard is not running: the fix
     starts that server's guard. */
  _cleanup_free_ char *srv = NULL, *sock = NULL, *gsock = NULL, *fix = NULL, *msg = NULL;
  assert_true (asprintf (&srv, "%s/srv", dir) > 0 && asprintf (&sock, "%s/unix.socket", srv) > 0
               && asprintf (&gsock, "%s/coi/guard.sock", srv) > 0);
  struct coi_guard_link g = { 0 };
  assert_int_equal (coi_guard_link_init (&g, sock, NULL, dir, &err), 0);
  assert_string_equal (g.where.socket, gsock);
  c = guard_line (&r, &g, sock, NULL);
  assert_int_equal (c->status, COI_HEALTH_FAIL); /* network.mode restricted, the default */
  assert_true (asprintf (&msg, "the guard service does not answer: connect to the guard service at %s: No such file or directory", gsock) > 0);
  assert_string_equal (c->message, msg);
  assert_true (asprintf (&fix, "sudo INCUS_DIR=%s /src/coi/scripts/coi-up.sh --no-shell", srv) > 0);
  assert_string_equal (c->fix, fix);
  /* Open, unwatched and unlimited sessions run without it. */
  assert_int_equal (guard_line (&r, &g, sock, open)->status, COI_HEALTH_WARN);
  assert_int_equal (guard_line (&r, &g, sock, open_monitored)->status, COI_HEALTH_FAIL);
  assert_int_equal (guard_line (&r, &g, sock, open_limited)->status, COI_HEALTH_FAIL);
  assert_int_equal (guard_line (&r, &g, sock, open_unlimited)->status, COI_HEALTH_WARN);
  coi_guard_link_clear (&g);

  /* The machine's own server: the set-up as it is. */
  _cleanup_free_ char *none = NULL;
  assert_true (asprintf (&none, "%s/none.sock", dir) > 0);
  assert_int_equal (coi_guard_link_init (&g, "/var/lib/incus/unix.socket", none, dir, &err), 0);
  c = guard_line (&r, &g, "/var/lib/incus/unix.socket", NULL);
  assert_int_equal (c->status, COI_HEALTH_FAIL);
  assert_string_equal (c->fix, "sudo /src/coi/scripts/coi-up.sh --no-shell");
  coi_guard_link_clear (&g);

  /* A guard that answers its hello: its socket, version and table. */
  _cleanup_free_ char *fake = NULL;
  assert_true (asprintf (&fake, "%s/fake.sock", dir) > 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf (a.sun_path, sizeof a.sun_path, "%s", fake);
  int l = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  assert_true (l >= 0 && bind (l, (struct sockaddr *) &a, sizeof a) == 0 && listen (l, 1) == 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char buf[4096];
      alarm (10); /* never outlive a failed test */
      int c2 = accept (l, NULL, NULL);
      const char reply[] = "{\"v\":1,\"ok\":true,\"result\":{\"proto\":1,\"version\":\"9.8.7\",\"table\":\"coi_0123abcd\"}}";
      _exit (c2 >= 0 && recv (c2, buf, sizeof buf, 0) > 0 && strstr (buf, "\"hello\"")
                     && send (c2, reply, sizeof reply - 1, 0) > 0
                 ? 0
                 : 1);
    }
  close (l);
  assert_int_equal (coi_guard_link_init (&g, sock, fake, dir, &err), 0);
  c = guard_line (&r, &g, sock, NULL);
  int st = 0;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  assert_int_equal (c->status, COI_HEALTH_OK);
  free (msg);
  assert_true (asprintf (&msg, "answers on %s (coi 9.8.7, table inet coi_0123abcd)", fake) > 0);
  assert_string_equal (c->message, msg);
  assert_null (c->fix);
  coi_guard_link_clear (&g);
  unlink (fake);
}

/* The monitor's supervisors are the guard's, root's sessions' too: on is
 * fine without root, and the guard line says whether it answers. */
static void test_monitor_is_the_guards (void **state)
{
  (void) state;
  _cleanup_report_ struct coi_health_report r = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *home = NULL;
  assert_true (asprintf (&home, "HOME=%s", dir) > 0);
  const char *env[] = { home, NULL };
  const char *flags[] = { "monitoring.enabled=true", NULL };
  struct coi_config_load_opts o = { .workspace = dir, .flag_overrides = flags, .env = env, .quiet = true };
  _cleanup_config_ struct coi_config *cfg = NULL;
  assert_int_equal (coi_config_load (&o, &cfg, &err), 0);
  struct coi_health_input in = {
    .client_error = "cannot open the Incus client: test",
    .config = cfg,
    .uid = 4242,
    .gid = 4242,
    .subuid_path = "/nonexistent",
    .subgid_path = "/nonexistent",
    .state_dir = dir,
    .run_dir = dir,
    .container_prefix = "coi-",
    .setup_command = "scripts/coi-up.sh --no-shell",
    .privileged = false,
  };
  assert_int_equal (coi_health_run (&in, &r, &err), 0);
  const struct coi_health_check *c = find (&r, "monitor");
  assert_int_equal (c->status, COI_HEALTH_OK);
  assert_string_equal (c->message, "on (flag monitoring.enabled): the guard's supervisor watches each session's "
                                   "processes, files and network (see guard)");
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
    cmocka_unit_test (test_guard_check),
    cmocka_unit_test (test_monitor_is_the_guards),
  };
  int r = cmocka_run_group_tests (tests, NULL, NULL);
  rmdir (dir);
  return r;
}
