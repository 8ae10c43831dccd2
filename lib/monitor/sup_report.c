/* Reporting a finding: decide (responder), act, then write the audit line
 * with the action actually taken, the supervisor log line and, from warnings
 * up, an alert line for the attached terminal. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/alerts.h"
#include "monitor/supervisor_private.h"
#include "util/cleanup.h"
#include "util/sink.h"
#include "util/clock.h"

void sup_now (struct timespec *ts)
{
  clock_gettime (CLOCK_MONOTONIC, ts);
}

double sup_elapsed (const struct timespec *a, const struct timespec *b)
{
  return (double) (b->tv_sec - a->tv_sec) + (double) (b->tv_nsec - a->tv_nsec) / 1e9;
}

json_t *sup_process_evidence (const struct coi_proc *p, const char *cmdline)
{
  json_t *cmd = coi_json_text (cmdline, cmdline ? strlen (cmdline) : 0, 300);
  json_t *comm = coi_json_text (p->comm, strlen (p->comm), sizeof p->comm);
  json_t *exe = coi_json_text (p->exe, strlen (p->exe), sizeof p->exe);
  if (cmd == NULL || comm == NULL || exe == NULL)
    {
      json_decref (cmd);
      json_decref (comm);
      json_decref (exe);
      return NULL;
    }
  /* How long the process had run when it was judged: the detection latency. */
  struct timespec boot;
  clock_gettime (CLOCK_BOOTTIME, &boot);
  long hz = sysconf (_SC_CLK_TCK);
  long long age_ms = -1;
  if (p->start > 0 && hz > 0)
    age_ms = (long long) boot.tv_sec * 1000 + boot.tv_nsec / 1000000 - (long long) (p->start * 1000ULL / (unsigned long long) hz);
  return json_pack ("{s:i, s:i, s:o, s:o, s:I, s:o, s:I}", "pid", (int) p->pid, "ppid", (int) p->ppid, "comm", comm,
                    "exe", exe, "host_uid", (json_int_t) p->uid, "command", cmd, "age_ms", (json_int_t) age_ms);
}

static void alert (struct sup *s, const struct coi_threat *t, const char *action)
{
  char line[800];
  const char *c = s->spec->container;
  char level[16];
  snprintf (level, sizeof level, "%s", coi_level_name (t->level));
  for (char *p = level; *p; p++)
    *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
  if (strcmp (action, "paused") == 0)
    snprintf (line, sizeof line,
              "[%s] %s in %s: container paused; inspect: coi monitor %s / coi audit %s; "
              "resume with: coi unfreeze %s; end it: coi kill %s",
              level, t->title, c, c, c, c, c);
  else
    snprintf (line, sizeof line, "[%s] %s in %s: %s", level, t->title, c,
              strcmp (action, "killed") == 0 ? "container stopped; see: coi audit " : action);
  if (strcmp (action, "killed") == 0)
    strncat (line, c, sizeof line - strlen (line) - 1);
  _cleanup_error_ coi_error_t err = NULL;
  if (s->alerts_fd >= 0 ? coi_alerts_append_fd (s->alerts_fd, s->alerts_path, line, &err) < 0
                        : coi_alerts_append (s->alerts_path, line, &err) < 0)
    coi_warn (s->sink, "alert not delivered: %s", err->msg);
}

void sup_lifecycle (struct sup *s, const char *event, json_t *details)
{
  _cleanup_json_ json_t *f = json_pack ("{s:s}", "event", event);
  if (f && details)
    json_object_set (f, "details", details);
  _cleanup_error_ coi_error_t err = NULL;
  if (f == NULL || coi_audit_append (&s->audit, COI_AUDIT_SESSION, f, true, &err) < 0)
    coi_warn (s->sink, "audit: cannot record %s: %s", event, err ? err->msg : "out of memory");
  _cleanup_free_ char *d = details ? json_dumps (details, JSON_COMPACT) : NULL;
  coi_info (s->sink, "%s %s", event, d ? d : "");
}

void sup_fast_timer (struct sup *s, bool on)
{
  if (s->fast_tfd < 0)
    return;
  if (!on && (s->nsuspects > 0 || s->npending > 0))
    return;
  struct itimerspec it = { 0 };
  if (on)
    it.it_interval = it.it_value = (struct timespec) { 0, SUP_FAST_MS * 1000000L };
  timerfd_settime (s->fast_tfd, 0, &it, NULL);
}

/* The audit line, the log line and the alert of one finding. */
static void record (struct sup *s, struct coi_threat *t, enum coi_action a, const char *act, unsigned suppressed)
{
  struct timespec wall;
  clock_gettime (CLOCK_REALTIME, &wall);
  char id[48];
  snprintf (id, sizeof id, "%lld-%lu", (long long) wall.tv_sec, ++s->threat_seq);
  _cleanup_json_ json_t *f = coi_threat_to_json (t, id, act);
  if (f && suppressed)
    json_object_set_new (f, "repeats_suppressed", json_integer (suppressed));
  _cleanup_error_ coi_error_t aerr = NULL;
  if (f == NULL || coi_audit_append (&s->audit, COI_AUDIT_THREAT, f, true, &aerr) < 0)
    coi_warn (s->sink, "audit: cannot record threat %s: %s", t->title, aerr ? aerr->msg : "out of memory");
  _cleanup_free_ char *ev = json_dumps (t->evidence, JSON_COMPACT);
  coi_notify (s->sink, COI_NOTICE_ALERT, "threat %s %s: %s -> %s %s", coi_level_name (t->level), t->rule, t->title, act, ev ? ev : "");
  bool repeat = a == COI_ACTION_ALREADY_PAUSED || a == COI_ACTION_ALREADY_KILLED;
  if (t->level >= COI_LEVEL_WARNING && !repeat)
    alert (s, t, act);
  coi_threat_clear (t);
}

/* "<verb> failed: <why>" for an action Incus refused. */
static char *failed (const char *verb, coi_error_t e)
{
  char *s = NULL;
  if (asprintf (&s, "%s failed: %s", verb, e && e->msg ? e->msg : "?") < 0)
    return NULL;
  return s;
}

void sup_flush_pending (struct sup *s, bool now)
{
  if (s->npending == 0)
    return;
  struct timespec t;
  sup_now (&t);
  if (!now && sup_elapsed (&s->pending_since, &t) * 1000 < SUP_PAUSE_GRACE_MS)
    return;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *act = NULL;
  if (s->resp.killed)
    act = strdup ("killed");
  else if (s->ended)
    act = strdup ("logged (session ended)");
  else if (s->resp.paused || sup_freeze (s, &err) == 0)
    {
      s->resp.paused = true;
      act = strdup ("paused");
    }
  else
    act = failed ("pause", err);
  for (size_t i = 0; i < s->npending; i++)
    record (s, &s->pending[i], COI_ACTION_PAUSE, act ? act : "error", 0);
  s->npending = 0;
  sup_fast_timer (s, false);
}

/* Stopping a container takes about a second; the process at fault gets
 * SIGKILL at once so a reverse shell is cut before that.  Through a pidfd,
 * checked against the start time, so a recycled pid is never hit. */
static void kill_culprit (const struct coi_threat *t)
{
  if (t->culprit <= 1)
    return;
  _cleanup_close_ int pfd = (int) syscall (SYS_pidfd_open, t->culprit, 0);
  struct coi_proc p;
  if (pfd < 0 || coi_proc_read (t->culprit, false, &p) < 0 || p.start != t->culprit_start)
    return;
  syscall (SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
}

void sup_report (struct sup *s, struct coi_threat *t)
{
  struct timespec wall;
  clock_gettime (CLOCK_REALTIME, &wall);
  enum coi_action a = coi_responder_decide (&s->resp, t, wall.tv_sec);
  unsigned suppressed = s->resp.suppressed;
  if (a == COI_ACTION_DEDUPLICATED)
    {
      coi_threat_clear (t); /* counted by the responder, recorded with the next one */
      return;
    }
  if (a == COI_ACTION_PAUSE && s->npending < SUP_MAX_PENDING && !s->done)
    {
      if (s->npending == 0)
        sup_now (&s->pending_since);
      s->pending[s->npending++] = *t;
      memset (t, 0, sizeof *t);
      sup_fast_timer (s, true);
      return;
    }
  _cleanup_free_ char *action = strdup (coi_action_name (a));
  _cleanup_error_ coi_error_t err = NULL;
  if (a == COI_ACTION_PAUSE)
    {
      if (sup_freeze (s, &err) == 0)
        s->resp.paused = true;
      else
        {
          free (action);
          action = failed ("pause", err);
        }
    }
  else if (a == COI_ACTION_KILL)
    {
      kill_culprit (t);
      if (sup_kill (s, &err) == 0)
        s->resp.killed = true;
      else
        {
          free (action);
          action = failed ("kill", err);
        }
    }
  record (s, t, a, action ? action : "error", suppressed);
  if (a == COI_ACTION_KILL && s->resp.killed)
    {
      /* Findings that were waiting to pause were part of what got killed. */
      sup_flush_pending (s, true);
      sup_end (s, COI_END_KILLED);
    }
}
