/* What the NIC plan itself guarantees, whatever the mode: containers on
 * the bridge cannot reach each other (port isolation), and IPv6 is off,
 * inside (sysctl) and on the host (Incus' ipv6_filtering drops it at the
 * veth).  Each block is shown against a control pair made without that
 * protection, on which the same traffic gets through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "incus/instance.h"
#include "netpolicy/net.h"
#include "nettest.h"
#include "util/cleanup.h"

static struct nt_ctr a, b, c, d; /* a, b: the plan; c, d: controls */
static struct coi_net_policy *open_p;

static void unprotect (json_t *body)
{
  json_t *nic = json_object_get (json_object_get (body, "devices"), "eth0");
  json_object_set_new (nic, "security.port_isolation", json_string ("false"));
  json_object_set_new (nic, "security.ipv6_filtering", json_string ("false"));
}

static int setup (void **state)
{
  (void) state;
  if (nt_up () < 0)
    return -1;
  open_p = coi_net_policy_new (COI_NET_OPEN);
  if (nt_ctr_new (&a, "coi-test-net-iso-a", open_p, NULL) < 0
      || nt_ctr_new (&b, "coi-test-net-iso-b", open_p, NULL) < 0
      || nt_ctr_new (&c, "coi-test-net-iso-c", open_p, unprotect) < 0
      || nt_ctr_new (&d, "coi-test-net-iso-d", open_p, unprotect) < 0)
    return -1;
  return 0;
}

static int teardown (void **state)
{
  (void) state;
  nt_ctr_free (&a);
  nt_ctr_free (&b);
  nt_ctr_free (&c);
  nt_ctr_free (&d);
  coi_net_policy_free (open_p);
  nt_down ();
  return 0;
}

static void expect (const struct nt_ctr *ct, const char *kind, const char *x, const char *y,
                    const char *want)
{
  _cleanup_free_ char *v = nt_probe (ct, kind, x, y);
  printf ("# %s: %s %s %s -> %s\n", ct->name, kind, x, y ? y : "", v);
  if (strncmp (v, want, strlen (want)) != 0)
    fail_msg ("%s %s %s: got '%s', want '%s'", ct->name, kind, x, v, want);
}

static void test_port_isolation (void **state)
{
  (void) state;
  /* Control: unisolated neighbours answer ICMP, and UDP to a closed port
   * comes back as "refused", so the packets arrived. */
  expect (&c, "icmp", d.addr, NULL, "ok");
  expect (&c, "udp", d.addr, "9", "refused");
  /* Two isolated ports: nothing gets through, not even an error. */
  expect (&a, "icmp", b.addr, NULL, "timeout");
  expect (&a, "udp", b.addr, "9", "timeout");
  expect (&b, "icmp", a.addr, NULL, "timeout");
}

/* The image's networkd turns link-local addressing off, so add one. */
static void enable_ipv6 (const struct nt_ctr *ct, const char *ll)
{
  char *out = NULL, cmd[256];
  int rc = -1;
  snprintf (cmd, sizeof cmd,
            "echo 0 > /proc/sys/net/ipv6/conf/eth0/disable_ipv6 && ip -6 addr add %s/64 dev eth0 nodad",
            ll);
  assert_int_equal (nt_exec (ct->name, (const char *const[]){ "sh", "-c", cmd, NULL }, &out, &rc), 0);
  free (out);
  assert_int_equal (rc, 0);
}

static void test_ipv6 (void **state)
{
  (void) state;
  char *out = NULL;
  int rc = -1;
  assert_int_equal (nt_exec (a.name, (const char *const[]){ "cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6", NULL },
                             &out, &rc), 0);
  assert_string_equal (out, "1");
  free (out);
  /* Even a container that switches IPv6 back on (root inside can) gets no
   * IPv6 past its veth, while the control pair talks IPv6 link-local. */
  enable_ipv6 (&a, "fe80::c01:a");
  enable_ipv6 (&c, "fe80::c01:c");
  enable_ipv6 (&d, "fe80::c01:d");
  expect (&c, "icmp6", "eth0", NULL, "ok fe80:");
  expect (&a, "icmp6", "eth0", NULL, "timeout");
  /* a (isolated) and d (not) may talk IPv4: the IPv6 block is the only reason above. */
  expect (&a, "icmp", d.addr, NULL, "ok");
}

static void test_plan_in_instance (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *inst = NULL;
  assert_int_equal (incus_instance_get (nt_client (), a.name, &inst, &err), 0);
  json_t *nic = json_object_get (json_object_get (inst, "devices"), "eth0");
  assert_string_equal (json_string_value (json_object_get (nic, "ipv4.address")), a.addr);
  assert_string_equal (json_string_value (json_object_get (nic, "host_name")),
                       coi_net_session_host_name (a.s));
  assert_true (strlen (coi_net_session_host_name (a.s)) <= 15);
  const char *keys[] = { "security.ipv4_filtering", "security.ipv6_filtering", "security.mac_filtering",
                         "security.port_isolation" };
  for (size_t i = 0; i < 4; i++)
    assert_string_equal (json_string_value (json_object_get (nic, keys[i])), "true");
  /* Two sessions never share an address. */
  assert_string_not_equal (a.addr, b.addr);
  assert_string_not_equal (a.addr, c.addr);
  assert_string_not_equal (b.addr, d.addr);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_plan_in_instance),
    cmocka_unit_test (test_port_isolation),
    cmocka_unit_test (test_ipv6),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
