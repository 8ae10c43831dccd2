/* The pure parts of network isolation, without root or Incus: the policy
 * parser, name matching, the nft text, DNS message handling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "netpolicy/dns_filter.h"
#include "netpolicy/dns_msg.h"
#include "netpolicy/net.h"
#include "netpolicy/nic.h"
#include "netpolicy/policy.h"
#include "netpolicy/render.h"
#include "util/cleanup.h"

static void test_entries (void **state)
{
  (void) state;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (COI_NET_ALLOWLIST);
  const char *good[] = { "api.example.com", "API.Example.COM.", "*.cdn.example.com:443",
                         "198.51.100.7", "198.51.100.0/24:80,8000-8100,8050-8200", "h:1-65535" };
  const char *bad[] = { "*.com", "a..b", "exa mple.com", "1.2.3.4/33", "198.51.100.5/24", "h:0",
                        "h:70000", "h:443-80", "", "*.", "1.2.3.4:", "x;flush ruleset" };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    {
      _cleanup_error_ coi_error_t err = NULL;
      if (coi_net_policy_add_entry (p, good[i], &err) < 0)
        fail_msg ("'%s' refused: %s", good[i], err->msg);
    }
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      _cleanup_error_ coi_error_t err = NULL;
      if (coi_net_policy_add_entry (p, bad[i], &err) == 0)
        fail_msg ("'%s' accepted", bad[i]);
      assert_non_null (strstr (err->msg, "'"));
    }
  assert_int_equal (p->n_entries, 6);
  assert_string_equal (p->entries[1].name, "api.example.com");
  assert_int_equal (p->entries[2].kind, COI_NET_ENTRY_WILDCARD);
  assert_string_equal (p->entries[2].name, "cdn.example.com");
  /* 80, 8000-8100 and 8050-8200 merge to 80, 8000-8200 */
  assert_int_equal (p->entries[4].ports.n, 2);
  assert_int_equal (p->entries[4].ports.v[1].lo, 8000);
  assert_int_equal (p->entries[4].ports.v[1].hi, 8200);
}

static void test_match (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (COI_NET_ALLOWLIST);
  assert_int_equal (coi_net_policy_add_entry (p, "*.example.com:443", &err), 0);
  assert_int_equal (coi_net_policy_add_entry (p, "api.example.com:8443", &err), 0);
  assert_int_equal (coi_net_policy_add_entry (p, "plain.test", &err), 0);
  struct coi_port_list ports = { 0 };
  bool all = false;
  assert_true (coi_net_policy_match_name (p, "api.example.com", &ports, &all));
  assert_false (all);
  assert_int_equal (ports.n, 2);
  coi_port_list_clear (&ports);
  assert_true (coi_net_policy_match_name (p, "a.b.example.com", &ports, &all));
  coi_port_list_clear (&ports);
  assert_false (coi_net_policy_match_name (p, "example.com", &ports, &all));
  assert_false (coi_net_policy_match_name (p, "badexample.com", &ports, &all));
  assert_false (coi_net_policy_match_name (p, "secret.attacker.test", &ports, &all));
  assert_false (coi_net_policy_match_name (p, "plain.test.evil", &ports, &all));
  assert_true (coi_net_policy_match_name (p, "plain.test", &ports, &all));
  assert_true (all);
  coi_port_list_clear (&ports);
}

static void test_validate (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (COI_NET_ALLOWLIST);
  assert_int_equal (coi_net_policy_add_entry (p, "10.0.0.0/8", &err), 0);
  assert_int_equal (coi_net_policy_validate (p, &err), -1);
  assert_non_null (strstr (err->msg, "allow_local_network_access"));
  p->allow_local_network_access = true;
  coi_error_release (&err);
  assert_int_equal (coi_net_policy_validate (p, &err), 0);
  enum coi_net_mode m;
  assert_int_equal (coi_net_mode_parse ("allowlist", &m, &err), 0);
  assert_int_equal (m, COI_NET_ALLOWLIST);
  assert_int_equal (coi_net_mode_parse ("closed", &m, &err), -1);
  assert_int_equal (err->exit_code, 2);
}

/* refresh_interval_minutes bounds how long a learned address is trusted. */
static void test_refresh (void **state)
{
  (void) state;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (COI_NET_ALLOWLIST);
  assert_int_equal (coi_dns_filter_max_ttl (p), 1800); /* the default, 30 minutes */
  p->refresh_interval_minutes = 1;
  assert_int_equal (coi_dns_filter_max_ttl (p), 60);
  p->refresh_interval_minutes = 10080; /* a week: the day cap stays */
  assert_int_equal (coi_dns_filter_max_ttl (p), 86400);

  struct coi_dns_filter_config c = { .max_ttl = 60 };
  assert_int_equal (coi_dns_filter_timeout (&c, 0), 30);
  assert_int_equal (coi_dns_filter_timeout (&c, 45), 45);
  assert_int_equal (coi_dns_filter_timeout (&c, 300), 60);
  assert_int_equal (coi_dns_filter_timeout (&c, 0xffffffffu), 60);
  c.min_ttl = 120; /* the ceiling wins over the floor */
  assert_int_equal (coi_dns_filter_timeout (&c, 0), 60);
  struct coi_dns_filter_config d = { 0 };
  assert_int_equal (coi_dns_filter_timeout (&d, 200000), 86400);

  _cleanup_error_ coi_error_t err = NULL;
  p->refresh_interval_minutes = 0;
  assert_int_equal (coi_net_policy_validate (p, &err), -1);
  assert_non_null (strstr (err->msg, "refresh_interval_minutes must be at least 1"));
  coi_error_release (&err);
  p->mode = COI_NET_RESTRICTED;
  p->refresh_interval_minutes = -5;
  assert_int_equal (coi_net_policy_validate (p, &err), -1);
  coi_error_release (&err);
  p->refresh_interval_minutes = 1;
  assert_int_equal (coi_net_policy_validate (p, &err), 0);
}

static const struct coi_net_target target = {
  .container = "coi-x", .addr = 0x0ac94d05, .gateway = 0x0ac94d01,
  .subnet = { 0x0ac94d00, 24 }, .dns_port = 20005,
};

static void test_render (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *r = coi_net_policy_new (COI_NET_RESTRICTED);
  _cleanup_free_ char *rt = coi_nft_render_apply ("coi", &target, r);
  assert_non_null (rt);
  /* The teardown of the address comes first: nothing is inherited. */
  assert_true (strstr (rt, "delete chain inet coi c_10_201_77_5") < strstr (rt, "comment \"coi:coi-x\""));
  /* DNS goes through the session's filter, in restricted mode too. */
  assert_non_null (strstr (rt, "ip daddr 10.201.77.1 meta l4proto { tcp, udp } th dport 20005 accept"));
  assert_non_null (strstr (rt, "add rule inet coi n_10_201_77_5 meta l4proto { tcp, udp } th dport 53 dnat ip to 10.201.77.1:20005"));
  assert_null (strstr (rt, "th dport 53 accept"));
  assert_non_null (strstr (rt, "100.64.0.0/10"));
  assert_non_null (strstr (rt, "ip daddr 169.254.0.0/16 reject"));
  assert_non_null (strstr (rt, "fib daddr type { local, broadcast, multicast } reject"));
  assert_non_null (strstr (rt, "add element inet coi sess { 10.201.77.5 : jump c_10_201_77_5 }"));

  _cleanup_net_policy_ struct coi_net_policy *a = coi_net_policy_new (COI_NET_ALLOWLIST);
  assert_int_equal (coi_net_policy_add_entry (a, "198.51.100.0/24:443", &err), 0);
  assert_int_equal (coi_net_policy_add_entry (a, "198.18.0.9", &err), 0);
  _cleanup_free_ char *at = coi_nft_render_apply ("coi", &target, a);
  assert_non_null (strstr (at, "add element inet coi sp_10_201_77_5 { 198.51.100.0/24 . 443-443 }"));
  assert_non_null (strstr (at, "add element inet coi sa_10_201_77_5 { 198.18.0.9/32 }"));
  assert_non_null (strstr (at, "th dport 53 dnat ip to 10.201.77.1:20005"));
  assert_null (strstr (at, "th dport 53 accept")); /* only the filter's port */

  _cleanup_net_policy_ struct coi_net_policy *o = coi_net_policy_new (COI_NET_OPEN);
  _cleanup_free_ char *ot = coi_nft_render_apply ("coi", &target, o);
  assert_null (strstr (ot, "add rule"));

  struct coi_net_target bad = target;
  strcpy (bad.container, "x\"; flush ruleset");
  assert_null (coi_nft_render_apply ("coi", &bad, r));

  struct coi_port_list pl = { 0 };
  assert_int_equal (coi_port_list_parse ("443", &pl, &err), 0);
  _cleanup_free_ char *d = coi_nft_render_dynamic ("coi", target.addr, 0xc6336407, &pl, 60);
  assert_non_null (strstr (d, "add element inet coi dp_10_201_77_5 { 198.51.100.7 . 443-443 timeout 60s }"));
  coi_port_list_clear (&pl);
}

static void test_names (void **state)
{
  (void) state;
  char h1[16], h2[16];
  coi_net_host_name ("coi-very-long-container-name-abcdefghijklmnopqrstuvwxyz-0123456789", h1);
  coi_net_host_name ("coi-very-long-container-name-abcdefghijklmnopqrstuvwxyz-0123456789", h2);
  assert_string_equal (h1, h2);
  assert_int_equal (strlen (h1), 15);
  coi_net_host_name ("coi-other", h2);
  assert_string_not_equal (h1, h2);
  uint32_t a;
  char k[16];
  assert_true (coi_ipv4_key_parse (coi_ipv4_key (0x0ac94d05, k), &a));
  assert_int_equal (a, 0x0ac94d05);
  assert_false (coi_ipv4_key_parse ("010_1_1_1", &a));
  assert_false (coi_ipv4_key_parse ("1_2_3", &a));
  struct coi_ipv4_net sn = { 0x0ac94d00, 24 };
  assert_int_equal (coi_net_dns_port (0x0ac94d05, &sn), 20005);
  assert_false (coi_net_container_name_ok ("9abc"));
  assert_false (coi_net_container_name_ok ("a_b"));
  assert_true (coi_net_container_name_ok ("coi-abc-1"));
}

static uint32_t got[4];
static size_t ng;

static int collect (uint32_t addr, uint32_t ttl, void *data)
{
  (void) data;
  (void) ttl;
  got[ng++] = addr;
  return ng < 4 ? 0 : -1;
}

static void test_dns_msg (void **state)
{
  (void) state;
  /* id 0x1234, RD, one question api.example.com A IN */
  uint8_t q[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'A', 'p', 'i', 7, 'e', 'x',
                  'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
  struct coi_dns_question qq;
  assert_int_equal (coi_dns_parse_query (q, sizeof q, &qq), 0);
  assert_string_equal (qq.name, "api.example.com");
  assert_int_equal (qq.qtype, 1);
  assert_int_equal (qq.end, sizeof q);
  uint8_t out[512];
  size_t n = coi_dns_make_error (q, &qq, COI_DNS_RCODE_REFUSED, out, sizeof out);
  assert_int_equal (n, sizeof q);
  assert_int_equal (out[3] & 0x0f, 5);
  assert_true (out[2] & 0x80);
  n = coi_dns_make_a (q, &qq, 0xc6336407, 60, out, sizeof out);
  assert_int_equal (n, sizeof q + 16);

  out[7] = 1; /* the reply above as an answer */
  assert_int_equal (coi_dns_foreach_a (out, sizeof q + 16, collect, NULL), 0);
  assert_int_equal (ng, 1);
  assert_int_equal (got[0], 0xc6336407);

  /* A compression pointer to itself must not loop. */
  uint8_t loop[] = { 0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0xc0, 17, 0, 1, 0, 1,
                     0, 0, 0, 60, 0, 4, 1, 2, 3, 4 };
  assert_int_equal (coi_dns_foreach_a (loop, sizeof loop, collect, NULL), -1);
  /* Truncated and response-flagged queries are refused. */
  assert_int_equal (coi_dns_parse_query (q, 20, &qq), -1);
  q[2] |= 0x80;
  assert_int_equal (coi_dns_parse_query (q, sizeof q, &qq), -1);
  /* A label with a dot inside would alias another name. */
  uint8_t dot[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'a', '.', 'b', 0, 0, 1, 0, 1 };
  assert_int_equal (coi_dns_parse_query (dot, sizeof dot, &qq), -1);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_entries), cmocka_unit_test (test_match), cmocka_unit_test (test_validate), cmocka_unit_test (test_refresh),
    cmocka_unit_test (test_render),  cmocka_unit_test (test_names), cmocka_unit_test (test_dns_msg),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
