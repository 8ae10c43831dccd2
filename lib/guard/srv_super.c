/* The supervisors the guard runs: one per supervised session, started from
 * the session's spec under <state>/sessions/, watched through a pidfd, and
 * started again when it dies while its container lives. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "guard/server_private.h"
#include "incus/instance.h"
#include "monitor/supervisor.h"
#include "util/cleanup.h"
#include "util/clock.h"

int guard_pidfd (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

bool guard_supervisor_alive (struct guard *g, const char *container, pid_t *pid)
{
  char dir[256];
  bool guarded = false;
  *pid = 0;
  snprintf (dir, sizeof dir, "%s/sessions", g->where.state_dir);
  return coi_supervisor_status_in (dir, container, &guarded, pid) == 0 && guarded;
}

int guard_supervisor_start (struct guard *g, struct gsession *s, bool restarted, coi_error_t *err)
{
  char spec[512];
  if (guard_session_path (g, s->container, ".spec.json", spec, sizeof spec) < 0)
    return coi_error_make (err, EINVAL, "supervisor spec path");
  int ready = -1;
  /* The nflog socket goes to the supervisor; a restarted one binds the
     group itself (the old one's socket died with it). */
  if (coi_supervisor_spawn_async (g->coi_binary, spec, s->nflog_fd, restarted, &ready, err) < 0)
    return -1;
  if (s->nflog_fd >= 0)
    {
      close (s->nflog_fd);
      s->nflog_fd = -1;
    }
  s->ready_fd = ready;
  s->last_start_ms = coi_now_ms ();
  guard_watch (g, ready);
  return 0;
}

/* "OK <pid>", "BUSY <pid>" or "ERR <why>" arrived (or the pipe closed). */
void guard_supervisor_ready (struct guard *g, struct gsession *s)
{
  char msg[512];
  ssize_t n = read (s->ready_fd, msg, sizeof msg - 1);
  msg[n > 0 ? n : 0] = '\0';
  msg[strcspn (msg, "\n")] = '\0';
  close (s->ready_fd); /* closing drops it from epoll */
  s->ready_fd = -1;
  int pid = 0;
  _cleanup_json_ json_t *reply = NULL;
  if ((sscanf (msg, "OK %d", &pid) == 1 || sscanf (msg, "BUSY %d", &pid) == 1) && pid > 0)
    {
      s->sup_pid = pid;
      if (s->sup_pidfd >= 0)
        close (s->sup_pidfd);
      s->sup_pidfd = guard_pidfd (pid);
      guard_watch (g, s->sup_pidfd);
      reply = coi_guard_reply_ok (json_pack ("{s:i}", "pid", pid));
      coi_info (g->sink, "supervisor %d guards %s", pid, s->container);
    }
  else
    {
      char why[600];
      snprintf (why, sizeof why, "the supervisor did not start: %s",
                strncmp (msg, "ERR ", 4) == 0 ? msg + 4 : msg[0] ? msg : "it exited");
      coi_warn (g->sink, "%s: %s", s->container, why);
      reply = coi_guard_reply_error (COI_GUARD_FAILED, why);
    }
  if (s->waiter >= 0)
    {
      guard_reply (g, s->waiter, reply, -1);
      s->waiter = -1;
    }
}

void guard_supervisor_exited (struct guard *g, struct gsession *s)
{
  close (s->sup_pidfd);
  s->sup_pidfd = -1;
  pid_t pid = s->sup_pid;
  s->sup_pid = 0;
  pid_t other = 0;
  if (guard_supervisor_alive (g, s->container, &other))
    return; /* another one holds the session */
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *status = NULL;
  struct incus_client *incus = guard_incus (g, s->project, &err);
  if (incus == NULL || incus_instance_status (incus, s->container, &status, &err) < 0)
    return; /* gone: the event or the next reconcile drops it */
  if (strcmp (status, "Running") != 0 && strcmp (status, "Frozen") != 0)
    return; /* the session ended: nothing to guard until it starts again */
  coi_warn (g->sink, "supervisor %d of %s died while its container runs: starting another",
            (int) pid, s->container);
  s->restart_due = true;
}

void guard_supervisor_restart_due (struct guard *g, struct gsession *s)
{
  if (!s->restart_due || s->ready_fd >= 0 || s->supervise == NULL)
    return;
  if (coi_now_ms () - s->last_start_ms < GUARD_RESTART_MIN_GAP_MS)
    return;
  _cleanup_error_ coi_error_t err = NULL;
  s->restart_due = false;
  s->restarts++;
  if (guard_supervisor_start (g, s, true, &err) < 0)
    {
      coi_warn (g->sink, "restart the supervisor of %s: %s", s->container, err->msg);
      s->restart_due = true;
    }
  _cleanup_error_ coi_error_t e2 = NULL;
  gsession_save (g, s, &e2);
}

void guard_supervisor_stop (struct guard *g, struct gsession *s)
{
  pid_t pid = 0;
  if (guard_supervisor_alive (g, s->container, &pid) && pid > 0)
    {
      kill (pid, SIGTERM);
      for (int i = 0; i < 100 && guard_supervisor_alive (g, s->container, &pid); i++)
        {
          struct timespec t = { 0, 20 * 1000 * 1000 };
          nanosleep (&t, NULL);
        }
    }
  if (s->sup_pidfd >= 0)
    {
      close (s->sup_pidfd);
      s->sup_pidfd = -1;
    }
  if (s->ready_fd >= 0)
    {
      close (s->ready_fd);
      s->ready_fd = -1;
    }
  s->sup_pid = 0;
  s->restart_due = false;
}
