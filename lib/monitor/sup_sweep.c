/* The periodic sweep (1 s) and the checks of single processes: what the
 * container runs, which sockets it holds, where it connects, how fast it
 * reads, writes, sends and forks, plus a resource sample when those change. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>

#include "monitor/fanwatch.h"
#include "monitor/supervisor_private.h"
#include "util/cleanup.h"
#include "util/sink.h"

bool sup_in_container (struct sup *s, pid_t pid)
{
  if (coi_pidset_has (&s->known, pid))
    return true;
  return s->pidns != 0 && coi_proc_ns (pid, "pid") == s->pidns;
}

/* Connected sockets of the container, dumped at most once per sweep
 * unless `force` (a socket seen on a shell's stdio must be looked up now). */
static void refresh_socks (struct sup *s, bool force)
{
  if (s->diag_fd < 0 || (!force && s->socks_sweep == s->sweeps))
    return;
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_sockdiag_dump (s->diag_fd, COI_SOCK_CONNECTED, &s->socks, &err) < 0)
    coi_warn (s->sink, "%s", err->msg);
  s->socks_sweep = s->sweeps;
}

static json_t *sock_evidence (const struct coi_sock *k)
{
  char local[64], remote[64];
  coi_sock_format (&k->src, k->sport, local, sizeof local);
  coi_sock_format (&k->dst, k->dport, remote, sizeof remote);
  return json_pack ("{s:s, s:s, s:s, s:s}", "protocol", k->protocol == IPPROTO_TCP ? "tcp" : "udp", "local", local,
                    "remote", remote, "state", coi_sock_state_name (k));
}

size_t sup_read_shells (struct sup *s)
{
  sup_now (&s->shells_at);
  char root[64];
  snprintf (root, sizeof root, "/proc/%d/root", (int) s->init_pid);
  _cleanup_close_ int rootfd = s->init_pid > 0 ? open (root, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  _cleanup_error_ coi_error_t err = NULL;
  if (rootfd >= 0 && coi_exe_catalog_scan (&s->shells, rootfd, &err) < 0)
    fprintf (stderr, "coi: %s\n", err->msg);
  return s->shells.n;
}

/* What p is when its name does not say: the same program as one of the
 * container's shells or interpreters (a copy, a link, a rename)?  A program
 * not among them has the container read again now and then: an interpreter
 * installed during the session counts too. */
static void identify (struct sup *s, struct coi_proc *p)
{
  struct coi_exe_id id;
  if (coi_proc_is_shell (p) || coi_exe_id_pid (p->pid, &id) < 0)
    return;
  const struct coi_exe_ref *r = coi_exe_catalog_find (&s->shells, &id);
  struct timespec now;
  sup_now (&now);
  if (r == NULL && (s->shells_at.tv_sec == 0 || sup_elapsed (&s->shells_at, &now) >= SUP_SHELLS_AGAIN_S))
    {
      sup_read_shells (s);
      r = coi_exe_catalog_find (&s->shells, &id);
    }
  if (r)
    snprintf (p->same_as, sizeof p->same_as, "%s", r->path);
}

static void report_stdio (struct sup *s, const struct coi_proc *p, struct coi_verdict v, const struct coi_sock *k,
                          int fd, const char *via)
{
  char cmd[512];
  if (coi_proc_cmdline (p->pid, cmd, sizeof cmd) < 0)
    cmd[0] = '\0';
  char remote[64];
  coi_sock_format (&k->dst, k->dport, remote, sizeof remote);
  json_t *ev = json_pack ("{s:o, s:o, s:i, s:s?, s:s?}", "process", sup_process_evidence (p, cmd), "connection",
                          sock_evidence (k), "fd", fd, "via", via, "same_program_as",
                          p->same_as[0] ? p->same_as : NULL);
  char detail[160];
  snprintf (detail, sizeof detail, "pid:%d remote:%s", (int) p->pid, remote);
  struct coi_threat t;
  bool shell = strcmp (v.rule, "reverse-shell") == 0;
  if (coi_threat_set (&t, (enum coi_level) v.level, "process", v.rule, ev, detail,
                      "%s: %s (pid %d%s%s) talks to %s on fd %d", shell ? "Reverse shell" : "Network on stdio",
                      p->comm, (int) p->pid, p->same_as[0] ? ", same program as " : "", p->same_as, remote, fd)
      < 0)
    return;
  t.description = strdup (v.reason);
  t.culprit = p->pid;
  t.culprit_start = p->start;
  sup_report (s, &t);
}

/* An inet socket on p's stdio that the table does not hold (made since the
 * last dump).  A socket of unknown kind (no sockprotoname) counts only for a
 * shell by name, as a dump costs: journald's streams are unix sockets. */
static bool stdio_missing (const struct coi_proc *p, const struct coi_socktab *t)
{
  for (int i = 0; i < 3; i++)
    if (p->stdio[i].kind == COI_FD_SOCKET && (p->stdio[i].inet == 1 || (p->stdio[i].inet < 0 && coi_proc_is_shell (p)))
        && coi_socktab_find (t, p->stdio[i].ino) == NULL)
      return true;
  return false;
}

/* Rule A on p: a connected socket on its stdio first (cheap), then what it is. */
static bool check_stdio (struct sup *s, const struct coi_proc *p0, const char *via)
{
  if (!coi_stdio_connected (p0, &s->socks))
    {
      if (!stdio_missing (p0, &s->socks))
        return false;
      refresh_socks (s, true);
      if (!coi_stdio_connected (p0, &s->socks))
        return false;
    }
  struct coi_proc p = *p0;
  identify (s, &p);
  const struct coi_sock *k = NULL;
  int fd = -1;
  struct coi_verdict v = coi_judge_stdio (&p, &s->socks, &k, &fd);
  if (v.level < 0)
    return false;
  report_stdio (s, &p, v, k, fd, via);
  return true;
}

/* What a relay (socat, nc, ...) holds: its remote connection and the pipe
 * and pty-master ends it could be feeding a shell through. */
struct relay
{
  const struct coi_socktab *socks;
  const struct coi_sock *remote;
  unsigned long pipes[16];
  int npipes;
  int ptys[16];
  int nptys;
};

static int relay_fd (int fd, const struct coi_fd_ref *ref, void *data)
{
  (void) fd;
  struct relay *r = data;
  if (ref->kind == COI_FD_SOCKET && r->remote == NULL)
    {
      const struct coi_sock *k = coi_socktab_find (r->socks, ref->ino);
      if (k && coi_sock_is_remote (k) && (k->state == 1 || k->state == 2))
        r->remote = k;
    }
  else if (ref->kind == COI_FD_PIPE && r->npipes < 16)
    r->pipes[r->npipes++] = ref->ino;
  else if (ref->kind == COI_FD_PTMX && ref->pts >= 0 && r->nptys < 16)
    r->ptys[r->nptys++] = ref->pts;
  return 0;
}

static bool fed_by (const struct relay *r, const struct coi_proc *p)
{
  for (int i = 0; i < 3; i++)
    {
      for (int j = 0; j < r->npipes; j++)
        if (p->stdio[i].kind == COI_FD_PIPE && p->stdio[i].ino == r->pipes[j])
          return true;
      for (int j = 0; j < r->nptys; j++)
        if (p->stdio[i].kind == COI_FD_PTS && p->stdio[i].pts == r->ptys[j])
          return true;
    }
  return false;
}

/* Rule C: a relay holding a remote connection and the other end of a
 * shell's stdio (socat exec:bash,pty; the mkfifo | nc pipeline). */
static bool check_relay (struct sup *s, const struct coi_proc *relay_proc, const struct coi_proc *procs, size_t n)
{
  struct relay r = { .socks = &s->socks };
  if (coi_proc_each_fd (relay_proc->pid, relay_fd, &r) < 0 || r.remote == NULL)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      if (procs[i].pid == relay_proc->pid || !fed_by (&r, &procs[i]))
        continue;
      struct coi_proc p = procs[i];
      identify (s, &p);
      if (!coi_proc_is_shell (&p))
        continue;
      char via[64];
      snprintf (via, sizeof via, "relay %s (pid %d)", relay_proc->comm, (int) relay_proc->pid);
      report_stdio (s, &p, (struct coi_verdict) { COI_LEVEL_CRITICAL, "reverse-shell",
                                                 "a shell's stdio is relayed to a network connection" },
                    r.remote, 0, via);
      return true;
    }
  return false;
}

/* The container's processes with their stdio, for the relay rule. */
static size_t read_procs (struct sup *s, struct coi_proc **out)
{
  *out = calloc (s->npids ? s->npids : 1, sizeof **out);
  if (*out == NULL)
    return 0;
  size_t n = 0;
  for (size_t i = 0; i < s->npids; i++)
    if (coi_proc_read (s->pids[i], true, &(*out)[n]) == 0)
      n++;
  return n;
}

static void add_suspect (struct sup *s, const struct coi_proc *p, const char *cmd)
{
  for (size_t i = 0; i < s->nsuspects; i++)
    if (s->suspects[i].pid == p->pid && s->suspects[i].start == p->start)
      return;
  if (s->nsuspects == SUP_MAX_SUSPECTS)
    return; /* the sweep still covers them */
  struct sup_suspect *x = &s->suspects[s->nsuspects++];
  memset (x, 0, sizeof *x);
  x->pid = p->pid;
  x->start = p->start;
  sup_now (&x->since);
  memcpy (x->comm, p->comm, sizeof x->comm);
  snprintf (x->cmdline, sizeof x->cmdline, "%s", cmd);
  sup_fast_timer (s, true);
}

static void report_cmdline (struct sup *s, const struct coi_proc *p, const char *cmd, struct coi_verdict v)
{
  json_t *ev = json_pack ("{s:o, s:s}", "process", sup_process_evidence (p, cmd), "pattern", v.rule);
  char detail[96];
  snprintf (detail, sizeof detail, "pid:%d comm:%s", (int) p->pid, p->comm);
  struct coi_threat t;
  if (coi_threat_set (&t, (enum coi_level) v.level, strcmp (v.rule, "env-scan") == 0 ? "env" : "process", v.rule,
                      ev, detail, "%s: %s (pid %d)", v.reason, p->comm, (int) p->pid)
      < 0)
    return;
  sup_report (s, &t);
}

/* A shell started by an interpreter or relay that holds the network: the
 * pty.spawn and socat exec:...,pty variants. */
static bool check_ancestors (struct sup *s, const struct coi_proc *p)
{
  pid_t pid = p->ppid;
  for (int depth = 0; depth < 4 && pid > 1 && sup_in_container (s, pid); depth++)
    {
      struct coi_proc a;
      if (coi_proc_read (pid, true, &a) < 0)
        return false;
      if (check_stdio (s, &a, "parent of a shell"))
        return true;
      if (coi_proc_is_relay (&a) && check_relay (s, &a, p, 1))
        return true;
      pid = a.ppid;
    }
  return false;
}

void sup_check_process (struct sup *s, pid_t pid, bool at_exec)
{
  struct coi_proc p;
  if (coi_proc_read (pid, true, &p) < 0)
    return;
  char cmd[2048];
  if (coi_proc_cmdline (pid, cmd, sizeof cmd) < 0)
    return;
  if (at_exec)
    {
      struct coi_verdict v = coi_judge_cmdline (p.comm, cmd, p.stdio[0].kind == COI_FD_PIPE);
      if (v.level >= 0 && strcmp (v.rule, "reverse-shell-pattern") == 0)
        add_suspect (s, &p, cmd);
      else if (v.level >= 0)
        report_cmdline (s, &p, cmd, v);
      if (coi_proc_is_relay (&p))
        add_suspect (s, &p, cmd);
    }
  if (check_stdio (s, &p, at_exec ? "exec" : "recheck"))
    return;
  if (coi_proc_is_relay (&p))
    {
      refresh_socks (s, true);
      struct coi_proc *procs = NULL;
      size_t n = read_procs (s, &procs);
      check_relay (s, &p, procs, n);
      free (procs);
      return;
    }
  if (coi_proc_is_shell (&p))
    check_ancestors (s, &p);
}

void sup_check_suspects (struct sup *s, bool final_only)
{
  struct timespec now;
  sup_now (&now);
  size_t keep = 0;
  for (size_t i = 0; i < s->nsuspects && !s->done; i++)
    {
      struct sup_suspect *x = &s->suspects[i];
      struct coi_proc p;
      bool alive = coi_proc_read (x->pid, true, &p) == 0 && p.start == x->start;
      bool expired = sup_elapsed (&x->since, &now) * 1000 >= SUP_SUSPECT_MS;
      if (alive && !final_only)
        {
          unsigned long before = s->threat_seq;
          sup_check_process (s, x->pid, false);
          if (s->threat_seq != before)
            continue; /* confirmed and reported */
        }
      if (alive && !expired)
        {
          s->suspects[keep++] = *x;
          continue;
        }
      bool relay = false;
      struct coi_proc q = { .pid = x->pid };
      memcpy (q.comm, x->comm, sizeof q.comm);
      relay = coi_proc_is_relay (&q);
      struct coi_verdict v = coi_judge_cmdline (x->comm, x->cmdline, false);
      if (v.level < 0 && relay)
        continue; /* a relay tool without a reverse-shell command line: nothing seen */
      /* Unconfirmed: a warning either way.  A live one is still looked at
       * by every sweep, so a shell that gets its socket later is caught. */
      v.level = COI_LEVEL_WARNING;
      v.rule = "reverse-shell-pattern";
      v.reason = alive ? "command line of a reverse shell, not confirmed (still running)"
                       : "command line of a reverse shell, not confirmed";
      report_cmdline (s, alive ? &p : &q, x->cmdline, v);
    }
  s->nsuspects = s->done ? 0 : keep;
  sup_fast_timer (s, false);
}

static void check_connections (struct sup *s)
{
  /* conntrack reports new routed connections as they start; the dump then
   * only catches what it cannot see (loopback, same-bridge peers). */
  if (s->ct_fd >= 0 && s->sweeps % SUP_SOCKS_EVERY != 0)
    return;
  refresh_socks (s, false);
  for (size_t i = 0; i < s->socks.n && !s->done; i++)
    {
      const struct coi_sock *k = &s->socks.v[i];
      if (coi_sock_accepted (&s->socks, k))
        continue; /* someone connected to a server of the container: not its doing */
      struct coi_verdict v = coi_judge_sock (&s->net, k);
      if (v.level < 0)
        continue;
      char remote[64];
      coi_sock_format (&k->dst, k->dport, remote, sizeof remote);
      json_t *ev = json_pack ("{s:o, s:s, s:s}", "connection", sock_evidence (k), "reason", v.reason,
                              "remote_host", remote);
      char detail[96];
      snprintf (detail, sizeof detail, "remote:%s", remote);
      struct coi_threat t;
      if (coi_threat_set (&t, (enum coi_level) v.level, "network", v.rule, ev, detail, "Connection to %s: %s",
                          remote, v.reason)
          < 0)
        continue;
      sup_report (s, &t);
    }
}

static uint64_t read_sys_u64 (const char *veth, const char *counter)
{
  char path[160], buf[32];
  if (veth[0] == '\0')
    return 0;
  snprintf (path, sizeof path, "/sys/class/net/%s/statistics/%s", veth, counter);
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  return f && fgets (buf, sizeof buf, f) ? strtoull (buf, NULL, 10) : 0;
}

static double mb (uint64_t bytes)
{
  return (double) bytes / 1048576.0;
}

static void write_sample (struct sup *s, const struct coi_cgroup_stats *cs, uint64_t egress, uint64_t ingress)
{
  long established = 0;
  for (size_t i = 0; i < s->socks.n; i++)
    established += s->socks.v[i].state == 1 && s->socks.v[i].protocol == IPPROTO_TCP;
  /* Coarse values: a sample is written only when one of them moves. */
  _cleanup_json_ json_t *res = json_pack (
      "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "processes", (json_int_t) s->processes, "tasks",
      (json_int_t) cs->tasks, "cpu_seconds", (json_int_t) (cs->cpu_ns / 1000000000ULL), "memory_mb",
      (json_int_t) (cs->mem_bytes >> 24 << 4), "io_read_mb", (json_int_t) mb (cs->io_read_bytes), "io_write_mb",
      (json_int_t) mb (cs->io_write_bytes), "net_tx_mb", (json_int_t) mb (egress), "net_rx_mb",
      (json_int_t) mb (ingress), "tcp_established", (json_int_t) established);
  if (res == NULL || (s->last_sample && json_equal (res, s->last_sample)))
    return;
  if (s->last_sample)
    json_decref (s->last_sample);
  s->last_sample = json_incref (res);
  _cleanup_json_ json_t *f = json_pack ("{s:O}", "resources", res);
  _cleanup_error_ coi_error_t err = NULL;
  if (f == NULL || coi_audit_append (&s->audit, COI_AUDIT_SAMPLE, f, false, &err) < 0)
    coi_warn (s->sink, "audit sample: %s", err ? err->msg : "out of memory");
}

static void check_rates (struct sup *s)
{
  struct coi_cgroup_stats cs;
  coi_cgroup_stats (&s->cg, &cs);
  /* The host side's rx is what the container sent. */
  uint64_t egress = read_sys_u64 (s->veth, "rx_bytes"), ingress = read_sys_u64 (s->veth, "tx_bytes");
  struct timespec now;
  sup_now (&now);
  struct sup_counters cur = { true, now, cs.io_read_bytes, cs.io_write_bytes, egress, ingress, cs.fork_failures,
                              s->spawned_total };
  if (s->last.valid && sup_elapsed (&s->last.at, &now) + 0.05 < s->spec->monitoring.poll_interval_sec)
    return;
  if (s->last.valid)
    {
      struct coi_rates r = {
        .interval_s = sup_elapsed (&s->last.at, &now),
        .read_bytes = cur.read_bytes - s->last.read_bytes,
        .write_bytes = cur.write_bytes - s->last.write_bytes,
        .egress_bytes = cur.egress_bytes - s->last.egress_bytes,
        .processes = s->processes,
        .spawned = cur.spawned_total - s->last.spawned_total,
        .fork_failures = cur.fork_failures - s->last.fork_failures,
      };
      struct coi_verdict v[5];
      int n = coi_judge_rates (&s->spec->monitoring, &s->rates, &r, v, 5);
      for (int i = 0; i < n && !s->done; i++)
        {
          json_t *ev = json_pack ("{s:f, s:f, s:f, s:f, s:I, s:I, s:I, s:I, s:I}", "interval_sec", r.interval_s,
                                  "read_mb", mb (r.read_bytes), "write_mb", mb (r.write_bytes), "egress_mb",
                                  mb (r.egress_bytes), "processes", (json_int_t) r.processes, "spawned",
                                  (json_int_t) r.spawned, "fork_failures", (json_int_t) r.fork_failures, "tasks",
                                  (json_int_t) cs.tasks, "tasks_max", (json_int_t) cs.tasks_max);
          struct coi_threat t;
          const char *cat = strcmp (v[i].rule, "egress") == 0 ? "network"
                            : strncmp (v[i].rule, "file", 4) == 0 ? "filesystem"
                                                                   : "process";
          if (coi_threat_set (&t, (enum coi_level) v[i].level, cat, v[i].rule, ev, NULL, "%s", v[i].reason) < 0)
            continue;
          sup_report (s, &t);
        }
    }
  s->last = cur;
  if (!s->done)
    write_sample (s, &cs, egress, ingress);
}

void sup_sweep (struct sup *s)
{
  s->sweeps++;
  if (s->sweeps % SUP_STATUS_EVERY == 0 || s->status_dirty)
    {
      _cleanup_error_ coi_error_t err = NULL;
      if (sup_refresh_status (s, &err) < 0)
        coi_warn (s->sink, "%s", err->msg);
    }
  /* A frozen container is still looked at (its /proc reads fine): a paused
   * reverse shell must still be killed. */
  bool running = strcmp (s->status, "Running") == 0;
  if (s->done || !s->monitoring || (!running && strcmp (s->status, "Frozen") != 0))
    return;
  if (s->cg_ok && coi_cgroup_pids (&s->cg, &s->pids, &s->npids, &s->pids_cap) == 0)
    {
      s->processes = (long) s->npids;
      long fresh = 0;
      for (size_t i = 0; i < s->npids; i++)
        fresh += !coi_pidset_has (&s->prev, s->pids[i]);
      /* Without fork events, new pids between sweeps are the spawn count
       * (short-lived ones are missed: a fork bomb's are not). */
      if (!s->fork_events && s->prev.live > 0)
        s->spawned_total += fresh;
      coi_pidset_reset (&s->prev);
      coi_pidset_reset (&s->known);
      for (size_t i = 0; i < s->npids; i++)
        {
          coi_pidset_add (&s->prev, s->pids[i]);
          coi_pidset_add (&s->known, s->pids[i]);
        }
    }
  _cleanup_free_ struct coi_proc *procs = NULL;
  size_t n = read_procs (s, &procs);
  for (size_t i = 0; i < n && !s->done; i++)
    if (check_stdio (s, &procs[i], "sweep"))
      break; /* one reverse shell is enough to act on; the rest go with it */
  for (size_t i = 0; i < n && !s->done; i++)
    if (coi_proc_is_relay (&procs[i]))
      {
        refresh_socks (s, false);
        if (check_relay (s, &procs[i], procs, n))
          break;
      }
  if (s->done || !running)
    return;
  check_connections (s);
  if (s->fan_fd >= 0 && s->sweeps % SUP_REARM_EVERY == 0)
    {
      int marks;
      coi_fanwatch_arm (s->fan_fd, s->init_pid, &marks);
    }
  if (!s->done)
    check_rates (s);
}
