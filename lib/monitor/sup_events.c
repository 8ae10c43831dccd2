/* Kernel events: exec/fork/exit (cn_proc), new routed connections
 * (conntrack) and sensitive file access (fanotify). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/timerfd.h>

#include "monitor/cnproc.h"
#include "monitor/ctevents.h"
#include "monitor/fanwatch.h"
#include "monitor/supervisor_private.h"
#include "util/cleanup.h"
#include "util/sink.h"

/* Events lost to a full queue: sweep soon instead of waiting a second. */
static void sweep_soon (struct sup *s)
{
  struct itimerspec it = { .it_interval = { SUP_SWEEP_MS / 1000, (SUP_SWEEP_MS % 1000) * 1000000L },
                           .it_value = { 0, 1000000L } };
  if (s->sweep_tfd >= 0)
    timerfd_settime (s->sweep_tfd, 0, &it, NULL);
}

static void on_pev (const struct coi_pev *ev, void *data)
{
  struct sup *s = data;
  if (s->done || !s->monitoring)
    return;
  switch (ev->kind)
    {
    case COI_PEV_FORK:
      if (s->fork_events && ev->pid == ev->tgid && coi_pidset_has (&s->known, ev->parent_tgid))
        {
          coi_pidset_add (&s->known, ev->tgid);
          s->spawned_total++;
        }
      break;
    case COI_PEV_EXEC:
      if (!sup_in_container (s, ev->tgid))
        break;
      coi_pidset_add (&s->known, ev->tgid);
      sup_check_process (s, ev->tgid, true);
      break;
    case COI_PEV_EXIT:
      if (ev->pid == ev->tgid)
        coi_pidset_del (&s->known, ev->tgid);
      break;
    }
}

void sup_on_cnproc (struct sup *s)
{
  bool lost = false;
  if (coi_cnproc_read (s->cn_fd, on_pev, s, &lost) < 0)
    coi_warn (s->sink, "proc connector: %s", strerror (errno));
  if (lost)
    sweep_soon (s);
}

static void on_flow (const struct coi_flow *f, void *data)
{
  struct sup *s = data;
  if (s->done || s->net.self == 0 || f->src != s->net.self)
    return;
  struct coi_verdict v = coi_judge_flow (&s->net, f->protocol, f->dst, f->sport, f->dport);
  if (v.level < 0)
    return;
  char dst[INET_ADDRSTRLEN], remote[64];
  struct in_addr a = { htonl (f->dst) };
  inet_ntop (AF_INET, &a, dst, sizeof dst);
  snprintf (remote, sizeof remote, "%s:%u", dst, f->dport);
  const char *proto = f->protocol == IPPROTO_TCP ? "tcp" : f->protocol == IPPROTO_UDP ? "udp" : "other";
  json_t *ev = json_pack ("{s:{s:s, s:s, s:s}, s:s, s:s}", "connection", "protocol", proto, "remote", remote,
                          "state", "NEW", "reason", v.reason, "remote_host", remote);
  char detail[96];
  snprintf (detail, sizeof detail, "remote:%s", remote);
  struct coi_threat t;
  if (coi_threat_set (&t, (enum coi_level) v.level, "network", v.rule, ev, detail, "Connection to %s: %s", remote,
                      v.reason)
      < 0)
    return;
  sup_report (s, &t);
}

void sup_on_conntrack (struct sup *s)
{
  bool lost = false;
  if (coi_ctevents_read (s->ct_fd, on_flow, s, &lost) < 0)
    coi_warn (s->sink, "conntrack events: %s", strerror (errno));
  if (lost)
    sweep_soon (s);
}

static bool comm_in (const char *comm, const char *const *names)
{
  for (; *names; names++)
    if (strcmp (comm, *names) == 0)
      return true;
  return false;
}

/* How bad an access is, by file and by who did it (programs whose job it is
 * to read or write the file are not findings). */
static struct coi_verdict judge_file (const char *path, bool write, const char *comm)
{
  static const char *const auth[] = { "unix_chkpwd", "sudo", "su", "login", "passwd", "chage", "sshd", "useradd",
                                      "usermod", "userdel", "groupadd", "groupmod", "chpasswd", "pwck", "grpck",
                                      "newusers", "systemd-sysuser", "gpasswd", "chsh", "chfn", "cron", NULL };
  static const char *const sudoers[] = { "sudo", "visudo", "sudoedit", "sudoreplay", NULL };
  static const char *const ssh[] = { "sshd", "ssh", "ssh-add", "ssh-keygen", "ssh-agent", "git", "scp", "sftp", NULL };
  bool is_shadow = strstr (path, "shadow") != NULL;
  bool is_sudoers = strstr (path, "sudoers") != NULL;
  bool is_authkeys = strstr (path, "authorized_keys") != NULL;
  if (is_shadow)
    {
      if (comm_in (comm, auth))
        return COI_NO_VERDICT;
      return write ? (struct coi_verdict) { COI_LEVEL_HIGH, "shadow-write", "password hashes modified" }
                   : (struct coi_verdict) { COI_LEVEL_HIGH, "shadow-read", "password hashes read" };
    }
  if (is_sudoers)
    {
      if (write)
        return (struct coi_verdict) { COI_LEVEL_CRITICAL, "sudoers-write", "sudo rules modified" };
      return comm_in (comm, sudoers) ? COI_NO_VERDICT
                                     : (struct coi_verdict) { COI_LEVEL_WARNING, "sudoers-read", "sudo rules read" };
    }
  if (is_authkeys)
    {
      if (write)
        return (struct coi_verdict) { COI_LEVEL_CRITICAL, "authorized-keys-write", "SSH login keys modified" };
      return comm_in (comm, ssh) ? COI_NO_VERDICT
                                 : (struct coi_verdict) { COI_LEVEL_WARNING, "authorized-keys-read",
                                                          "SSH login keys read" };
    }
  /* Private keys under .ssh. */
  if (write || comm_in (comm, ssh))
    return COI_NO_VERDICT;
  return (struct coi_verdict) { COI_LEVEL_HIGH, "ssh-key-read", "an SSH private key read" };
}

static void on_file (const struct coi_fan_event *e, void *data)
{
  struct sup *s = data;
  if (s->done || !sup_in_container (s, e->pid))
    return;
  struct coi_proc p;
  if (coi_proc_read (e->pid, false, &p) < 0)
    {
      memset (&p, 0, sizeof p);
      p.pid = e->pid;
      snprintf (p.comm, sizeof p.comm, "?");
    }
  struct coi_verdict v = judge_file (e->path, e->write, p.comm);
  if (v.level < 0)
    return;
  char cmd[512];
  if (coi_proc_cmdline (e->pid, cmd, sizeof cmd) < 0)
    cmd[0] = '\0';
  json_t *ev = json_pack ("{s:o, s:s, s:s}", "process", sup_process_evidence (&p, cmd), "path", e->path, "access",
                          e->write ? "write" : "read");
  char detail[320];
  snprintf (detail, sizeof detail, "path:%s comm:%s", e->path, p.comm);
  struct coi_threat t;
  if (coi_threat_set (&t, (enum coi_level) v.level, "filesystem", v.rule, ev, detail, "%s: %s by %s (pid %d)",
                      v.reason, e->path, p.comm, (int) p.pid)
      < 0)
    return;
  sup_report (s, &t);
}

void sup_on_fanotify (struct sup *s)
{
  if (coi_fanwatch_read (s->fan_fd, on_file, s) < 0)
    coi_warn (s->sink, "fanotify: %s", strerror (errno));
}
