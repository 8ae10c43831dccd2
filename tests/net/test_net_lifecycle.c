/* Lifetime of a session's rules: teardown removes them (and only them), a
 * new container on a reused address inherits nothing, 20 sessions leave the
 * rule count where it was, a SIGINT'd owner tears down, a kill -9'd owner's
 * rules go with `clean --orphans`, and without CAP_NET_ADMIN a filtered
 * mode fails closed before anything is created. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "incus/instance.h"
#include "netpolicy/net.h"
#include "netpolicy/nft.h"
#include "netpolicy/nic.h"
#include "netpolicy/state.h"
#include "nettest.h"
#include "util/cleanup.h"

extern char **environ;

/* Rules of the base chains and of this test's own sessions: other users of
 * the host (a developer's coi) may add and remove theirs meanwhile. */
static int rule_count (void)
{
  _cleanup_nft_ struct coi_nft *n = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *arr = NULL;
  _cleanup_json_ json_t *mine = json_object ();
  if (coi_nft_open (&n, &err) < 0 || coi_nft_list_json (n, nt_list_table (), &arr, &err) < 0)
    fail_msg ("nft: %s", err->msg);
  size_t i;
  json_t *it;
  json_array_foreach (arr, i, it)
  {
    json_t *set = json_object_get (it, "set");
    const char *name = json_string_value (json_object_get (set, "name"));
    const char *comment = json_string_value (json_object_get (set, "comment"));
    if (name && comment && strncmp (name, "sa_", 3) == 0 && strncmp (comment, "coi:coi-test-net-", 17) == 0)
      json_object_set_new (mine, name + 3, json_true ());
  }
  int count = 0;
  json_array_foreach (arr, i, it)
  {
    const char *chain = json_string_value (json_object_get (json_object_get (it, "rule"), "chain"));
    if (chain == NULL)
      continue;
    if (strcmp (chain, "forward") == 0 || strcmp (chain, "input") == 0 || strcmp (chain, "nat_pre") == 0
        || ((chain[0] == 'c' || chain[0] == 'n') && chain[1] == '_' && json_object_get (mine, chain + 2)))
      count++;
  }
  return count;
}

/* Does the session of addr exist (its c_ chain), and who owns it (the
 * comment of its sa_ set)? */
static bool session_chain (const char *addr, char *owner, size_t len)
{
  _cleanup_nft_ struct coi_nft *n = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *arr = NULL;
  uint32_t a;
  char key[16], chain[24], set[24];
  bool found = false;
  assert_true (coi_ipv4_parse (addr, &a));
  snprintf (chain, sizeof chain, "c_%s", coi_ipv4_key (a, key));
  snprintf (set, sizeof set, "sa_%s", key);
  owner[0] = '\0';
  if (coi_nft_open (&n, &err) < 0 || coi_nft_list_json (n, nt_list_table (), &arr, &err) < 0)
    fail_msg ("list: %s", err->msg);
  size_t i;
  json_t *it;
  json_array_foreach (arr, i, it)
  {
    const char *cn = json_string_value (json_object_get (json_object_get (it, "chain"), "name"));
    json_t *s = json_object_get (it, "set");
    const char *sn = json_string_value (json_object_get (s, "name"));
    if (cn && strcmp (cn, chain) == 0)
      found = true;
    if (sn && strcmp (sn, set) == 0)
      snprintf (owner, len, "%s", json_string_value (json_object_get (s, "comment")) ?: "");
  }
  return found;
}

static int setup (void **state)
{
  (void) state;
  return nt_up ();
}

static int teardown (void **state)
{
  (void) state;
  nt_down ();
  return 0;
}

static void expect (const struct nt_ctr *ct, const char *kind, const char *a, const char *b,
                    bool want_ok)
{
  _cleanup_free_ char *v = nt_probe (ct, kind, a, b);
  bool ok = strncmp (v, "ok", 2) == 0;
  printf ("# %s: %s %s %s -> %s\n", ct->name, kind, a, b ? b : "", v);
  if (ok != want_ok)
    fail_msg ("%s %s: got '%s', want %s", kind, a, v, want_ok ? "ok" : "blocked");
}

static void test_teardown_and_reuse (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *restricted = coi_net_policy_new (COI_NET_RESTRICTED);
  _cleanup_net_policy_ struct coi_net_policy *open_p = coi_net_policy_new (COI_NET_OPEN);
  struct nt_ctr a;
  char owner[96];
  int base = rule_count ();

  assert_int_equal (nt_ctr_new (&a, "coi-test-net-life-a", restricted, NULL), 0);
  expect (&a, "tcp", "10.77.0.10", "80", false);
  assert_true (session_chain (a.addr, owner, sizeof owner));
  assert_string_equal (owner, "coi:coi-test-net-life-a");
  assert_true (rule_count () > base);

  /* Teardown while the container still runs: its rules are gone, and so
   * its traffic is no longer filtered (showing the rules were the cause). */
  assert_int_equal (coi_net_teardown (nt_site (), a.name, &err), 0);
  assert_int_equal (coi_net_teardown (nt_site (), a.name, &err), 0); /* idempotent */
  assert_false (session_chain (a.addr, owner, sizeof owner));
  assert_int_equal (rule_count (), base);
  expect (&a, "tcp", "10.77.0.10", "80", true);

  /* Leak A's rules (as a crash would), lose its reservation, delete A,
   * and give its address to B. */
  assert_int_equal (coi_net_apply (a.s, &err), 0);
  expect (&a, "tcp", "10.77.0.10", "80", false);
  char addr[16];
  strcpy (addr, a.addr);
  assert_int_equal (incus_instance_force_delete (nt_client (), a.name, &err), 0);
  uint32_t ip;
  assert_true (coi_ipv4_parse (addr, &ip));
  assert_int_equal (coi_net_release (nt_site (), ip, a.name, &err), 0);
  assert_true (session_chain (addr, owner, sizeof owner));

  /* B is made with A's address, then attached (as a resumed session is). */
  struct coi_net_bridge br = { 0 };
  _cleanup_json_ json_t *body = nt_create_body ("coi-test-net-life-b");
  assert_int_equal (coi_net_bridge_lookup (nt_client (), body, &br, &err), 0);
  char hn[16];
  coi_net_host_name ("coi-test-net-life-b", hn);
  assert_int_equal (coi_net_nic_apply_to_body (body, &br, ip, hn, &err), 0);
  coi_net_bridge_clear (&br);
  assert_int_equal (incus_instance_create (nt_client (), body, &err), 0);
  struct nt_ctr b = { 0 };
  strcpy (b.name, "coi-test-net-life-b");
  strcpy (b.addr, addr);
  if (coi_net_attach (nt_client (), nt_site (), open_p, b.name, &b.s, &err) < 0)
    fail_msg ("attach: %s", err->msg);
  assert_int_equal (coi_net_apply (b.s, &err), 0);
  /* Open mode on a reused address: A's leftovers are gone, not inherited. */
  assert_false (session_chain (addr, owner, sizeof owner));
  assert_int_equal (nt_ctr_start (&b), 0);
  expect (&b, "tcp", "10.77.0.10", "80", true);
  nt_ctr_free (&b);
  coi_net_session_free (a.s); /* A is deleted; its reservation was released */
  memset (&a, 0, sizeof a);
  assert_int_equal (rule_count (), base);
}

static void test_twenty_sessions (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (COI_NET_ALLOWLIST);
  assert_int_equal (coi_net_policy_add_entry (p, "api.allowed.test:443", &err), 0);
  assert_int_equal (coi_net_policy_add_entry (p, "198.51.100.0/28", &err), 0);
  int before = rule_count ();
  double apply_ms = 0, teardown_ms = 0, prepare_ms = 0, max_apply = 0;
  for (int i = 0; i < 20; i++)
    {
      char name[64];
      snprintf (name, sizeof name, "coi-test-net-cycle-%d", i);
      _cleanup_json_ json_t *body = nt_create_body (name);
      _cleanup_net_session_ struct coi_net_session *s = NULL;
      double t0 = nt_now_ms ();
      if (coi_net_prepare (nt_client (), nt_site (), p, name, body, &s, &err) < 0)
        fail_msg ("prepare: %s", err->msg);
      double t1 = nt_now_ms ();
      assert_int_equal (incus_instance_create (nt_client (), body, &err), 0);
      double t2 = nt_now_ms ();
      assert_int_equal (coi_net_apply (s, &err), 0);
      double t3 = nt_now_ms ();
      assert_int_equal (incus_instance_delete (nt_client (), name, &err), 0);
      double t4 = nt_now_ms ();
      assert_int_equal (coi_net_teardown (nt_site (), name, &err), 0);
      double t5 = nt_now_ms ();
      prepare_ms += t1 - t0;
      apply_ms += t3 - t2;
      teardown_ms += t5 - t4;
      if (t3 - t2 > max_apply)
        max_apply = t3 - t2;
    }
  int after = rule_count ();
  printf ("# 20 sessions: rules before %d after %d; mean prepare %.2f ms, apply %.2f ms (max %.2f), "
          "teardown %.2f ms\n",
          before, after, prepare_ms / 20, apply_ms / 20, max_apply, teardown_ms / 20);
  assert_int_equal (before, after);
}

/* A session owner: prepare, create, apply, start; then wait for a signal.
 * With handle_sigint it tears down on SIGINT, as the launch path does. */
static void owner_main (const char *name, int ready_fd, bool handle_sigint)
{
  _cleanup_error_ coi_error_t err = NULL;
  struct coi_net_policy *p = coi_net_policy_new (COI_NET_RESTRICTED);
  struct incus_client *c = NULL;
  _cleanup_json_ json_t *body = nt_create_body (name);
  struct coi_net_session *s = NULL;
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigprocmask (SIG_BLOCK, &set, NULL);
  if (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err) < 0 || coi_net_prepare (c, nt_site (), p, name, body, &s, &err) < 0
      || incus_instance_create (c, body, &err) < 0 || coi_net_apply (s, &err) < 0)
    _exit (3);
  if (write (ready_fd, "r", 1) != 1)
    _exit (4);
  int sig;
  sigwait (&set, &sig);
  if (handle_sigint && coi_net_teardown (nt_site (), name, &err) < 0)
    _exit (5);
  _exit (0);
}

static pid_t start_owner (const char *name, bool handle_sigint)
{
  int p[2];
  assert_int_equal (pipe (p), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (p[0]);
      owner_main (name, p[1], handle_sigint);
    }
  close (p[1]);
  char c;
  ssize_t n = read (p[0], &c, 1);
  close (p[0]);
  assert_int_equal (n, 1);
  return pid;
}

static void test_sigint_and_kill9 (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  int base = rule_count ();

  pid_t pid = start_owner ("coi-test-net-sig", true);
  assert_true (rule_count () > base);
  kill (pid, SIGINT);
  int st;
  waitpid (pid, &st, 0);
  assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
  assert_int_equal (rule_count (), base);
  assert_int_equal (incus_instance_force_delete (nt_client (), "coi-test-net-sig", &err), 0);

  pid = start_owner ("coi-test-net-kill", false);
  int during = rule_count ();
  assert_true (during > base);
  kill (pid, SIGKILL);
  waitpid (pid, &st, 0);
  /* The owner is gone but its container still exists: not an orphan yet. */
  assert_true (coi_net_clean_orphans (nt_client (), nt_site (), &err) >= 0);
  assert_int_equal (rule_count (), during);
  assert_int_equal (incus_instance_force_delete (nt_client (), "coi-test-net-kill", &err), 0);
  int removed = coi_net_clean_orphans (nt_client (), nt_site (), &err);
  printf ("# clean --orphans removed %d session(s)\n", removed);
  assert_true (removed >= 1);
  assert_int_equal (rule_count (), base);
  assert_int_equal (coi_net_teardown (nt_site (), "coi-test-net-kill", &err), 0); /* its reservation */
}

static void test_fail_closed_unprivileged (void **state)
{
  (void) state;
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      _cleanup_error_ coi_error_t err = NULL;
      /* nobody, and no capabilities kept across the switch */
      if (setgroups (0, NULL) < 0 || setresgid (65534, 65534, 65534) < 0
          || setresuid (65534, 65534, 65534) < 0)
        _exit (10);
      struct coi_net_policy *p = coi_net_policy_new (COI_NET_RESTRICTED);
      json_t *body = json_object ();
      struct coi_net_session *s = NULL;
      int r = coi_net_prepare (NULL, nt_site (), p, "coi-test-net-unpriv", body, &s, &err);
      if (r == 0)
        _exit (11);
      printf ("# unprivileged: %s (hint: %s)\n", err->msg, err->hint ? err->hint : "");
      if (strstr (err->msg, "CAP_NET_ADMIN") == NULL || strstr (err->msg, "refusing") == NULL
          || json_object_size (body) != 0)
        _exit (12);
      _exit (0);
    }
  int st;
  waitpid (pid, &st, 0);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
}

/* Eight processes prepare at once (released together from a pipe): each
 * gets its own address. */
static void test_concurrent_prepare (void **state)
{
  (void) state;
  enum { N = 8 };
  int go[2], res[2];
  assert_int_equal (pipe (go), 0);
  assert_int_equal (pipe (res), 0);
  pid_t pids[N];
  for (int i = 0; i < N; i++)
    {
      pids[i] = fork ();
      assert_true (pids[i] >= 0);
      if (pids[i] == 0)
        {
          _cleanup_error_ coi_error_t err = NULL;
          struct incus_client *c = NULL;
          struct coi_net_session *s = NULL;
          char name[64], c1;
          snprintf (name, sizeof name, "coi-test-net-conc-%d", i);
          json_t *body = nt_create_body (name);
          struct coi_net_policy *p = coi_net_policy_new (COI_NET_RESTRICTED);
          close (go[1]);
          if (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err) < 0 || read (go[0], &c1, 1) != 0)
            _exit (3);
          uint32_t a[2] = { (uint32_t) i, 0 };
          if (coi_net_prepare (c, nt_site (), p, name, body, &s, &err) == 0)
            a[1] = coi_net_session_target (s)->addr;
          _exit (write (res[1], a, sizeof a) == sizeof a ? 0 : 4);
        }
    }
  close (go[0]);
  close (go[1]); /* EOF releases them all at once */
  close (res[1]);
  uint32_t addrs[N] = { 0 };
  for (int i = 0; i < N; i++)
    {
      uint32_t a[2];
      assert_int_equal (read (res[0], a, sizeof a), sizeof a);
      assert_true (a[0] < N && a[1] != 0);
      addrs[a[0]] = a[1];
    }
  for (int i = 0; i < N; i++)
    for (int j = 0; j < i; j++)
      assert_true (addrs[i] != addrs[j]);
  close (res[0]);
  for (int i = 0; i < N; i++)
    {
      int st;
      waitpid (pids[i], &st, 0);
      assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
      char name[64], owner[80];
      _cleanup_error_ coi_error_t err = NULL;
      snprintf (name, sizeof name, "coi-test-net-conc-%d", i);
      assert_int_equal (coi_net_reservation_owner (nt_site (), addrs[i], owner, sizeof owner, NULL), 1);
      assert_string_equal (owner, name);
      assert_int_equal (coi_net_teardown (nt_site (), name, &err), 0);
      assert_int_equal (coi_net_reservation_owner (nt_site (), addrs[i], owner, sizeof owner, NULL), 0);
    }
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_teardown_and_reuse),
    cmocka_unit_test (test_twenty_sessions),
    cmocka_unit_test (test_sigint_and_kill9),
    cmocka_unit_test (test_fail_closed_unprivileged),
    cmocka_unit_test (test_concurrent_prepare),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
