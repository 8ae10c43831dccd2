/* The guard's loop: the listening socket, its connections, signals, a
 * one-second tick, the Incus event stream and the supervisors' pidfds. */
#include "guard/server.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "guard/server_private.h"
#include "incus/remote.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"

#define MAX_CONNS 256

void guard_watch (struct guard *g, int fd)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
  if (fd >= 0 && epoll_ctl (g->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    coi_warn (g->sink, "epoll add: %s", strerror (errno));
}

static void unwatch (struct guard *g, int fd)
{
  if (fd >= 0)
    epoll_ctl (g->epfd, EPOLL_CTL_DEL, fd, NULL);
}

json_t *guard_fail (struct guard_call *call, enum coi_guard_kind kind, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  _cleanup_free_ char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  coi_error_release (&call->err);
  coi_error_make (&call->err, 0, "%s", msg ? msg : "out of memory");
  call->kind = kind;
  return NULL;
}

void guard_reply (struct guard *g, int conn_fd, json_t *reply, int fd)
{
  _cleanup_error_ coi_error_t err = NULL;
  if (reply == NULL || coi_guard_send (conn_fd, reply, fd, &err) < 0)
    coi_warn (g->sink, "reply not delivered: %s", err ? err->msg : "out of memory");
}

/* The caller, as the kernel names it.  Its state directory comes with each
 * request that needs one: files there are only ever opened as the caller. */
static int peer_of (int fd, struct guard_owner *o)
{
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt (fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
    return -1;
  memset (o, 0, sizeof *o);
  o->uid = cred.uid;
  o->gid = cred.gid;
  struct passwd pw, *res = NULL;
  char buf[4096];
  if (getpwuid_r (cred.uid, &pw, buf, sizeof buf, &res) == 0 && res)
    {
      snprintf (o->name, sizeof o->name, "%s", pw.pw_name);
      o->gid = pw.pw_gid;
    }
  else
    snprintf (o->name, sizeof o->name, "%u", (unsigned) cred.uid);
  return 0;
}

static void conn_close (struct guard *g, struct gconn *c)
{
  for (struct gconn **p = &g->conns; *p; p = &(*p)->next)
    if (*p == c)
      {
        *p = c->next;
        break;
      }
  for (struct gsession *s = g->sessions; s; s = s->next)
    {
      if (s->waiter == c->fd)
        s->waiter = -1;
      /* Its creator is gone: the next reserve of the name may take it over. */
      if (s->reserver == c)
        s->reserver = NULL;
    }
  unwatch (g, c->fd);
  close (c->fd);
  free (c);
}

static void on_accept (struct guard *g)
{
  int fd = accept4 (g->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0)
    return;
  size_t n = 0;
  for (struct gconn *c = g->conns; c; c = c->next)
    n++;
  struct gconn *c = n < MAX_CONNS ? calloc (1, sizeof *c) : NULL;
  if (c == NULL || peer_of (fd, &c->peer) < 0)
    {
      free (c);
      close (fd);
      return;
    }
  c->fd = fd;
  c->next = g->conns;
  g->conns = c;
  guard_watch (g, fd);
}

static void answer (struct guard *g, struct gconn *c, json_t *msg)
{
  int fd = -1;
  _cleanup_json_ json_t *reply = guard_answer (g, c, msg, &fd);
  if (reply)
    guard_reply (g, c->fd, reply, fd);
  if (fd >= 0)
    close (fd);
}

static void on_conn (struct guard *g, struct gconn *c)
{
  _cleanup_json_ json_t *msg = NULL;
  _cleanup_close_ int fd = -1;
  _cleanup_error_ coi_error_t err = NULL;
  int r = coi_guard_recv (c->fd, &msg, &fd, &err);
  if (r == 0 || (r < 0 && (err->status == EAGAIN || err->status == EWOULDBLOCK)))
    {
      if (r == 0)
        conn_close (g, c);
      return;
    }
  if (r < 0)
    {
      /* A message that is not one: say so, and keep the connection. */
      _cleanup_json_ json_t *reply = coi_guard_reply_error (COI_GUARD_INVALID, err->msg);
      guard_reply (g, c->fd, reply, -1);
      return;
    }
  /* No request takes a descriptor: one that came along is closed. */
  answer (g, c, msg);
}

static int open_listen (struct guard *g, const char *group, coi_error_t *err)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf (a.sun_path, sizeof a.sun_path, "%s", g->where.socket);
  /* The lock is ours: a socket file there is a dead guard's. */
  if (unlink (a.sun_path) < 0 && errno != ENOENT)
    return coi_error_errno (err, errno, "remove the old socket %s", a.sun_path);
  g->listen_fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (g->listen_fd < 0)
    return coi_error_errno (err, errno, "guard socket");
  mode_t old = umask (0177);
  int r = bind (g->listen_fd, (struct sockaddr *) &a, sizeof a);
  umask (old);
  if (r < 0)
    return coi_error_errno (err, errno, "bind %s", a.sun_path);
  struct group gr, *res = NULL;
  char buf[4096];
  if (getgrnam_r (group ? group : "incus-admin", &gr, buf, sizeof buf, &res) != 0 || res == NULL)
    return coi_error_make (err, ENOENT, "guard socket: no group %s", group ? group : "incus-admin");
  if (chown (a.sun_path, 0, gr.gr_gid) < 0 || chmod (a.sun_path, 0660) < 0)
    return coi_error_errno (err, errno, "guard socket %s: set owner", a.sun_path);
  if (listen (g->listen_fd, 64) < 0)
    return coi_error_errno (err, errno, "listen on %s", a.sun_path);
  return 0;
}

static int take_lock (struct guard *g, coi_error_t *err)
{
  char path[sizeof g->where.state_dir + 16];
  snprintf (path, sizeof path, "%s/guard.lock", g->where.state_dir);
  g->lock_fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (g->lock_fd < 0)
    return coi_error_errno (err, errno, "open %s", path);
  if (flock (g->lock_fd, LOCK_EX | LOCK_NB) < 0)
    {
      if (errno == EWOULDBLOCK)
        return coi_error_make (err, EBUSY, "another guard service already serves this Incus server (%s)",
                               g->where.socket);
      return coi_error_errno (err, errno, "lock %s", path);
    }
  return 0;
}

static int make_dirs (struct guard *g, coi_error_t *err)
{
  char sessions[sizeof g->where.state_dir + 16];
  snprintf (sessions, sizeof sessions, "%s/sessions", g->where.state_dir);
  if (coi_mkdir_p (sessions, 0700, err) < 0)
    return -1;
  /* The socket's directory must be reachable by the group's members. */
  _cleanup_free_ char *sockdir = strdup (g->where.socket);
  if (sockdir == NULL)
    return coi_error_errno (err, ENOMEM, "guard directories");
  char *slash = strrchr (sockdir, '/');
  if (slash && slash != sockdir)
    {
      *slash = '\0';
      if (coi_mkdir_p (sockdir, 0755, err) < 0)
        return -1;
      chmod (sockdir, 0755);
    }
  return 0;
}

static int open_incus (struct guard *g, const char *project, struct incus_client **out, coi_error_t *err)
{
  struct incus_endpoint ep = {
    .name = (char *) "local",
    .unix_path = (char *) (g->incus_socket ? g->incus_socket : COI_GUARD_DEFAULT_INCUS_SOCKET),
  };
  return incus_client_open_endpoint (out, &ep, project, err);
}

struct incus_client *guard_incus (struct guard *g, const char *project, coi_error_t *err)
{
  if (project == NULL || strcmp (project, "default") == 0)
    return g->incus;
  for (struct gproject *p = g->projects; p; p = p->next)
    if (strcmp (p->name, project) == 0)
      return p->incus;
  struct gproject *p = calloc (1, sizeof *p);
  if (p == NULL)
    {
      coi_error_errno (err, ENOMEM, "Incus client for project %s", project);
      return NULL;
    }
  snprintf (p->name, sizeof p->name, "%s", project);
  if (open_incus (g, project, &p->incus, err) < 0)
    {
      free (p);
      return NULL;
    }
  p->next = g->projects;
  g->projects = p;
  return p->incus;
}

bool guard_other_project (struct guard_call *call, const struct gsession *s, const char *project)
{
  if (s == NULL || strcmp (s->project, project) == 0)
    return false;
  guard_fail (call, COI_GUARD_BUSY, "%s is guarded in project %s", s->container, s->project);
  return true;
}

static int setup (struct guard *g, const struct coi_guard_server_opts *o, coi_error_t *err)
{
  if (geteuid () != 0)
    return coi_error_make (err, EPERM, "the guard service must run as root");
  if (coi_guard_where_for (o->incus_socket, o->socket_override, &g->where, err) < 0
      || make_dirs (g, err) < 0 || take_lock (g, err) < 0 || open_incus (g, NULL, &g->incus, err) < 0)
    return -1;
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGHUP);
  sigaddset (&set, SIGPIPE);
  sigaddset (&set, SIGCHLD);
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    return coi_error_errno (err, errno, "block signals");
  g->sigfd = signalfd (-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  g->tick_fd = timerfd_create (CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  g->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (g->sigfd < 0 || g->tick_fd < 0 || g->epfd < 0)
    return coi_error_errno (err, errno, "guard loop");
  struct itimerspec it = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
  if (timerfd_settime (g->tick_fd, 0, &it, NULL) < 0)
    return coi_error_errno (err, errno, "guard tick");
  if (gsession_load_all (g, err) < 0 || open_listen (g, o->group, err) < 0)
    return -1;
  guard_watch (g, g->listen_fd);
  guard_watch (g, g->sigfd);
  guard_watch (g, g->tick_fd);
  return 0;
}

static void on_signal (struct guard *g)
{
  struct signalfd_siginfo si;
  while (read (g->sigfd, &si, sizeof si) == (ssize_t) sizeof si)
    if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
      g->stopping = true;
}

static void on_tick (struct guard *g)
{
  uint64_t n;
  if (read (g->tick_fd, &n, sizeof n) < 0)
    return;
  if (g->events == NULL && coi_now_ms () >= g->events_retry_ms)
    {
      _cleanup_error_ coi_error_t err = NULL;
      if (guard_events_connect (g, &err) < 0)
        g->events_retry_ms = coi_now_ms () + 2000;
      else
        guard_watch (g, incus_ws_fd (g->events));
    }
  guard_reconcile (g);
}

static int on_events_message (void *user, const struct incus_ws_event *ev, coi_error_t *err)
{
  (void) err;
  json_error_t je;
  _cleanup_json_ json_t *j = json_loadb (ev->data, ev->len, 0, &je);
  if (j)
    guard_on_event (user, j);
  return 0;
}

static void on_events (struct guard *g)
{
  _cleanup_error_ coi_error_t err = NULL;
  int r = incus_ws_pump (g->events, on_events_message, g, &err);
  if (r != 0)
    {
      coi_warn (g->sink, "Incus event stream ended%s%s: reconnecting", r < 0 ? ": " : "",
                r < 0 ? err->msg : "");
      unwatch (g, incus_ws_fd (g->events));
      incus_ws_free (g->events);
      g->events = NULL;
      g->events_retry_ms = coi_now_ms () + 500;
    }
}

static bool dispatch_session_fd (struct guard *g, int fd)
{
  for (struct gsession *s = g->sessions; s; s = s->next)
    {
      if (fd >= 0 && fd == s->ready_fd)
        {
          guard_supervisor_ready (g, s);
          return true;
        }
      if (fd >= 0 && fd == s->sup_pidfd)
        {
          guard_supervisor_exited (g, s);
          return true;
        }
    }
  return false;
}

static void dispatch (struct guard *g, int fd)
{
  if (fd == g->listen_fd)
    on_accept (g);
  else if (fd == g->sigfd)
    on_signal (g);
  else if (fd == g->tick_fd)
    on_tick (g);
  else if (g->events && fd == incus_ws_fd (g->events))
    on_events (g);
  else if (!dispatch_session_fd (g, fd))
    for (struct gconn *c = g->conns; c; c = c->next)
      if (c->fd == fd)
        {
          on_conn (g, c);
          break;
        }
}

static void release (struct guard *g)
{
  while (g->conns)
    conn_close (g, g->conns);
  while (g->sessions)
    {
      struct gsession *s = g->sessions;
      g->sessions = s->next;
      gsession_free (s);
    }
  if (g->events)
    incus_ws_free (g->events);
  if (g->incus)
    incus_client_free (g->incus);
  while (g->projects)
    {
      struct gproject *p = g->projects;
      g->projects = p->next;
      incus_client_free (p->incus);
      free (p);
    }
  int *fds[] = { &g->listen_fd, &g->epfd, &g->sigfd, &g->tick_fd, &g->lock_fd };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0)
      close (*fds[i]);
}

int coi_guard_serve (const struct coi_guard_server_opts *o, coi_error_t *err)
{
  struct guard g = { .listen_fd = -1, .epfd = -1, .sigfd = -1, .tick_fd = -1, .lock_fd = -1 };
  g.sink = o->sink;
  g.coi_binary = o->coi_binary;
  g.incus_socket = o->incus_socket;
  if (setup (&g, o, err) < 0)
    {
      release (&g);
      return -1;
    }
  coi_info (g.sink, "guard serving %s on %s (table inet %s)",
            g.incus_socket ? g.incus_socket : COI_GUARD_DEFAULT_INCUS_SOCKET, g.where.socket,
            g.where.site.table);
  _cleanup_error_ coi_error_t e2 = NULL;
  if (guard_events_connect (&g, &e2) == 0)
    guard_watch (&g, incus_ws_fd (g.events));
  else
    coi_warn (g.sink, "Incus event stream: %s (retrying)", e2->msg);
  guard_reconcile (&g);
  while (!g.stopping)
    {
      struct epoll_event evs[32];
      int n = epoll_wait (g.epfd, evs, 32, -1);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          coi_error_errno (err, errno, "guard loop");
          release (&g);
          return -1;
        }
      for (int i = 0; i < n && !g.stopping; i++)
        dispatch (&g, evs[i].data.fd);
    }
  /* Rules, reservations and supervisors stay: a restarted guard carries on
     from the records. */
  coi_info (g.sink, "guard stopping; sessions stay guarded by their rules and supervisors");
  unlink (g.where.socket);
  release (&g);
  return 0;
}
