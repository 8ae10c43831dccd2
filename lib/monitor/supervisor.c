/* The supervisor's life: take the container's lock, arm the monitors,
 * answer the launcher, then wait on one epoll set for kernel events,
 * timers and signals until the session ends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "monitor/alerts.h"
#include "monitor/cnproc.h"
#include "monitor/ctevents.h"
#include "monitor/fanwatch.h"
#include "monitor/paths.h"
#include "monitor/supervisor_private.h"
#include "netpolicy/netlog.h"
#include "util/asuser.h"
#include "util/cleanup.h"
#include "util/sink.h"

static void ready (int *fd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void ready (int *fd, const char *fmt, ...)
{
  if (*fd < 0)
    return;
  char msg[512];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (msg, sizeof msg - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    n = 0;
  if ((size_t) n > sizeof msg - 2)
    n = (int) sizeof msg - 2;
  for (int i = 0; i < n; i++)
    if (msg[i] == '\n')
      msg[i] = ' ';
  msg[n++] = '\n';
  ssize_t ignored = write (*fd, msg, (size_t) n);
  (void) ignored;
  close (*fd);
  *fd = -1;
}

/* 0 with *out the locked fd; 1 when another process holds it (*holder). */
static int take_lock (const char *path, int *out, pid_t *holder, coi_error_t *err)
{
  for (int attempt = 0; attempt < 3; attempt++)
    {
      _cleanup_close_ int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
      if (fd < 0)
        return coi_error_errno (err, errno, "open lock %s", path);
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
      if (fcntl (fd, F_SETLK, &fl) < 0)
        {
          if (errno != EAGAIN && errno != EACCES)
            return coi_error_errno (err, errno, "lock %s", path);
          struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
          *holder = fcntl (fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK ? q.l_pid : 0;
          return 1;
        }
      /* The previous holder may have unlinked the file between our open and
       * our lock: only a lock on the file that is at the path counts. */
      struct stat a, b;
      if (fstat (fd, &a) < 0 || stat (path, &b) < 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev)
        continue;
      char pid[32];
      int n = snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
      if (ftruncate (fd, 0) < 0 || pwrite (fd, pid, (size_t) n, 0) != n)
        return coi_error_errno (err, errno, "write lock %s", path);
      *out = steal_fd (&fd);
      return 0;
    }
  return coi_error_make (err, EAGAIN, "lock %s: it keeps being replaced", path);
}

static void watch (struct sup *s, int fd)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
  if (fd >= 0 && epoll_ctl (s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    coi_warn (s->sink, "epoll add: %s", strerror (errno));
}

static int periodic (long ms)
{
  int fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  struct itimerspec it = { .it_interval = { ms / 1000, (ms % 1000) * 1000000L },
                           .it_value = { ms / 1000, (ms % 1000) * 1000000L } };
  if (fd >= 0 && ms > 0 && timerfd_settime (fd, 0, &it, NULL) < 0)
    {
      close (fd);
      return -1;
    }
  return fd;
}

/* max_duration counts from the session's start, in wall-clock time, so a
 * supervisor restarted later still ends the session on time. */
static void arm_deadline (struct sup *s)
{
  struct itimerspec it = { 0 };
  if (s->spec->max_duration_sec > 0)
    {
      time_t start = s->spec->started_at ? s->spec->started_at : time (NULL);
      it.it_value.tv_sec = start + s->spec->max_duration_sec;
    }
  if (s->deadline_tfd >= 0 && timerfd_settime (s->deadline_tfd, TFD_TIMER_ABSTIME, &it, NULL) < 0)
    coi_warn (s->sink, "deadline timer: %s", strerror (errno));
}

static void open_kernel_monitors (struct sup *s)
{
  if (!s->spec->monitoring.enabled)
    return;
  if (!s->host_local)
    {
      s->degraded = "the Incus server is remote: only the time limit and cleanup are supervised";
      return;
    }
  if (!s->privileged)
    {
      s->degraded = "not root: no process, socket or file monitors (run coi as root for them)";
      return;
    }
  _cleanup_error_ coi_error_t err = NULL;
  bool exec_only = false;
  if (coi_cnproc_open (&s->cn_fd, &exec_only, &err) == 0)
    s->fork_events = !exec_only;
  else
    {
      coi_warn (s->sink, "%s (falling back to the 1 s sweep)", err->msg);
      s->degraded = "no proc connector: processes are seen by the 1 s sweep only";
      coi_error_release (&err);
    }
  if (coi_ctevents_open (&s->ct_fd, &err) < 0)
    {
      coi_warn (s->sink, "%s", err->msg);
      coi_error_release (&err);
    }
  if (coi_fanwatch_open (&s->fan_fd, &err) < 0)
    {
      coi_warn (s->sink, "%s", err->msg);
      coi_error_release (&err);
    }
  watch (s, s->cn_fd);
  watch (s, s->ct_fd);
  watch (s, s->fan_fd);
}

/* Without [monitoring] the supervisor still records what the firewall
 * blocked (and alerts), but pauses and kills nothing: nobody asked it to. */
static void responder_actions (struct sup *s)
{
  const struct coi_monitor_settings *m = &s->spec->monitoring;
  s->resp.auto_pause_on_high = m->enabled && m->auto_pause_on_high;
  s->resp.auto_kill_on_critical = m->enabled && m->auto_kill_on_critical;
}

static void reload_spec (struct sup *s)
{
  _cleanup_guard_spec_ struct coi_guard_spec fresh;
  coi_guard_spec_init (&fresh);
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_guard_spec_load (s->spec_path, &fresh, &err) < 0 || strcmp (fresh.container, s->spec->container) != 0)
    {
      coi_warn (s->sink, "reload: %s", err ? err->msg : "the spec names another container");
      return;
    }
  /* Keep the identity; take the thresholds, limits and time limit. */
  s->spec->monitoring = fresh.monitoring;
  s->spec->max_duration_sec = fresh.max_duration_sec;
  s->spec->started_at = fresh.started_at;
  s->spec->auto_stop = fresh.auto_stop;
  s->spec->stop_graceful = fresh.stop_graceful;
  s->spec->ephemeral = fresh.ephemeral;
  responder_actions (s);
  arm_deadline (s);
  _cleanup_json_ json_t *d = coi_guard_spec_to_json (s->spec);
  sup_lifecycle (s, "spec_reloaded", d);
}

static void on_signal (struct sup *s)
{
  struct signalfd_siginfo si;
  while (read (s->sigfd, &si, sizeof si) == sizeof si)
    {
      if (si.ssi_signo == SIGHUP)
        reload_spec (s);
      else if (si.ssi_signo == SIGUSR1)
        {
          _cleanup_error_ coi_error_t err = NULL;
          if (sup_refresh_status (s, &err) < 0)
            coi_warn (s->sink, "%s", err->msg);
        }
      else
        {
          _cleanup_json_ json_t *d = json_pack ("{s:i}", "signal", (int) si.ssi_signo);
          sup_lifecycle (s, "supervisor_signalled", d);
          s->done = true; /* leave the container as it is */
        }
    }
}

static void drain (int fd)
{
  uint64_t n;
  while (read (fd, &n, sizeof n) == sizeof n)
    ;
}

static void dispatch (struct sup *s, int fd)
{
  if (fd == s->sigfd)
    on_signal (s);
  else if (fd == s->sweep_tfd)
    {
      drain (fd);
      sup_sweep (s);
      sup_nflog_flush (s, false);
    }
  else if (fd == s->fast_tfd)
    {
      drain (fd);
      sup_check_suspects (s, false);
      if (!s->done)
        sup_flush_pending (s, false);
    }
  else if (fd == s->deadline_tfd)
    {
      drain (fd);
      sup_expire (s);
    }
  else if (fd == s->cn_fd)
    sup_on_cnproc (s);
  else if (fd == s->ct_fd)
    sup_on_conntrack (s);
  else if (fd == s->fan_fd)
    sup_on_fanotify (s);
  else if (fd == s->nf_fd)
    sup_on_nflog (s);
  else if (fd == s->dns_fd)
    sup_on_dns (s);
  else if (fd == s->pidfd)
    {
      /* init exited: stopped, restarting or deleted; Incus knows which. */
      coi_warn (s->sink, "init %d of %s exited", (int) s->init_pid, s->spec->container);
      close (s->pidfd);
      s->pidfd = -1;
      s->init_pid = 0;
      _cleanup_error_ coi_error_t err = NULL;
      if (sup_refresh_status (s, &err) < 0)
        coi_warn (s->sink, "%s", err->msg);
    }
}

static void close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

static void sup_release (struct sup *s)
{
  sup_disarm (s);
  sup_nflog_close (s);
  for (size_t i = 0; i < s->npending; i++)
    coi_threat_clear (&s->pending[i]);
  int *fds[] = { &s->epfd, &s->sigfd, &s->sweep_tfd, &s->fast_tfd, &s->deadline_tfd,
                 &s->cn_fd, &s->ct_fd, &s->fan_fd, &s->nf_fd, &s->dns_fd };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    close_fd (fds[i]);
  coi_audit_close (&s->audit);
  coi_responder_clear (&s->resp);
  coi_pidset_free (&s->known);
  coi_pidset_free (&s->prev);
  coi_socktab_free (&s->socks);
  coi_exe_catalog_free (&s->shells);
  free (s->pids);
  if (s->last_sample)
    json_decref (s->last_sample);
  free (s->alerts_path);
  free (s->spec_path);
  free (s->run_dir);
  if (s->alerts_fd >= 0)
    close (s->alerts_fd);
  if (s->client)
    incus_client_free (s->client);
}

/* Remove the run files of a session that is over (the log stays for
 * reading).  The lock goes last, while we still hold it. */
static void remove_run_files (const char *run_dir, const char *container)
{
  static const char *const suffixes[] = { COI_RUN_SPEC, COI_RUN_LOCK };
  for (size_t i = 0; i < 2; i++)
    {
      _cleanup_free_ char *p = NULL;
      if (asprintf (&p, "%s/%s%s", run_dir, container, suffixes[i]) >= 0)
        unlink (p);
    }
}

static bool for_another_user (const struct sup *s)
{
  return s->spec->owner.set && geteuid () == 0 && s->spec->owner.uid != 0;
}

int sup_open_user_file (struct sup *s, const char *path, int *fd, coi_error_t *err)
{
  const int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
  if (!for_another_user (s))
    return coi_netlog_open_fd (path, fd, err);
  const struct coi_spec_owner *o = &s->spec->owner;
  struct coi_user_id u = { .uid = o->uid, .gid = o->gid, .name = NULL };
  return coi_open_as (&u, path, flags, 0600, 1, fd, err);
}

struct prune
{
  const char *dir;
  int days;
};

static int prune_as_owner (void *data)
{
  struct prune *p = data;
  int removed = 0;
  _cleanup_error_ coi_error_t err = NULL;
  return coi_audit_prune (p->dir, p->days, time (NULL), &removed, &err) < 0 ? 1 : 0;
}

/* The audit log, the alerts file and old audit logs, all of them the
 * owner's: under the owner's ~/.coi when the spec names it. */
static int open_user_files (struct sup *s, coi_error_t *err)
{
  const struct coi_guard_spec *g = s->spec;
  _cleanup_free_ char *audit_path = NULL, *audit_dir = NULL;
  if (g->owner.set && g->owner.state_dir)
    {
      if (asprintf (&s->alerts_path, "%s/run/%s%s", g->owner.state_dir, g->container, COI_RUN_ALERTS) < 0
          || asprintf (&audit_dir, "%s/audit", g->owner.state_dir) < 0)
        return coi_error_errno (err, ENOMEM, "supervisor paths");
      int fd = -1;
      if (sup_open_user_file (s, s->alerts_path, &fd, err) < 0)
        return -1;
      s->alerts_fd = fd;
    }
  else if (coi_run_path (g->container, COI_RUN_ALERTS, &s->alerts_path, err) < 0
           || coi_audit_dir (&audit_dir, err) < 0)
    return -1;
  if (g->audit_log == NULL && coi_audit_path (g->container, &audit_path, err) < 0)
    return -1;
  int afd = -1;
  if (sup_open_user_file (s, g->audit_log ? g->audit_log : audit_path, &afd, err) < 0
      || coi_audit_open_fd (&s->audit, afd, g->container, err) < 0)
    return -1;
  struct prune p = { audit_dir, g->monitoring.audit_log_retention_days };
  _cleanup_error_ coi_error_t perr = NULL;
  int r = for_another_user (s)
              ? coi_run_as (&(struct coi_user_id) { g->owner.uid, g->owner.gid, NULL }, prune_as_owner, &p, &perr)
              : prune_as_owner (&p);
  if (r != 0)
    coi_warn (s->sink, "old audit logs in %s were not pruned", audit_dir);
  return 0;
}

static int setup (struct sup *s, coi_error_t *err)
{
  const struct coi_guard_spec *g = s->spec;
  if (open_user_files (s, err) < 0)
    return -1;
  if (incus_client_open (&s->client, g->remote, g->project, s->hooks ? s->hooks->env : NULL, err) < 0)
    return -1;
  s->host_local = incus_client_endpoint (s->client)->unix_path != NULL;
  s->privileged = geteuid () == 0;
  if (coi_netview_init (&s->net, g->network_mode, err) < 0)
    return -1;
  coi_responder_init (&s->resp, false, false, g->monitoring.dedupe_window_sec);
  responder_actions (s);
  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigaddset (&mask, SIGHUP);
  sigaddset (&mask, SIGUSR1);
  if (sigprocmask (SIG_BLOCK, &mask, NULL) < 0)
    return coi_error_errno (err, errno, "block signals");
  signal (SIGPIPE, SIG_IGN);
  s->sigfd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  s->epfd = epoll_create1 (EPOLL_CLOEXEC);
  s->sweep_tfd = periodic (SUP_SWEEP_MS);
  s->fast_tfd = periodic (0);
  s->deadline_tfd = timerfd_create (CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (s->sigfd < 0 || s->epfd < 0 || s->sweep_tfd < 0 || s->fast_tfd < 0 || s->deadline_tfd < 0)
    return coi_error_errno (err, errno, "set up the event loop");
  watch (s, s->sigfd);
  watch (s, s->sweep_tfd);
  watch (s, s->fast_tfd);
  watch (s, s->deadline_tfd);
  arm_deadline (s);
  open_kernel_monitors (s);
  return 0;
}

static void record_start (struct sup *s)
{
  const struct coi_guard_spec *g = s->spec;
  _cleanup_json_ json_t *d = json_pack ("{s:i, s:b, s:I, s:I, s:b, s:s?}", "supervisor_pid", (int) getpid (),
                                        "ephemeral", g->ephemeral, "started_at", (json_int_t) g->started_at,
                                        "max_duration_sec", (json_int_t) g->max_duration_sec, "monitoring",
                                        g->monitoring.enabled, "degraded", s->degraded);
  sup_lifecycle (s, s->hooks && s->hooks->restarted ? "supervisor_restarted" : "start", d);
  _cleanup_json_ json_t *p = json_pack ("{s:s, s:O?}", "network_mode", g->network_mode ? g->network_mode : "restricted",
                                        "allowed", g->allowed);
  sup_lifecycle (s, "policy", p);
  if (g->limits)
    sup_lifecycle (s, "limits", g->limits);
  _cleanup_json_ json_t *m = coi_monitor_settings_to_json (&g->monitoring);
  sup_lifecycle (s, "monitoring", m);
}

int coi_supervisor_main (const char *spec_path, int ready_fd, int nflog_fd, int dns_fd,
                         const struct coi_supervisor_hooks *hooks, coi_error_t *err)
{
  _cleanup_close_ int inherited = nflog_fd;
  _cleanup_close_ int dns_inherited = dns_fd;
  _cleanup_guard_spec_ struct coi_guard_spec spec;
  coi_guard_spec_init (&spec);
  if (coi_guard_spec_load (spec_path, &spec, err) < 0)
    {
      ready (&ready_fd, "ERR %s", (*err)->msg);
      return -1;
    }
  /* The lock and the log live beside the spec: the guard's session
     directory, or the user's run directory. */
  _cleanup_free_ char *run_dir = strdup (spec_path);
  _cleanup_free_ char *lock_path = NULL;
  char *slash = run_dir ? strrchr (run_dir, '/') : NULL;
  if (slash)
    *slash = '\0';
  if (run_dir == NULL || asprintf (&lock_path, "%s/%s%s", slash ? run_dir : ".", spec.container, COI_RUN_LOCK) < 0)
    {
      coi_error_errno (err, ENOMEM, "start supervisor");
      ready (&ready_fd, "ERR %s", (*err)->msg);
      return -1;
    }
  _cleanup_close_ int lock_fd = -1;
  pid_t holder = 0;
  int r = take_lock (lock_path, &lock_fd, &holder, err);
  if (r < 0)
    {
      ready (&ready_fd, "ERR %s", (*err)->msg);
      return -1;
    }
  if (r == 1)
    {
      /* Already guarded: the running supervisor takes the new spec. */
      if (holder > 0)
        kill (holder, SIGHUP);
      ready (&ready_fd, "BUSY %d", (int) holder);
      return 0;
    }
  struct sup s = { 0 };
  int *fds[] = { &s.epfd, &s.sigfd, &s.sweep_tfd, &s.fast_tfd, &s.deadline_tfd, &s.cn_fd, &s.ct_fd,
                 &s.fan_fd, &s.pidfd, &s.diag_fd, &s.nf_fd, &s.dns_fd };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    *fds[i] = -1;
  s.audit.fd = -1;
  s.netlog.fd = -1;
  s.alerts_fd = -1;
  s.run_dir = strdup (slash ? run_dir : ".");
  s.spec = &spec;
  s.hooks = hooks;
  s.sink = hooks ? hooks->sink : NULL;
  s.nf_fd = steal_fd (&inherited);
  s.dns_fd = steal_fd (&dns_inherited);
  s.spec_path = strdup (spec_path);
  if (s.spec_path == NULL || setup (&s, err) < 0)
    {
      if (s.spec_path == NULL)
        coi_error_errno (err, ENOMEM, "start supervisor");
      ready (&ready_fd, "ERR %s", (*err)->msg);
      sup_release (&s);
      return -1;
    }
  record_start (&s);
  sup_nflog_open (&s);
  watch (&s, s.nf_fd);
  sup_dns_open (&s);
  watch (&s, s.dns_fd);
  if (sup_refresh_status (&s, err) < 0)
    {
      ready (&ready_fd, "ERR %s", (*err)->msg);
      sup_release (&s);
      return -1;
    }
  ready (&ready_fd, "OK %d", (int) getpid ());
  while (!s.done)
    {
      struct epoll_event evs[16];
      int n = epoll_wait (s.epfd, evs, 16, -1);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          coi_error_errno (err, errno, "supervisor loop");
          sup_release (&s);
          return -1;
        }
      /* Exec events first: the shell behind a connection decides between
       * a pause and a kill. */
      for (int i = 0; i < n && !s.done; i++)
        if (evs[i].data.fd == s.cn_fd)
          dispatch (&s, evs[i].data.fd);
      for (int i = 0; i < n && !s.done; i++)
        if (evs[i].data.fd != s.cn_fd)
          dispatch (&s, evs[i].data.fd);
    }
  _cleanup_json_ json_t *d = json_pack ("{s:i}", "exit_code", s.exit_code);
  sup_lifecycle (&s, "supervisor_exit", d);
  int code = s.exit_code;
  bool ended = s.ended;
  sup_release (&s);
  if (ended)
    remove_run_files (slash ? run_dir : ".", spec.container);
  return code;
}
