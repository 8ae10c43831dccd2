/* Restricted mode is no DNS tunnel: a real container, a real supervisor
 * (`coi __supervise`, which hosts the session's DNS filter) and the netns
 * test DNS server, which records every name it receives.
 *   - open mode first: a 60-character high-entropy label and a burst of 200
 *     new names under one domain all reach the server (so the checks below
 *     can fail);
 *   - restricted: the same label is refused and never reaches the server,
 *     and is a high `dns-tunnel` finding in the audit log; a normal lookup
 *     works and is a `dns` line in network.log; the burst is answered up to
 *     the unique-subdomain threshold, then refused (a `dns-tunnel` finding,
 *     and the rate cap's `dns-rate` warning once the budget is spent); a
 *     name already answered still resolves; without the filter names fail
 *     closed;
 *   - [monitoring.nft] dns_query_threshold = 20 and log_dns_queries = false:
 *     40 new names under 40 domains, the first 20 answered, then `dns-rate`;
 *     no `dns` line in network.log.
 * Usage: test_net_dns_guard PATH/TO/coi  (root, incusd, netns test hosts). */
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
#include "netpolicy/policy_json.h"
#include "nettest.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define CTR "coi-test-net-dnsguard"
/* 60 characters of base32 (random bytes): what a tunnel's label looks like. */
#define DATA_LABEL "cadzfdv5etmwcjwbljty3uggabd6sgbfm5ej5wspmhopvxd2sdbw7uxi2paj"
#define DATA_NAME DATA_LABEL ".attacker.test"
/* The filter's default: new names under one domain a minute (dns_guard.h). */
#define SUBDOMAINS 50

static const char *coi_bin;
static char tmp[64], home[96], log_path[160], audit_path[192], spec_path[128], sup_log[256];

static char *slurp (const char *path)
{
  char *data = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_read_file (path, 16 << 20, &data, NULL, &err) < 0)
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

/* A supervisor as the guard would start it: the policy applied, the
 * suite's network site, the launcher's DNS settings. */
static pid_t supervise (const struct coi_net_policy *p, unsigned group, int threshold, bool log_queries)
{
  struct coi_guard_spec s;
  coi_guard_spec_init (&s);
  s.container = strdup (CTR);
  s.network_mode = strdup (coi_net_mode_name (p->mode));
  s.log_group = (int) group;
  s.log_path = strdup (log_path);
  s.started_at = time (NULL);
  s.policy = coi_net_policy_to_json (p);
  s.has_site = true;
  s.site = *nt_site ();
  s.dns_query_threshold = threshold;
  s.log_dns_queries = log_queries;
  _cleanup_error_ coi_error_t err = NULL;
  pid_t pid = 0;
  if (coi_guard_spec_save (spec_path, &s, &err) < 0 || coi_supervisor_spawn (coi_bin, spec_path, -1, &pid, &err) < 0)
    fail_msg ("supervisor: %s", err->msg);
  coi_guard_spec_clear (&s);
  return pid;
}

static void stop (pid_t pid)
{
  kill (pid, SIGTERM);
  for (int i = 0; i < 100 && kill (pid, 0) == 0; i++)
    usleep (50000);
  assert_int_not_equal (kill (pid, 0), 0);
  assert_int_equal (count (sup_log, "Sanitizer", NULL) + count (sup_log, "runtime error:", NULL), 0);
}

static void expect (const struct nt_ctr *ct, const char *kind, const char *a, const char *b, const char *want)
{
  _cleanup_free_ char *v = nt_probe (ct, kind, a, b);
  printf ("# %s %s %s -> %s\n", kind, a, b ? b : "", v);
  if (strncmp (v, want, strlen (want)) != 0)
    fail_msg ("%s %s %s: got '%s', want '%s'", kind, a, b ? b : "", v, want);
}

struct burst
{
  int ok, refused, other, first_refused;
  char first[128];
};

static struct burst burst (const struct nt_ctr *ct, const char *suffix, int n)
{
  char num[16];
  snprintf (num, sizeof num, "%d", n);
  _cleanup_free_ char *out = NULL;
  int rc = -1;
  double t0 = nt_now_ms ();
  if (nt_exec (ct->name, (const char *const[]){ "/usr/local/bin/coi-probe", "dnsburst", NT_DNS, suffix, num, NULL },
               &out, &rc)
      < 0)
    fail_msg ("dnsburst: exec failed");
  struct burst b = { 0 };
  if (sscanf (out, "ok=%d refused=%d other=%d first_refused=%d first=%127s", &b.ok, &b.refused, &b.other,
              &b.first_refused, b.first)
      != 5)
    fail_msg ("dnsburst: '%s'", out);
  printf ("# dnsburst %s x%d -> %s (%.0f ms)\n", suffix, n, out, nt_now_ms () - t0);
  return b;
}

/* Names under suffix the test DNS server received. */
static int server_saw_under (const char *suffix)
{
  return count (nt_dns_log (), suffix, NULL);
}

static void print_tail (const char *what, const char *path, const char *filter, int max)
{
  _cleanup_free_ char *text = slurp (path);
  int n = 0;
  for (char *line = strtok (text, "\n"); line && n < max; line = strtok (NULL, "\n"))
    if (filter == NULL || strstr (line, filter))
      {
        printf ("# %s: %.300s\n", what, line);
        n++;
      }
}

static void test_dns_guard (void **state)
{
  (void) state;
  struct nt_ctr ct;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (COI_NET_RESTRICTED);
  p->logging = true;
  assert_int_equal (coi_net_policy_add_dns_server (p, NT_DNS, &err), 0);
  assert_int_equal (nt_ctr_new (&ct, CTR, p, NULL), 0);
  unsigned group = coi_net_session_target (ct.s)->log_group;

  /* Open mode: the tunnel's names reach the server. */
  _cleanup_net_policy_ struct coi_net_policy *o = coi_net_policy_new (COI_NET_OPEN);
  if (coi_net_apply_policy (ct.s, o, &err) < 0)
    fail_msg ("open: %s", err->msg);
  nt_dns_log_clear ();
  expect (&ct, "dns", NT_DNS, DATA_NAME, "ok 198.51.100.66");
  assert_true (nt_dns_saw (DATA_NAME));
  struct burst b = burst (&ct, "exfil.test", 200);
  assert_int_equal (b.ok, 200);
  assert_int_equal (server_saw_under (".exfil.test"), 200);

  /* Restricted, guarded by a supervisor with the default thresholds. */
  if (coi_net_apply_policy (ct.s, p, &err) < 0)
    fail_msg ("restricted: %s", err->msg);
  nt_dns_log_clear ();
  pid_t sup = supervise (p, group, 100, true);

  /* The data-like label: refused, never forwarded, a high finding. */
  expect (&ct, "dns", NT_DNS, DATA_NAME, "rcode=5");
  assert_false (nt_dns_saw (DATA_NAME));
  assert_int_equal (wait_line (audit_path, "\"rule\":\"dns-tunnel\"", DATA_LABEL, 5000), 1);
  assert_int_equal (count (audit_path, "\"rule\":\"dns-tunnel\"", "\"level\":\"high\""), 1);
  assert_int_equal (wait_line (log_path, " " CTR " dns name=" DATA_NAME " qtype=A verdict=tunnel", NULL, 5000), 1);

  /* A normal name resolves (through the filter, to the upstream) and is logged. */
  expect (&ct, "dns", NT_DNS, "api.allowed.test", "ok 198.51.100.10");
  assert_true (nt_dns_saw ("api.allowed.test"));
  assert_int_equal (wait_line (log_path, " " CTR " dns name=api.allowed.test qtype=A verdict=allow", NULL, 5000), 1);

  /* 200 new names under one domain: the first SUBDOMAINS are answered. */
  b = burst (&ct, "exfil.test", 200);
  assert_int_equal (b.ok, SUBDOMAINS);
  assert_int_equal (b.refused, 200 - SUBDOMAINS);
  assert_int_equal (b.first_refused, SUBDOMAINS + 1);
  assert_int_equal (server_saw_under (".exfil.test"), SUBDOMAINS);
  assert_int_equal (wait_line (audit_path, "\"rule\":\"dns-tunnel\"", "\"domain\":\"exfil.test\"", 5000), 1);
  /* The session's budget of new names (100 a minute) is spent on the way. */
  assert_int_equal (wait_line (audit_path, "\"rule\":\"dns-rate\"", "\"level\":\"warning\"", 5000), 1);
  /* Names already answered cost nothing: the container's own resolver
   * (resolv.conf names the gateway) still gets them. */
  _cleanup_free_ char *out = NULL;
  int rc = -1;
  assert_int_equal (nt_exec (ct.name, (const char *const[]){ "getent", "hosts", "api.allowed.test", NULL }, &out, &rc), 0);
  printf ("# getent hosts api.allowed.test -> %s (rc %d)\n", out, rc);
  assert_non_null (strstr (out, "198.51.100.10"));
  print_tail ("audit", audit_path, "\"type\":\"threat\"", 4);
  print_tail ("network.log", log_path, " dns ", 6);
  stop (sup);
  /* Without the filter names fail closed: port 53 still leads to it. */
  expect (&ct, "dns", NT_DNS, "api.allowed.test", "refused");

  /* The thresholds are the launcher's (from [monitoring.nft]): 20 new
     names a minute, no query log. */
  int dns_lines = count (log_path, " dns ", NULL);
  int rate_findings = count (audit_path, "\"rule\":\"dns-rate\"", NULL);
  sup = supervise (p, group, 20, false);
  b = burst (&ct, "test", 40); /* LABEL.test: 40 different domains */
  assert_int_equal (b.ok, 20);
  assert_int_equal (b.first_refused, 21);
  assert_int_equal (b.refused, 20);
  assert_true (wait_line (audit_path, "\"rule\":\"dns-rate\"", NULL, 5000) > rate_findings);
  assert_int_equal (count (audit_path, "\"rule\":\"dns-tunnel\"", "\"domain\":\"test\""), 0);
  /* The first name was answered: asking again is free (NXDOMAIN from the server). */
  expect (&ct, "dns", NT_DNS, b.first, "rcode=3");
  usleep (300000);
  assert_int_equal (count (log_path, " dns ", NULL), dns_lines);
  stop (sup);
  nt_ctr_free (&ct);
}

static int setup (void **state)
{
  (void) state;
  snprintf (tmp, sizeof tmp, "/tmp/coi-net-dnsguard-XXXXXX");
  if (mkdtemp (tmp) == NULL)
    return -1;
  char run[96];
  snprintf (home, sizeof home, "%s/home", tmp);
  snprintf (run, sizeof run, "%s/run", tmp);
  if (mkdir (home, 0700) < 0 || mkdir (run, 0700) < 0)
    return -1;
  /* The supervisor inherits these: config, audit log and run files stay here. */
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
    cmocka_unit_test (test_dns_guard),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
