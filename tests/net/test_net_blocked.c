/* Blocked attempts are visible: a real container in a restricted session,
 * its rejects logged to the session's nflog group, read by a real
 * supervisor (`coi __supervise`, started as the launcher does): a TCP
 * connect to the LAN host and to the metadata address each give a
 * network.log line naming the container, destination and port, and a
 * finding in ~/.coi/audit/<container>.jsonl; an allowed destination gives
 * neither.  In open mode the same connect succeeds and nothing is logged.
 * Usage: test_net_blocked PATH/TO/coi  (root, incusd, netns test hosts). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/guard_spec.h"
#include "monitor/supervisor.h"
#include "netpolicy/net.h"
#include "netpolicy/netlog.h"
#include "netpolicy/nflog.h"
#include "nettest.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define CTR "coi-test-net-nflog"

static const char *coi_bin;
static char tmp[64], log_path[128], audit_path[160], spec_path[128];

static char *slurp (const char *path)
{
  char *data = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_read_file (path, 4 << 20, &data, NULL, &err) < 0)
    return strdup ("");
  return data;
}

static int count (const char *path, const char *a, const char *b)
{
  _cleanup_free_ char *text = slurp (path);
  int n = 0;
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    n += strstr (line, a) != NULL && (b == NULL || strstr (line, b) != NULL);
  return n;
}

/* Wait up to ms for a line of path holding a (and b); the count then. */
static int wait_line (const char *path, const char *a, const char *b, int ms)
{
  for (int i = 0; i < ms / 50; i++)
    {
      int n = count (path, a, b);
      if (n > 0)
        return n;
      usleep (50000);
    }
  return count (path, a, b);
}

/* Is nflog group g bound by some socket (the kernel's own list)? */
static bool group_bound (unsigned g)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/net/netfilter/nfnetlink_log", "re");
  unsigned n;
  char line[256];
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "%u", &n) == 1 && n == g)
      return true;
  return false;
}

static pid_t supervise (const char *mode, unsigned group)
{
  struct coi_guard_spec s;
  coi_guard_spec_init (&s);
  s.container = strdup (CTR);
  s.network_mode = strdup (mode);
  s.log_group = (int) group;
  s.log_path = strdup (log_path);
  s.started_at = time (NULL);
  _cleanup_error_ coi_error_t err = NULL;
  pid_t pid = 0;
  if (coi_guard_spec_save (spec_path, &s, &err) < 0 || coi_supervisor_spawn (coi_bin, spec_path, -1, &pid, &err) < 0)
    fail_msg ("supervisor: %s", err->msg);
  coi_guard_spec_clear (&s);
  return pid;
}

static char sup_log[256];

static void stop (pid_t pid)
{
  kill (pid, SIGTERM);
  for (int i = 0; i < 100 && kill (pid, 0) == 0; i++)
    usleep (50000);
  assert_int_not_equal (kill (pid, 0), 0);
  /* Under ASan the supervisor's reports land in its log, not in our exit code. */
  assert_int_equal (count (sup_log, "Sanitizer", NULL) + count (sup_log, "runtime error:", NULL), 0);
}

static void probe_blocked (const struct nt_ctr *c, const char *kind, const char *a, const char *b)
{
  _cleanup_free_ char *v = nt_probe (c, kind, a, b);
  printf ("# %s %s %s -> %s\n", kind, a, b ? b : "", v);
  if (strncmp (v, "unreach", 7) != 0 && strncmp (v, "timeout", 7) != 0)
    fail_msg ("%s %s:%s not blocked: %s", kind, a, b ? b : "", v);
}

static void test_restricted_then_open (void **state)
{
  (void) state;
  struct nt_ctr ct;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (COI_NET_RESTRICTED);
  p->logging = true;
  assert_int_equal (nt_ctr_new (&ct, CTR, p, NULL), 0);
  unsigned group = coi_net_session_target (ct.s)->log_group;
  printf ("# %s at %s logs to nflog group %u\n", CTR, ct.addr, group);
  assert_true (group > 7300);
  assert_false (group_bound (group));

  pid_t sup = supervise ("restricted", group);
  assert_int_equal (wait_line (audit_path, "\"event\":\"nflog\"", "\"bound\":true", 5000), 1);
  assert_true (group_bound (group));
  {
    /* One reader per group: a second bind is refused, and says why. */
    _cleanup_error_ coi_error_t err = NULL;
    int fd = -1;
    assert_int_equal (coi_nflog_open ((uint16_t) group, &fd, &err), -1);
    assert_non_null (strstr (err->msg, "bound by another process"));
  }
  assert_int_equal (count (log_path, CTR " blocked", NULL), 0);

  /* The LAN host: blocked, logged, a high finding (recorded and alerted:
   * monitoring is off, so nothing is paused). */
  double t0 = nt_now_ms ();
  probe_blocked (&ct, "tcp", "10.77.0.10", "80");
  double t1 = nt_now_ms ();
  assert_int_equal (wait_line (log_path, " " CTR " blocked reason=private proto=tcp dst=10.77.0.10:80", NULL, 5000), 1);
  printf ("# probe (exec + connect) %.0f ms, then the line after %.0f ms (polled every 50 ms)\n", t1 - t0,
          nt_now_ms () - t1);
  assert_int_equal (wait_line (audit_path, "\"rule\":\"blocked-private\"", "\"remote_host\":\"10.77.0.10:80\"", 5000), 1);
  assert_int_equal (count (audit_path, "\"rule\":\"blocked-private\"", "\"level\":\"high\""), 1);
  assert_int_equal (count (audit_path, "\"rule\":\"blocked-private\"", "\"action\":\"alerted\""), 1);
  {
    _cleanup_free_ char *audit = slurp (audit_path);
    char *t = strstr (audit, "\"type\":\"threat\"");
    char *end = t ? strchr (t, '\n') : NULL;
    if (end)
      *end = '\0';
    printf ("# audit: ...%s\n", t ? t : "(none)");
  }

  /* The metadata endpoint: critical. */
  probe_blocked (&ct, "tcp", "169.254.169.254", "80");
  assert_int_equal (wait_line (log_path, " " CTR " blocked reason=metadata proto=tcp dst=169.254.169.254:80", NULL, 5000), 1);
  assert_int_equal (wait_line (audit_path, "\"rule\":\"metadata\"", "\"level\":\"critical\"", 5000), 1);

  /* An allowed destination: no line, no finding. */
  _cleanup_free_ char *ok = nt_probe (&ct, "tcp", "198.51.100.13", "80");
  assert_int_equal (strncmp (ok, "ok", 2), 0);
  usleep (500000);
  assert_int_equal (count (log_path, "198.51.100.13", NULL), 0);
  assert_int_equal (count (audit_path, "198.51.100.13", NULL), 0);
  /* A flood to one destination: every datagram is counted, a few lines. */
  char *out = NULL;
  int rc = -1;
  double f0 = nt_now_ms ();
  assert_int_equal (nt_exec (CTR, (const char *const[]){ "bash", "-c",
                                                          "for i in $(seq 1 2000); do echo x 2>/dev/null "
                                                          ">/dev/udp/10.77.0.10/9999; done; true",
                                                          NULL },
                             &out, &rc),
                    0);
  free (out);
  printf ("# flood: 2000 datagrams in %.0f ms\n", nt_now_ms () - f0);
  /* The window's count comes with the supervisor's next sweep (1 s ticks). */
  assert_int_equal (wait_line (log_path, "suppressed count=", "dst=10.77.0.10:9999", 3000), 1);
  stop (sup);
  assert_false (group_bound (group));
  int blocked = count (log_path, "blocked reason=private proto=udp dst=10.77.0.10:9999", NULL);
  int flines = 0, total = blocked;
  {
    _cleanup_free_ char *all = slurp (log_path);
    for (char *line = strtok (all, "\n"); line; line = strtok (NULL, "\n"))
      {
        unsigned n;
        char *sup_at = strstr (line, " suppressed count=");
        if (sup_at && strstr (line, "dst=10.77.0.10:9999") && sscanf (sup_at, " suppressed count=%u", &n) == 1)
          {
            total += (int) n;
            flines++;
          }
      }
  }
  printf ("# flood: %d blocked + %d suppressed lines account for %d datagrams\n", blocked, flines, total);
  assert_true (blocked >= 1 && blocked <= COI_NETLOG_PER_DEST);
  assert_true (flines >= 1 && flines <= 3);
  assert_true (total >= 1990 && total <= 2000);
  _cleanup_free_ char *text = slurp (log_path);
  for (char *line = strtok (text, "\n"); line; line = strtok (NULL, "\n"))
    printf ("# network.log: %s\n", line);

  /* Open mode on the same container: the same connect succeeds, and
   * neither the firewall nor the supervisor logs anything. */
  _cleanup_net_policy_ struct coi_net_policy *o = coi_net_policy_new (COI_NET_OPEN);
  o->logging = true;
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_net_apply_policy (ct.s, o, &err) < 0)
    fail_msg ("open: %s", err->msg);
  int lines = count (log_path, CTR, NULL), threats = count (audit_path, "\"type\":\"threat\"", NULL);
  sup = supervise ("open", group);
  _cleanup_free_ char *lan = nt_probe (&ct, "tcp", "10.77.0.10", "80");
  printf ("# open: tcp 10.77.0.10 80 -> %s\n", lan);
  assert_int_equal (strncmp (lan, "ok", 2), 0);
  usleep (500000);
  assert_false (group_bound (group));
  assert_int_equal (count (log_path, CTR, NULL), lines);
  assert_int_equal (count (audit_path, "\"type\":\"threat\"", NULL), threats);
  assert_int_equal (count (audit_path, "\"event\":\"nflog\"", NULL), 1); /* only the restricted run's */
  stop (sup);
  nt_ctr_free (&ct);
}

static int setup (void **state)
{
  (void) state;
  snprintf (tmp, sizeof tmp, "/tmp/coi-net-blocked-XXXXXX");
  if (mkdtemp (tmp) == NULL)
    return -1;
  char home[96], run[96];
  snprintf (home, sizeof home, "%s/home", tmp);
  snprintf (run, sizeof run, "%s/run", tmp);
  if (mkdir (home, 0700) < 0 || mkdir (run, 0700) < 0)
    return -1;
  /* The supervisor inherits these: its audit log and run files stay here. */
  setenv ("HOME", home, 1);
  setenv ("COI_RUN_DIR", run, 1);
  snprintf (log_path, sizeof log_path, "%s/.coi/logs/network.log", home);
  snprintf (audit_path, sizeof audit_path, "%s/.coi/audit/" CTR ".jsonl", home);
  snprintf (spec_path, sizeof spec_path, "%s/spec.json", tmp);
  snprintf (sup_log, sizeof sup_log, "%s/" CTR ".supervisor.log", run);
  return nt_up ();
}

static int teardown (void **state)
{
  (void) state;
  nt_down ();
  const char *const rm[] = { "rm", "-rf", tmp, NULL };
  nt_run (rm);
  return 0;
}

int main (int argc, char **argv)
{
  if (argc != 2)
    {
      fprintf (stderr, "usage: %s PATH/TO/coi\n", argv[0]);
      return 2;
    }
  static char bin[4096];
  if (realpath (argv[1], bin) == NULL) /* the supervisor starts from / */
    {
      perror (argv[1]);
      return 2;
    }
  coi_bin = bin;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_restricted_then_open),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
