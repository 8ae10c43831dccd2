#include "monitor/detect.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IP4(a, b, c, d) (((uint32_t) (a) << 24) | ((uint32_t) (b) << 16) | ((uint32_t) (c) << 8) | (uint32_t) (d))
#define METADATA_V4 IP4 (169, 254, 169, 254)

static struct coi_verdict verdict (int level, const char *rule, const char *reason)
{
  return (struct coi_verdict) { level, rule, reason };
}

static bool in_net (uint32_t a, uint32_t net, int bits)
{
  uint32_t mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
  return (a & mask) == (net & mask);
}

int coi_netview_init (struct coi_netview *v, const char *mode, coi_error_t *err)
{
  memset (v, 0, sizeof *v);
  if (mode == NULL || strcmp (mode, "restricted") == 0)
    v->mode = COI_NET_RESTRICTED;
  else if (strcmp (mode, "open") == 0)
    v->mode = COI_NET_OPEN;
  else if (strcmp (mode, "allowlist") == 0)
    v->mode = COI_NET_ALLOWLIST;
  else
    return coi_error_usage (err, "network mode \"%s\": expected restricted, allowlist or open", mode);
  return 0;
}

static bool suspicious_port (uint16_t port)
{
  /* Listener defaults of reverse-shell kits and IRC botnets.  Not 8080 or
   * 1234: dev servers use them (COI's false positives, spec I.17). */
  static const uint16_t ports[] = { 4444, 4445, 5555, 1337, 31337, 6666, 6667, 6697, 12345, 9001 };
  for (size_t i = 0; i < sizeof ports / sizeof ports[0]; i++)
    if (ports[i] == port)
      return true;
  return false;
}

static bool is_private (uint32_t a)
{
  return in_net (a, IP4 (10, 0, 0, 0), 8) || in_net (a, IP4 (172, 16, 0, 0), 12)
         || in_net (a, IP4 (192, 168, 0, 0), 16) || in_net (a, IP4 (100, 64, 0, 0), 10);
}

static struct coi_verdict judge_v4 (const struct coi_netview *v, uint32_t dst, uint16_t dport);

struct coi_verdict coi_judge_dest_v4 (const struct coi_netview *v, uint8_t protocol, uint32_t dst, uint16_t dport)
{
  struct coi_verdict r = judge_v4 (v, dst, dport);
  /* Datagrams are not a connection anyone asked for: local services of the
   * container's OS send them; only metadata and reverse-shell ports stay. */
  if (protocol != IPPROTO_TCP && r.level == COI_LEVEL_HIGH && strcmp (r.rule, "suspicious-port") != 0)
    r.level = COI_LEVEL_WARNING;
  return r;
}

static struct coi_verdict judge_v4 (const struct coi_netview *v, uint32_t dst, uint16_t dport)
{
  if (dst == METADATA_V4)
    return verdict (COI_LEVEL_CRITICAL, "metadata", "connection to the cloud metadata endpoint");
  if (in_net (dst, IP4 (127, 0, 0, 0), 8) || dst == 0 || (v->self && dst == v->self))
    return COI_NO_VERDICT;
  if (in_net (dst, IP4 (224, 0, 0, 0), 4) || dst == 0xffffffffu)
    return COI_NO_VERDICT; /* DHCP, mDNS, IGMP */
  if (v->gateway && dst == v->gateway)
    {
      if (dport == 53 || dport == 67 || dport == 68 || dport == 123 || dport == 5353 || dport == 5355)
        return COI_NO_VERDICT; /* DNS, DHCP, NTP, mDNS, LLMNR */
      if (v->mode != COI_NET_OPEN)
        return verdict (COI_LEVEL_HIGH, "host-service", "connection to a service on the host");
      return COI_NO_VERDICT;
    }
  if (in_net (dst, IP4 (169, 254, 0, 0), 16))
    return verdict (COI_LEVEL_HIGH, "link-local", "connection to a link-local address");
  if (v->mode != COI_NET_OPEN && is_private (dst))
    return verdict (COI_LEVEL_HIGH, "private-network", "connection to a private network");
  /* No allowlist check here: a flow we see got through the firewall, to a
   * listed address or one learned from an allowed name.  What it rejected
   * reaches us through NFLOG (coi_judge_blocked). */
  if (suspicious_port (dport))
    return verdict (COI_LEVEL_HIGH, "suspicious-port", "connection to a port used by reverse-shell listeners");
  return COI_NO_VERDICT;
}

struct coi_verdict coi_judge_flow (const struct coi_netview *v, uint8_t protocol, uint32_t dst, uint16_t sport,
                                   uint16_t dport)
{
  if (dst != METADATA_V4)
    {
      if (sport != 0 && sport < 1024 && dport >= 1024)
        return COI_NO_VERDICT;
      if (v->gateway && dst == v->gateway && dport >= 32768)
        return COI_NO_VERDICT;
    }
  return coi_judge_dest_v4 (v, protocol, dst, dport);
}

struct coi_verdict coi_judge_blocked (const struct coi_netview *v, const char *reason, uint8_t protocol,
                                      uint32_t dst, uint16_t dport)
{
  if (dst == METADATA_V4)
    return verdict (COI_LEVEL_CRITICAL, "metadata", "blocked attempt to reach the cloud metadata endpoint");
  /* Multicast and broadcast chatter of the container's OS (mDNS, LLMNR,
   * SSDP) and its time sync with the gateway: in the network log only. */
  if (in_net (dst, IP4 (224, 0, 0, 0), 4) || dst == 0xffffffffu)
    return COI_NO_VERDICT;
  if (v->gateway && dst == v->gateway && protocol == IPPROTO_UDP && (dport == 123 || dport == 5353 || dport == 5355))
    return COI_NO_VERDICT;
  static const struct
  {
    const char *reason, *rule, *text;
  } local[] = {
    { "host", "blocked-host", "blocked connection to the host" },
    { "bridge", "blocked-bridge", "blocked connection to another container" },
    { "private", "blocked-private", "blocked connection to a private network" },
    { "metadata", "blocked-link-local", "blocked connection to a link-local address" },
  };
  for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
    if (strcmp (reason, local[i].reason) == 0)
      /* A TCP connect is someone asking for a LAN service; datagrams are
       * often the OS's own (NetBIOS, subnet broadcasts): a warning. */
      return verdict (protocol == IPPROTO_TCP ? COI_LEVEL_HIGH : COI_LEVEL_WARNING, local[i].rule, local[i].text);
  if (protocol == IPPROTO_TCP && suspicious_port (dport))
    return verdict (COI_LEVEL_HIGH, "suspicious-port", "blocked connection to a port used by reverse-shell listeners");
  /* An allowlist session meets unlisted hosts in normal work (telemetry, a
   * package index, a CDN a tool was not told about): the firewall already
   * stopped it, and pausing the agent for that would break benign sessions.
   * The same goes for a port outside allowed_ports or an unpinned resolver. */
  if (strcmp (reason, "allowlist") == 0)
    return verdict (COI_LEVEL_WARNING, "blocked-allowlist", "blocked connection to a destination outside the allowlist");
  if (strcmp (reason, "port") == 0)
    return verdict (COI_LEVEL_WARNING, "blocked-port", "blocked connection to a port outside allowed_ports");
  if (strcmp (reason, "dns") == 0)
    return verdict (COI_LEVEL_WARNING, "blocked-dns", "blocked DNS to a resolver other than the pinned ones");
  return verdict (COI_LEVEL_WARNING, "blocked", "connection blocked by the network policy");
}

struct coi_verdict coi_judge_sock (const struct coi_netview *v, const struct coi_sock *s)
{
  /* Only connections the container opened or is opening: not listeners, not
   * closing leftovers, not unconnected UDP. */
  bool active = s->protocol == IPPROTO_TCP ? (s->state == 1 || s->state == 2) : s->state == 1;
  if (!active)
    return COI_NO_VERDICT;
  uint32_t v4;
  if (coi_sock_v4 (&s->dst, &v4))
    return coi_judge_dest_v4 (v, s->protocol, v4, s->dport);
  static const uint8_t ec2_v6[16] = { 0xfd, 0x00, 0x0e, 0xc2, [15] = 0x54 };
  if (memcmp (&s->dst, ec2_v6, 16) == 0)
    return verdict (COI_LEVEL_CRITICAL, "metadata", "connection to the cloud metadata endpoint");
  if (IN6_IS_ADDR_LOOPBACK (&s->dst) || IN6_IS_ADDR_LINKLOCAL (&s->dst) || IN6_IS_ADDR_MULTICAST (&s->dst))
    return COI_NO_VERDICT;
  if (suspicious_port (s->dport))
    return verdict (COI_LEVEL_HIGH, "suspicious-port", "connection to a port used by reverse-shell listeners");
  return COI_NO_VERDICT;
}

static bool has (const char *s, const char *needle)
{
  return strstr (s, needle) != NULL;
}

static bool has_ci (const char *s, const char *needle)
{
  return strcasestr (s, needle) != NULL;
}

static bool comm_is (const char *comm, const char *const *names)
{
  for (const char *const *n = names; *n; n++)
    if (strcmp (comm, *n) == 0)
      return true;
  return false;
}

/* Every /dev/tcp or /dev/udp target is loopback (a local health check). */
static bool dev_tcp_local_only (const char *cmd)
{
  bool any = false;
  for (const char *p = cmd; (p = strstr (p, "/dev/")) != NULL; p += 5)
    {
      if (strncmp (p + 5, "tcp/", 4) != 0 && strncmp (p + 5, "udp/", 4) != 0)
        continue;
      any = true;
      const char *host = p + 9;
      if (strncmp (host, "127.", 4) != 0 && strncmp (host, "localhost/", 10) != 0)
        return false;
    }
  return any;
}

static bool revshell_pattern (const char *cmd)
{
  if ((has (cmd, "/dev/tcp/") || has (cmd, "/dev/udp/")) && !dev_tcp_local_only (cmd))
    return true;
  static const char *const plain[] = { "nc -e", "nc -c", "ncat -e", "ncat -c", "netcat -e", "-e /bin/sh",
                                       "-e /bin/bash", "fsockopen", "IO::Socket::INET", "pty.spawn",
                                       "TCPSocket", "-rsocket", NULL };
  for (const char *const *p = plain; *p; p++)
    if (has (cmd, *p))
      return true;
  if (has (cmd, "use Socket") && has (cmd, "connect"))
    return true;
  if (has (cmd, "socket.socket") && has (cmd, "connect"))
    return true;
  if (has (cmd, "child_process") && (has (cmd, "net.Socket") || has (cmd, "net.connect")))
    return true;
  if (has_ci (cmd, "socat") && (has_ci (cmd, "exec:") || has_ci (cmd, "system:")))
    return true;
  if (has (cmd, "mkfifo") && (has (cmd, "nc ") || has (cmd, "ncat ") || has (cmd, "telnet ") || has (cmd, "s_client")))
    return true;
  return false;
}

struct coi_verdict coi_judge_cmdline (const char *comm, const char *cmd, bool stdin_is_pipe)
{
  static const char *const clients[] = { "curl", "wget", "nc", "ncat", "netcat", "socat", "http",
                                         "aria2c", "lynx", "links", "w3m", "telnet", NULL };
  if (has (cmd, "169.254.169.254") || has (cmd, "fd00:ec2::254") || has (cmd, "metadata.google.internal"))
    {
      if (comm_is (comm, clients) || has (cmd, "/dev/tcp/169.254.169.254"))
        return verdict (COI_LEVEL_CRITICAL, "metadata", "a network client aimed at the cloud metadata endpoint");
      return verdict (COI_LEVEL_WARNING, "metadata-mention", "command line names the cloud metadata endpoint");
    }
  if (revshell_pattern (cmd))
    return verdict (COI_LEVEL_HIGH, "reverse-shell-pattern", "command line of a reverse shell");

  static const char *const dumpers[] = { "env", "printenv", NULL };
  if (comm_is (comm, dumpers) && strchr (cmd, ' ') == NULL)
    return verdict (COI_LEVEL_WARNING, "env-scan", "the whole environment was listed");
  if (has (cmd, "/proc/") && has (cmd, "/environ"))
    return verdict (COI_LEVEL_WARNING, "env-scan", "another process's environment was read");
  static const char *const filters[] = { "grep", "egrep", "fgrep", "rg", "ag", "awk", "gawk", "mawk", "sed", NULL };
  static const char *const secrets[] = { "token", "secret", "passw", "api_key", "apikey", "credential",
                                         "aws_", "private_key", NULL };
  if (comm_is (comm, filters) && stdin_is_pipe)
    for (const char *const *s = secrets; *s; s++)
      if (has_ci (cmd, *s))
        return verdict (COI_LEVEL_WARNING, "env-scan", "piped output searched for secret names");
  static const char *const interp[] = { "python", "python3", "node", "ruby", "perl", NULL };
  if (comm_is (comm, interp) && (has (cmd, "os.environ") || has (cmd, "process.env") || has (cmd, "ENV[")
                                 || has (cmd, "%ENV")))
    return verdict (COI_LEVEL_WARNING, "env-scan", "an inline script reads the environment");
  return COI_NO_VERDICT;
}

/* Connected or connecting: a listener on stdio is inetd-style service setup. */
static bool sock_connected (const struct coi_sock *s)
{
  return s->protocol == IPPROTO_TCP ? (s->state != 10 && s->state != 7) : s->state == 1;
}

static const struct coi_sock *stdio_sock (const struct coi_proc *p, const struct coi_socktab *t, int i)
{
  if (p->stdio[i].kind != COI_FD_SOCKET || p->stdio[i].inet == 0)
    return NULL;
  const struct coi_sock *s = coi_socktab_find (t, p->stdio[i].ino);
  return s && sock_connected (s) ? s : NULL;
}

bool coi_stdio_connected (const struct coi_proc *p, const struct coi_socktab *t)
{
  for (int i = 0; i < 3; i++)
    if (stdio_sock (p, t, i))
      return true;
  return false;
}

bool coi_sock_accepted (const struct coi_socktab *t, const struct coi_sock *k)
{
  if (k->protocol != IPPROTO_TCP || k->state == 10)
    return false;
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].state == 10 && t->v[i].protocol == IPPROTO_TCP && t->v[i].sport == k->sport)
      return true;
  return false;
}

/* Neither a shell by name nor by identity: only the shape of a reverse
 * shell counts, stdin and an output on one connection out to the world. */
static struct coi_verdict judge_other (const struct coi_proc *p, const struct coi_socktab *t,
                                       const struct coi_sock **sock, int *fd)
{
  const struct coi_sock *in = stdio_sock (p, t, 0);
  if (in == NULL || !coi_sock_is_remote (in) || coi_sock_accepted (t, in))
    return COI_NO_VERDICT;
  if (stdio_sock (p, t, 1) != in && stdio_sock (p, t, 2) != in)
    return COI_NO_VERDICT;
  *sock = in;
  *fd = 0;
  return verdict (COI_LEVEL_HIGH, "network-stdio",
                  "a program of unknown identity reads and writes a network connection on its standard input and output");
}

struct coi_verdict coi_judge_stdio (const struct coi_proc *p, const struct coi_socktab *t,
                                    const struct coi_sock **sock, int *fd)
{
  if (!coi_proc_is_shell (p))
    return judge_other (p, t, sock, fd);
  struct coi_verdict best = COI_NO_VERDICT;
  for (int i = 0; i < 3; i++)
    {
      const struct coi_sock *s = stdio_sock (p, t, i);
      if (s == NULL)
        continue;
      int level = coi_sock_is_remote (s) ? COI_LEVEL_CRITICAL : COI_LEVEL_HIGH;
      if (level > best.level)
        {
          best = verdict (level, "reverse-shell",
                          level == COI_LEVEL_CRITICAL ? "a shell's standard input/output is a network connection"
                                                      : "a shell's standard input/output is a loopback connection");
          *sock = s;
          *fd = i;
        }
    }
  return best;
}

static bool over_volume (double threshold_mb, uint64_t bytes)
{
  return threshold_mb > 0 && (double) bytes / 1048576.0 > threshold_mb;
}

static bool over_rate (double rate_mb, uint64_t bytes, double interval)
{
  return rate_mb > 0 && interval > 0 && (double) bytes / 1048576.0 / interval > rate_mb;
}

/* volume in one interval, or a rate held for COI_RATE_SUSTAIN intervals */
static bool check_flow (double threshold_mb, double rate_mb, uint64_t bytes, double interval, int *streak)
{
  if (over_rate (rate_mb, bytes, interval))
    (*streak)++;
  else
    *streak = 0;
  return over_volume (threshold_mb, bytes) || *streak >= COI_RATE_SUSTAIN;
}

int coi_judge_rates (const struct coi_monitor_settings *s, struct coi_rate_state *st,
                     const struct coi_rates *r, struct coi_verdict *out, int max)
{
  int n = 0;
#define ADD(v) \
  do \
    if (n < max) \
      out[n++] = (v); \
  while (0)
  if (check_flow (s->file_read_threshold_mb, s->file_read_rate_mb_per_sec, r->read_bytes, r->interval_s, &st->read_over))
    ADD (verdict (COI_LEVEL_HIGH, "file-read", "disk reads over the threshold (possible exfiltration)"));
  if (check_flow (s->file_write_threshold_mb, s->file_write_rate_mb_per_sec, r->write_bytes, r->interval_s,
                  &st->write_over))
    ADD (verdict (COI_LEVEL_HIGH, "file-write", "disk writes over the threshold"));
  if (check_flow (s->network_egress_threshold_mb, s->network_egress_rate_mb_per_sec, r->egress_bytes,
                  r->interval_s, &st->egress_over))
    ADD (verdict (COI_LEVEL_HIGH, "egress", "network egress over the threshold (possible exfiltration)"));
  /* A fork bomb both multiplies and spawns fast, or keeps hitting the pids
   * limit.  Either alone is a build or a busy test suite. */
  bool spawning = r->spawned > s->process_spawn_rate_threshold;
  if ((spawning && r->processes > s->process_count_threshold)
      || r->fork_failures > s->process_spawn_rate_threshold)
    ADD (verdict (COI_LEVEL_CRITICAL, "fork-bomb", "processes multiply without bound"));
  else if (r->processes > s->process_count_threshold)
    ADD (verdict (COI_LEVEL_WARNING, "process-count", "more processes than the threshold"));
#undef ADD
  return n;
}
