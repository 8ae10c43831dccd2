/* The firewall's reject log without root or a kernel: the nflog message
 * parser on crafted (also truncated and mutated) buffers, the per-session
 * group, the rendered log statement and the network log's flood bound. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "netpolicy/net.h"
#include "netpolicy/netlog.h"
#include "netpolicy/nflog.h"
#include "netpolicy/policy.h"
#include "netpolicy/render.h"
#include "util/cleanup.h"

struct msg
{
  uint8_t b[512] __attribute__ ((aligned (8)));
  size_t len;
};

static void put (struct msg *m, uint16_t type, const void *data, size_t len)
{
  struct nlattr a = { .nla_len = (uint16_t) (NLA_HDRLEN + len), .nla_type = type };
  memcpy (m->b + m->len, &a, sizeof a);
  memcpy (m->b + m->len + NLA_HDRLEN, data, len);
  m->len += NLA_ALIGN (a.nla_len);
}

/* An NFULNL_MSG_PACKET as the kernel sends it: packet header, prefix (with
 * its NUL), payload. */
static void build (struct msg *m, const char *prefix, const uint8_t *payload, size_t plen)
{
  memset (m, 0, sizeof *m);
  struct nlmsghdr h = { .nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET };
  struct nfgenmsg g = { .nfgen_family = AF_INET, .version = NFNETLINK_V0, .res_id = htons (7305) };
  m->len = NLMSG_LENGTH (sizeof g);
  memcpy (m->b + NLMSG_HDRLEN, &g, sizeof g);
  struct nfulnl_msg_packet_hdr ph = { .hw_protocol = htons (0x0800), .hook = 2 };
  put (m, NFULA_PACKET_HDR, &ph, sizeof ph);
  if (prefix)
    put (m, NFULA_PREFIX, prefix, strlen (prefix) + 1);
  if (payload)
    put (m, NFULA_PAYLOAD, payload, plen);
  h.nlmsg_len = (uint32_t) m->len;
  memcpy (m->b, &h, sizeof h);
}

/* IPv4 10.201.77.5 -> dst, protocol proto, then l4 bytes. */
static size_t ipv4 (uint8_t *p, uint8_t proto, uint32_t dst, const uint8_t *l4, size_t l4n)
{
  memset (p, 0, 20);
  p[0] = 0x45;
  p[9] = proto;
  uint32_t s = htonl (0x0ac94d05), d = htonl (dst);
  memcpy (p + 12, &s, 4);
  memcpy (p + 16, &d, 4);
  memcpy (p + 20, l4, l4n);
  return 20 + l4n;
}

static const uint8_t tcp_l4[8] = { 0xa0, 0x00, 0x00, 0x50, 1, 2, 3, 4 }; /* 40960 -> 80 */

/* Parse a copy of exactly len bytes, so ASan sees any read past the end. */
static int parse_exact (const struct msg *m, size_t len, struct coi_nflog_event *ev)
{
  void *copy = malloc (len ? len : 1);
  assert_non_null (copy);
  memcpy (copy, m->b, len);
  int r = coi_nflog_parse (copy, len, ev);
  free (copy);
  return r;
}

static void test_parse_valid (void **state)
{
  (void) state;
  struct msg m;
  uint8_t pkt[64];
  struct coi_nflog_event ev;
  size_t n = ipv4 (pkt, IPPROTO_TCP, 0x0a4d000a, tcp_l4, sizeof tcp_l4);
  build (&m, "coi:coi-x private ", pkt, n);
  assert_int_equal (parse_exact (&m, m.len, &ev), 1);
  assert_string_equal (ev.container, "coi-x");
  assert_string_equal (ev.reason, "private");
  assert_int_equal (ev.proto, IPPROTO_TCP);
  assert_int_equal (ev.src, 0x0ac94d05);
  assert_int_equal (ev.dst, 0x0a4d000a);
  assert_true (ev.has_ports);
  assert_int_equal (ev.sport, 40960);
  assert_int_equal (ev.dport, 80);
  assert_int_equal (ev.icmp_type, -1);

  const uint8_t echo[8] = { 8, 0, 0, 0, 0, 1, 0, 1 };
  n = ipv4 (pkt, IPPROTO_ICMP, 0xa9fea9fe, echo, sizeof echo);
  build (&m, "coi:coi-x metadata", pkt, n); /* the trailing space is optional */
  assert_int_equal (parse_exact (&m, m.len, &ev), 1);
  assert_string_equal (ev.reason, "metadata");
  assert_int_equal (ev.icmp_type, 8);
  assert_int_equal (ev.icmp_code, 0);
  assert_false (ev.has_ports);

  /* The copy range cut the L4 header: the addresses are still there. */
  n = ipv4 (pkt, IPPROTO_UDP, 0xc0a84d0a, tcp_l4, 2);
  build (&m, "coi:coi-x host ", pkt, n);
  assert_int_equal (parse_exact (&m, m.len, &ev), 1);
  assert_int_equal (ev.proto, IPPROTO_UDP);
  assert_false (ev.has_ports);

  /* A later fragment has no ports, whatever its first bytes say. */
  n = ipv4 (pkt, IPPROTO_TCP, 0x0a4d000a, tcp_l4, sizeof tcp_l4);
  pkt[6] = 0x00;
  pkt[7] = 0x10;
  build (&m, "coi:coi-x private ", pkt, n);
  assert_int_equal (parse_exact (&m, m.len, &ev), 1);
  assert_false (ev.has_ports);

  /* IP options: the ports come after them. */
  uint8_t opt[64] = { 0 };
  ipv4 (opt, IPPROTO_TCP, 0x0a4d000a, (const uint8_t[4]) { 1, 1, 1, 1 }, 4);
  opt[0] = 0x46;
  memcpy (opt + 24, tcp_l4, sizeof tcp_l4);
  build (&m, "coi:coi-x private ", opt, 32);
  assert_int_equal (parse_exact (&m, m.len, &ev), 1);
  assert_int_equal (ev.dport, 80);

  /* Not a packet message: an ack or config is no event and no error. */
  build (&m, "coi:coi-x private ", pkt, n);
  struct nlmsghdr *h = (struct nlmsghdr *) m.b;
  h->nlmsg_type = NLMSG_ERROR;
  assert_int_equal (parse_exact (&m, m.len, &ev), 0);
}

static void test_parse_hostile (void **state)
{
  (void) state;
  struct msg m;
  uint8_t pkt[64];
  struct coi_nflog_event ev;
  size_t n = ipv4 (pkt, IPPROTO_TCP, 0x0a4d000a, tcp_l4, sizeof tcp_l4);
  const char *bad_prefix[] = {
    "coi:", "coi: private ", "xyz:coi-x private ", "coi:9x private ", "coi:coi-x ", "coi:coi-x",
    "coi:coi_x private ", "coi:coi-x Private ", "coi:coi-x private extra ", "coi:coi-x averyveryverylongreason ",
    "coi:a123456789012345678901234567890123456789012345678901234567890123 private ", "",
  };
  for (size_t i = 0; i < sizeof bad_prefix / sizeof *bad_prefix; i++)
    {
      build (&m, bad_prefix[i], pkt, n);
      if (parse_exact (&m, m.len, &ev) != -1)
        fail_msg ("prefix '%s' accepted", bad_prefix[i]);
    }
  /* Without a prefix or a payload. */
  build (&m, NULL, pkt, n);
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
  build (&m, "coi:coi-x private ", NULL, 0);
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
  /* A prefix without its NUL ends at the attribute. */
  build (&m, NULL, NULL, 0);
  put (&m, NFULA_PREFIX, "coi:coi-x private", 17);
  put (&m, NFULA_PAYLOAD, pkt, n);
  ((struct nlmsghdr *) m.b)->nlmsg_len = (uint32_t) m.len;
  assert_int_equal (parse_exact (&m, m.len, &ev), 1);
  assert_string_equal (ev.reason, "private");
  /* Not IPv4, a header length below 20, one beyond the copied bytes. */
  uint8_t v[64];
  memcpy (v, pkt, n);
  v[0] = 0x65;
  build (&m, "coi:coi-x private ", v, n);
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
  v[0] = 0x44;
  build (&m, "coi:coi-x private ", v, n);
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
  v[0] = 0x4f;
  build (&m, "coi:coi-x private ", v, n);
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
  build (&m, "coi:coi-x private ", pkt, 19);
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
  /* An attribute of length 0 must not loop; one longer than the message is refused. */
  build (&m, "coi:coi-x private ", pkt, n);
  struct nlattr zero = { 0, NFULA_PREFIX };
  memcpy (m.b + NLMSG_LENGTH (sizeof (struct nfgenmsg)), &zero, sizeof zero);
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
  build (&m, "coi:coi-x private ", pkt, n);
  struct nlattr big = { 4000, NFULA_PACKET_HDR };
  memcpy (m.b + NLMSG_LENGTH (sizeof (struct nfgenmsg)), &big, sizeof big);
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
  /* A header that claims less than the nfgenmsg. */
  build (&m, "coi:coi-x private ", pkt, n);
  ((struct nlmsghdr *) m.b)->nlmsg_len = NLMSG_HDRLEN + 2;
  assert_int_equal (parse_exact (&m, m.len, &ev), -1);
}

static void test_parse_truncated (void **state)
{
  (void) state;
  struct msg m;
  uint8_t pkt[64];
  struct coi_nflog_event ev;
  size_t n = ipv4 (pkt, IPPROTO_TCP, 0x0a4d000a, tcp_l4, sizeof tcp_l4);
  build (&m, "coi:coi-x private ", pkt, n);
  size_t full = m.len;
  for (size_t len = 0; len < full; len++)
    {
      /* The header still claims the whole message: refused. */
      build (&m, "coi:coi-x private ", pkt, n);
      if (parse_exact (&m, len, &ev) != -1)
        fail_msg ("truncated to %zu of %zu: accepted", len, full);
      /* The header agrees with the cut: whatever comes out, no overread,
       * and never an event with a destination it did not have. */
      if (len >= NLMSG_HDRLEN)
        {
          ((struct nlmsghdr *) m.b)->nlmsg_len = (uint32_t) len;
          int r = parse_exact (&m, len, &ev);
          if (r == 1)
            assert_int_equal (ev.dst, 0x0a4d000a);
        }
    }
  /* Random damage: bytes flipped, lengths cut; only ASan's verdict counts. */
  srand (7305);
  for (int i = 0; i < 20000; i++)
    {
      build (&m, "coi:coi-x private ", pkt, n);
      int flips = 1 + rand () % 4;
      for (int k = 0; k < flips; k++)
        m.b[(size_t) rand () % full] ^= (uint8_t) (1 + rand () % 255);
      size_t len = (size_t) rand () % (full + 1);
      (void) parse_exact (&m, len, &ev);
    }
}

static void test_group (void **state)
{
  (void) state;
  struct coi_ipv4_net sn = { 0x0ac94d00, 24 };
  assert_int_equal (coi_net_log_group (7300, 0x0ac94d05, &sn), 7305);
  assert_int_equal (coi_net_log_group (7300, 0x0ac94d06, &sn), 7306);
  assert_int_equal (coi_net_log_group (0, 0x0ac94d05, &sn), 0);
  struct coi_ipv4_net big = { 0x0a000000, 8 };
  assert_int_equal (coi_net_log_group (7300, 0x0a00ffff, &big), 0); /* past 65535 */
  assert_int_equal (coi_net_log_group (7300, 0x0a00e0bb, &big), 7300 + 0xe0bb);

  struct coi_net_target t = { .container = "coi-x", .addr = 0x0ac94d05, .gateway = 0x0ac94d01,
                              .subnet = { 0x0ac94d00, 24 }, .dns_port = 20005, .log_group = 7305 };
  _cleanup_net_policy_ struct coi_net_policy *r = coi_net_policy_new (COI_NET_RESTRICTED);
  r->logging = true;
  _cleanup_free_ char *on = coi_nft_render_apply ("coi", &t, r);
  assert_non_null (strstr (on, "ip daddr { 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10 } "
                               "log prefix \"coi:coi-x private \" group 7305 reject"));
  assert_non_null (strstr (on, "log prefix \"coi:coi-x metadata \" group 7305"));
  assert_null (strstr (on, "group 7300"));
  r->logging = false;
  _cleanup_free_ char *off = coi_nft_render_apply ("coi", &t, r);
  assert_null (strstr (off, " log "));
  /* No group for this address: rejects without a log statement. */
  r->logging = true;
  t.log_group = 0;
  _cleanup_free_ char *none = coi_nft_render_apply ("coi", &t, r);
  assert_null (strstr (none, " log "));
}

/* ---- network log ---- */

static char dir[64];

static int read_log (const char *path, char **out)
{
  _cleanup_close_ int fd = open (path, O_RDONLY);
  static char buf[1 << 16];
  ssize_t n = fd < 0 ? -1 : read (fd, buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = '\0';
  *out = buf;
  return (int) n;
}

static int count (const char *text, const char *needle)
{
  int c = 0;
  for (const char *p = strstr (text, needle); p; p = strstr (p + 1, needle))
    c++;
  return c;
}

static struct coi_nflog_event event (uint32_t dst, uint16_t port)
{
  struct coi_nflog_event ev = { .container = "coi-x", .reason = "private", .proto = IPPROTO_TCP,
                                .src = 0x0ac94d05, .dst = dst, .has_ports = true, .dport = port,
                                .icmp_type = -1, .icmp_code = -1 };
  return ev;
}

static void open_log (struct coi_netlog *l, char *path, size_t len, const char *name)
{
  snprintf (path, len, "%s/logs/sub/%s", dir, name);
  _cleanup_error_ coi_error_t err = NULL;
  int fd = -1;
  if (coi_netlog_open_fd (path, &fd, &err) < 0)
    fail_msg ("%s", err->msg);
  coi_netlog_init (l, fd, "coi-x");
}

static void test_netlog_flood (void **state)
{
  (void) state;
  struct coi_netlog l;
  char path[160];
  char *text;
  open_log (&l, path, sizeof path, "flood.log");
  struct stat st;
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);

  struct coi_nflog_event ev = event (0x0a4d000a, 80);
  uint64_t t = 1000000;
  for (int i = 0; i < 10; i++)
    assert_int_equal (coi_netlog_blocked (&l, &ev, t + (uint64_t) i), 0);
  read_log (path, &text);
  assert_int_equal (count (text, " coi-x blocked reason=private proto=tcp dst=10.77.0.10:80\n"), 3);
  assert_int_equal (count (text, "suppressed"), 0);
  /* The window ends: the rest in one line. */
  assert_int_equal (coi_netlog_flush (&l, t + 999, false), 0);
  read_log (path, &text);
  assert_int_equal (count (text, "suppressed"), 0);
  assert_int_equal (coi_netlog_flush (&l, t + 1000, false), 0);
  read_log (path, &text);
  assert_int_equal (count (text, " coi-x suppressed count=7 reason=private proto=tcp dst=10.77.0.10:80\n"), 1);
  /* The flood goes on: no more "blocked" lines, longer windows. */
  for (int i = 0; i < 100; i++)
    coi_netlog_blocked (&l, &ev, t + 1000 + (uint64_t) i * 10);
  coi_netlog_flush (&l, t + 2500, false);
  read_log (path, &text);
  assert_int_equal (count (text, "blocked"), 3);
  assert_int_equal (count (text, "suppressed"), 1); /* its window is 2 s now */
  coi_netlog_flush (&l, t + 3000, false);
  read_log (path, &text);
  assert_int_equal (count (text, "suppressed count=100 "), 1);
  /* Quiet for a window: it cools down and is logged again. */
  coi_netlog_flush (&l, t + 8000, false);
  coi_netlog_blocked (&l, &ev, t + 20000);
  read_log (path, &text);
  assert_int_equal (count (text, "blocked"), 4);
  coi_netlog_close (&l);
}

static void test_netlog_scan (void **state)
{
  (void) state;
  struct coi_netlog l;
  char path[160];
  char *text;
  open_log (&l, path, sizeof path, "scan.log");
  /* A port scan: 500 destinations in one window. */
  uint64_t t = 5000000;
  for (int i = 0; i < 500; i++)
    {
      struct coi_nflog_event ev = event (0x0a4d000a, (uint16_t) (1000 + i));
      coi_netlog_blocked (&l, &ev, t + (uint64_t) i);
    }
  read_log (path, &text);
  assert_int_equal (count (text, "blocked"), COI_NETLOG_TOTAL);
  coi_netlog_flush (&l, t + 1000, false);
  read_log (path, &text);
  assert_int_equal (count (text, "suppressed count=470 dst=*\n"), 1);
  /* An ICMP line names the type; the end of the session writes what is left. */
  struct coi_nflog_event ping = event (0xa9fea9fe, 0);
  ping.proto = IPPROTO_ICMP;
  ping.has_ports = false;
  ping.icmp_type = 8;
  snprintf (ping.reason, sizeof ping.reason, "metadata");
  for (int i = 0; i < 5; i++)
    coi_netlog_blocked (&l, &ping, t + 3000);
  coi_netlog_flush (&l, t + 3001, true);
  read_log (path, &text);
  assert_int_equal (count (text, "blocked reason=metadata proto=icmp dst=169.254.169.254 icmp_type=8\n"), 3);
  assert_int_equal (count (text, "suppressed count=2 reason=metadata proto=icmp dst=169.254.169.254 icmp_type=8\n"), 1);
  coi_netlog_close (&l);

  /* The launcher's lines: timestamp, container, text. */
  assert_int_equal (coi_netlog_append (path, "coi-y", "applied mode=%s", "restricted"), 0);
  read_log (path, &text);
  const char *last = strstr (text, " coi-y applied mode=restricted\n");
  assert_non_null (last);
  assert_true (last - text >= 24);
  assert_int_equal (last[-1], 'Z');
  assert_int_equal (coi_netlog_append ("relative/path", "coi-y", "x"), -1);
}

static int setup (void **state)
{
  (void) state;
  snprintf (dir, sizeof dir, "/tmp/coi-nflog-unit-XXXXXX");
  return mkdtemp (dir) ? 0 : -1;
}

static int teardown (void **state)
{
  (void) state;
  const char *const argv[] = { "rm", "-rf", dir, NULL };
  pid_t pid = fork ();
  if (pid == 0)
    {
      execvp (argv[0], (char *const *) argv);
      _exit (127);
    }
  int st;
  return pid > 0 && waitpid (pid, &st, 0) == pid ? 0 : -1;
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse_valid),   cmocka_unit_test (test_parse_hostile),
    cmocka_unit_test (test_parse_truncated), cmocka_unit_test (test_group),
    cmocka_unit_test (test_netlog_flood),  cmocka_unit_test (test_netlog_scan),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
