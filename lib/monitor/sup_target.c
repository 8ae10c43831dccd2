/* The guarded container: its status, where its processes and sockets are
 * (re-found after a restart), and the actions taken on it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "incus/instance.h"
#include "monitor/fanwatch.h"
#include "monitor/supervisor_private.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/sink.h"

const char *coi_end_reason_name (enum coi_end_reason r)
{
  switch (r)
    {
    case COI_END_STOPPED:
      return "stopped";
    case COI_END_GONE:
      return "gone";
    case COI_END_KILLED:
      return "killed";
    case COI_END_EXPIRED:
      return "max_duration";
    }
  return "unknown";
}

/* The default route's gateway of the container, from its netns' routing table. */
static uint32_t default_gateway (pid_t pid)
{
  char path[64], line[256];
  snprintf (path, sizeof path, "/proc/%d/net/route", (int) pid);
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  while (f && fgets (line, sizeof line, f))
    {
      char ifname[32];
      unsigned dest, gw;
      if (sscanf (line, "%31s %x %x", ifname, &dest, &gw) == 3 && dest == 0 && gw != 0)
        return ntohl (gw); /* the file prints addresses in network byte order as hex */
    }
  return 0;
}

static void epoll_watch (struct sup *s, int fd)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
  if (fd >= 0 && epoll_ctl (s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
    coi_warn (s->sink, "epoll add: %s", strerror (errno));
}

void sup_disarm (struct sup *s)
{
  if (s->pidfd >= 0)
    close (s->pidfd); /* closing also removes it from the epoll set */
  if (s->diag_fd >= 0)
    close (s->diag_fd);
  s->pidfd = s->diag_fd = -1;
  coi_cgroup_clear (&s->cg);
  s->cg_ok = false;
  s->monitoring = false;
  s->init_pid = 0;
}

/* Read init pid, veth and address from the state API (only after a start). */
static int read_state (struct sup *s, coi_error_t *err)
{
  _cleanup_json_ json_t *st = NULL;
  if (incus_instance_state (s->client, s->spec->container, &st, err) < 0)
    return -1;
  s->init_pid = (pid_t) json_integer_value (json_object_get (st, "pid"));
  const char *veth = json_string_value (
      json_object_get (json_object_get (json_object_get (st, "network"), "eth0"), "host_name"));
  snprintf (s->veth, sizeof s->veth, "%s", veth ? veth : "");
  const char *ip = incus_state_ipv4 (st, "eth0");
  struct in_addr in;
  s->net.self = ip && inet_pton (AF_INET, ip, &in) == 1 ? ntohl (in.s_addr) : 0;
  return 0;
}

int sup_arm (struct sup *s)
{
  if (s->init_pid <= 0)
    return -1;
  json_t *monitors = json_array ();
  if (monitors == NULL)
    return -1;
  s->pidns = coi_proc_ns (s->init_pid, "pid");
  /* The init's pidfd turns readable when it exits: a stop is seen at once. */
  s->pidfd = (int) syscall (SYS_pidfd_open, s->init_pid, 0);
  epoll_watch (s, s->pidfd);
  if (s->spec->monitoring.enabled && s->host_local && s->privileged && s->pidns != 0)
    {
      _cleanup_error_ coi_error_t err = NULL;
      s->cg_ok = coi_cgroup_find (&s->cg, s->init_pid, s->spec->container, &err) == 0;
      if (s->cg_ok)
        json_array_append_new (monitors, json_string ("cgroup"));
      coi_error_release (&err);
      if (coi_sockdiag_open (s->init_pid, &s->diag_fd, &err) == 0)
        json_array_append_new (monitors, json_string ("sock_diag"));
      if (s->cn_fd >= 0)
        json_array_append_new (monitors, json_string ("cn_proc"));
      if (s->ct_fd >= 0 && s->net.self)
        json_array_append_new (monitors, json_string ("conntrack"));
      int marks = 0;
      if (s->fan_fd >= 0 && coi_fanwatch_arm (s->fan_fd, s->init_pid, &marks) == 0 && marks > 0)
        json_array_append_new (monitors, json_string ("fanotify"));
      s->net.gateway = default_gateway (s->init_pid);
      /* Before the agent runs anything: a shell it copies and then deletes
       * stays known. */
      if (sup_read_shells (s) > 0)
        json_array_append_new (monitors, json_string ("exe_identity"));
      coi_pidset_reset (&s->known);
      coi_pidset_reset (&s->prev);
      if (s->cg_ok && coi_cgroup_pids (&s->cg, &s->pids, &s->npids, &s->pids_cap) == 0)
        for (size_t i = 0; i < s->npids; i++)
          {
            coi_pidset_add (&s->known, s->pids[i]);
            coi_pidset_add (&s->prev, s->pids[i]);
          }
      s->last.valid = false;
      s->monitoring = true;
    }
  char self[INET_ADDRSTRLEN] = "", gw[INET_ADDRSTRLEN] = "";
  struct in_addr a = { htonl (s->net.self) }, g = { htonl (s->net.gateway) };
  inet_ntop (AF_INET, &a, self, sizeof self);
  inet_ntop (AF_INET, &g, gw, sizeof gw);
  _cleanup_json_ json_t *d = json_pack ("{s:i, s:s, s:s, s:s, s:o, s:s?}", "init_pid", (int) s->init_pid, "veth",
                                        s->veth, "ipv4", self, "gateway", gw, "monitors", monitors, "degraded",
                                        s->degraded);
  sup_lifecycle (s, s->monitoring ? "monitor_armed" : "monitor_off", d);
  return 0;
}

int sup_refresh_status (struct sup *s, coi_error_t *err)
{
  _cleanup_json_ json_t *inst = NULL;
  if (incus_instance_get (s->client, s->spec->container, &inst, err) < 0)
    {
      if ((*err)->status == 404)
        {
          coi_error_release (err);
          sup_end (s, COI_END_GONE);
          return 1;
        }
      return -1;
    }
  const char *st = json_string_value (json_object_get (inst, "status"));
  st = st ? st : "Unknown";
  s->status_dirty = false;
  bool was_frozen = strcmp (s->status, "Frozen") == 0;
  snprintf (s->status, sizeof s->status, "%s", st);
  if (strcmp (st, "Stopped") == 0)
    {
      sup_end (s, COI_END_STOPPED);
      return 1;
    }
  s->resp.paused = strcmp (st, "Frozen") == 0;
  if (was_frozen && strcmp (st, "Running") == 0)
    sup_lifecycle (s, "unfrozen", NULL);
  if (strcmp (st, "Running") != 0)
    return 0;
  /* A restart gives a new init: find the container again. */
  if (s->init_pid > 0 && s->pidns != 0 && coi_proc_ns (s->init_pid, "pid") == s->pidns)
    return 0;
  sup_disarm (s);
  /* Incus still says Running while it stops or restarts the container:
   * look again at the next sweep rather than at the next poll. */
  if (read_state (s, err) < 0 || s->init_pid <= 0 || kill (s->init_pid, 0) < 0)
    {
      s->status_dirty = true;
      s->init_pid = 0;
      if (*err)
        coi_error_release (err);
      return 0;
    }
  sup_arm (s);
  return 0;
}

/* PUT state, waiting at most SUP_ACTION_WAIT_S for the operation: a busy or
 * wedged server must not stop the supervisor from watching and ending. */
static int set_state (struct sup *s, const char *action, int timeout_s, bool force, coi_error_t *err)
{
  _cleanup_free_ char *name = incus_escape (s->spec->container);
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:i, s:b}", "action", action, "timeout", timeout_s, "force", force);
  if (name == NULL || body == NULL || asprintf (&path, "/1.0/instances/%s/state", name) < 0)
    return coi_error_errno (err, ENOMEM, "%s %s", action, s->spec->container);
  _cleanup_json_ json_t *op = NULL;
  if (incus_call_async (s->client, "PUT", path, body, &op, err) < 0)
    return coi_error_prefix (err, "%s %s", action, s->spec->container);
  const char *id = json_string_value (json_object_get (op, "id"));
  int wait = (timeout_s > 0 ? timeout_s : 0) + SUP_ACTION_WAIT_S;
  if (id == NULL || incus_operation_wait (s->client, id, wait, NULL, err) < 0)
    return id ? coi_error_prefix (err, "%s %s", action, s->spec->container)
              : coi_error_make (err, 0, "%s %s: no operation id", action, s->spec->container);
  return 0;
}

/* A guard-run supervisor records what it did beside its spec, so that the
 * guard keeps the container so across restarts of itself and of Incus,
 * until the owner lifts it (coi unfreeze). */
static void record_hold (struct sup *s, const char *action)
{
  if (!s->spec->owner.set || s->run_dir == NULL)
    return;
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ json_t *j = json_pack ("{s:s, s:I}", "action", action, "at", (json_int_t) time (NULL));
  _cleanup_free_ char *text = j ? json_dumps (j, JSON_COMPACT) : NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (text == NULL || asprintf (&path, "%s/%s.hold", s->run_dir, s->spec->container) < 0
      || coi_write_file_atomic (path, text, strlen (text), 0600, &err) < 0)
    coi_warn (s->sink, "cannot record the %s hold of %s", action, s->spec->container);
}

int sup_freeze (struct sup *s, coi_error_t *err)
{
  if (set_state (s, "freeze", -1, false, err) < 0)
    return -1;
  snprintf (s->status, sizeof s->status, "Frozen");
  record_hold (s, "paused");
  return 0;
}

int sup_kill (struct sup *s, coi_error_t *err)
{
  /* The v1 freezer keeps even SIGKILLed tasks frozen: thaw first. */
  if (strcmp (s->status, "Frozen") == 0)
    {
      _cleanup_error_ coi_error_t ignored = NULL;
      set_state (s, "unfreeze", -1, false, &ignored);
    }
  /* Incus takes over a second to stop a container; SIGKILL to its init
   * ends every process of the container's pid namespace at once.  Then
   * Incus stops it properly (or finds it stopped). */
  bool signalled = s->pidfd >= 0 && syscall (SYS_pidfd_send_signal, s->pidfd, SIGKILL, NULL, 0) == 0;
  record_hold (s, "killed");
  if (set_state (s, "stop", -1, true, err) < 0)
    {
      _cleanup_free_ char *st = NULL;
      _cleanup_error_ coi_error_t probe = NULL;
      bool down = (*err)->status == 404
                  || (incus_instance_status (s->client, s->spec->container, &st, &probe) == 0
                      && strcmp (st, "Stopped") == 0)
                  || (probe && probe->status == 404);
      if (!down && !signalled)
        return -1;
      coi_error_release (err);
    }
  snprintf (s->status, sizeof s->status, "Stopped");
  return 0;
}

int sup_expire (struct sup *s)
{
  _cleanup_json_ json_t *d = json_pack ("{s:I, s:b, s:b}", "max_duration_sec", (json_int_t) s->spec->max_duration_sec,
                                        "auto_stop", s->spec->auto_stop, "graceful", s->spec->stop_graceful);
  sup_lifecycle (s, "max_duration_reached", d);
  if (!s->spec->auto_stop)
    return 0;
  _cleanup_error_ coi_error_t err = NULL;
  bool stopped = false;
  if (s->spec->stop_graceful)
    stopped = set_state (s, "stop", s->spec->stop_timeout_sec, false, &err) == 0;
  if (!stopped)
    {
      coi_error_release (&err);
      if (strcmp (s->status, "Frozen") == 0)
        set_state (s, "unfreeze", -1, false, &err);
      coi_error_release (&err);
      if (set_state (s, "stop", -1, true, &err) < 0)
        {
          _cleanup_json_ json_t *e = json_pack ("{s:s}", "error", err->msg);
          sup_lifecycle (s, "stop_failed", e);
          return -1;
        }
    }
  _cleanup_json_ json_t *how = json_pack ("{s:s}", "stop", stopped ? "graceful" : "forced");
  sup_lifecycle (s, "stopped_at_max_duration", how);
  snprintf (s->status, sizeof s->status, "Stopped");
  sup_end (s, COI_END_EXPIRED);
  return 0;
}

void sup_end (struct sup *s, enum coi_end_reason why)
{
  if (s->done)
    return;
  s->ended = true;
  /* Pauses still waiting: the session ends anyway; record them as such. */
  sup_flush_pending (s, true);
  s->done = true;
  s->end_reason = why;
  sup_disarm (s);
  _cleanup_json_ json_t *d = json_pack ("{s:s, s:b}", "reason", coi_end_reason_name (why), "ephemeral",
                                        s->spec->ephemeral);
  sup_lifecycle (s, "stop", d);
  if (s->hooks == NULL || s->hooks->end == NULL)
    return; /* the caller ends nothing: a test's supervisor, say */
  _cleanup_error_ coi_error_t err = NULL;
  int r = s->hooks->end (s->client, s->spec, why, s->hooks->data, &err);
  _cleanup_json_ json_t *c = json_pack ("{s:s, s:s?}", "result", r < 0 ? "failed" : "done", "error",
                                        r < 0 && err ? err->msg : NULL);
  sup_lifecycle (s, "cleanup", c);
  if (r < 0)
    s->exit_code = 1;
}
