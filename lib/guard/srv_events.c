/* Keeping the guard's view in line with Incus, whoever acts on a container:
 * the lifecycle event stream for what happens now, and a reconcile pass
 * (at start, after the stream reconnects, and every second) for anything
 * the stream could not tell. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guard/server_private.h"
#include "incus/instance.h"
#include "util/cleanup.h"

int guard_events_connect (struct guard *g, coi_error_t *err)
{
  struct incus_ws *ws = NULL;
  /* Every project's: a session may live in any. */
  if (incus_ws_connect (g->incus, "/1.0/events?type=lifecycle&all-projects=true", &ws, err) < 0)
    return -1;
  incus_ws_set_message_limit (ws, 1 << 20);
  g->events = ws;
  /* What happened while it was away. */
  guard_reconcile (g);
  return 0;
}

static const char *instance_of (const char *source)
{
  static const char prefix[] = "/1.0/instances/";
  if (source == NULL || strncmp (source, prefix, sizeof prefix - 1) != 0)
    return NULL;
  const char *name = source + sizeof prefix - 1;
  return strchr (name, '/') ? NULL : name;
}

void guard_on_event (struct guard *g, json_t *ev)
{
  json_t *meta = json_object_get (ev, "metadata");
  const char *action = json_string_value (json_object_get (meta, "action"));
  const char *name = instance_of (json_string_value (json_object_get (meta, "source")));
  if (action == NULL || name == NULL)
    return;
  /* "name" in the default project, "name?project=x" in another. */
  char plain[64];
  snprintf (plain, sizeof plain, "%.*s", (int) strcspn (name, "?"), name);
  const char *q = strstr (name, "?project=");
  char project[64];
  snprintf (project, sizeof project, "%.*s", q ? (int) strcspn (q + 9, "&") : 7, q ? q + 9 : "default");
  struct gsession *s = gsession_find (g, plain);
  if (s == NULL || strcmp (s->project, project) != 0)
    return;
  if (strcmp (action, "instance-deleted") == 0 || strcmp (action, "instance-renamed") == 0)
    {
      /* A reservation whose container is still being created is not this
         deletion's (the slot's previous container). */
      if (!s->pending)
        gsession_drop (g, s, action);
    }
  else if (strcmp (action, "instance-started") == 0 || strcmp (action, "instance-resumed") == 0
           || strcmp (action, "instance-restarted") == 0)
    guard_enforce_hold (g, s);
}

void guard_enforce_hold (struct guard *g, struct gsession *s)
{
  char path[512];
  if (guard_session_path (g, s->container, ".hold", path, sizeof path) < 0)
    return;
  _cleanup_json_ json_t *hold = json_load_file (path, 0, NULL);
  const char *action = json_string_value (json_object_get (hold, "action"));
  if (action == NULL)
    return;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *status = NULL;
  struct incus_client *incus = guard_incus (g, s->project, &err);
  if (incus == NULL || incus_instance_status (incus, s->container, &status, &err) < 0)
    return;
  if (strcmp (action, "paused") == 0 && strcmp (status, "Running") == 0)
    {
      coi_warn (g->sink, "%s was paused by its supervisor and is running again: pausing it", s->container);
      incus_instance_set_state (incus, s->container, "freeze", -1, false, &err);
    }
  else if (strcmp (action, "killed") == 0 && (strcmp (status, "Running") == 0 || strcmp (status, "Frozen") == 0))
    {
      coi_warn (g->sink, "%s was stopped by its supervisor and is running again: stopping it", s->container);
      incus_instance_set_state (incus, s->container, "stop", -1, true, &err);
    }
  if (err)
    coi_warn (g->sink, "hold on %s: %s", s->container, err->msg);
}

static const char *status_in (json_t *list, const char *name, const char *project)
{
  size_t i;
  json_t *it;
  json_array_foreach (list, i, it)
  {
    const char *n = json_string_value (json_object_get (it, "name"));
    const char *p = json_string_value (json_object_get (it, "project"));
    if (n && strcmp (n, name) == 0 && strcmp (p ? p : "default", project) == 0)
      {
        const char *st = json_string_value (json_object_get (it, "status"));
        return st ? st : "";
      }
  }
  return NULL;
}

static void reconcile_one (struct guard *g, struct gsession *s, json_t *list)
{
  const char *status = status_in (list, s->container, s->project);
  if (s->pending)
    {
      if (status == NULL && time (NULL) - s->reserved_at > GUARD_PENDING_TTL_S)
        gsession_drop (g, s, "reserved but never created");
      return;
    }
  if (status == NULL)
    {
      gsession_drop (g, s, "the container is gone");
      return;
    }
  if (!s->rules && s->policy)
    {
      /* A restarted guard: the kernel kept the rules, this puts them back if
         anything removed them (one transaction, no gap). */
      _cleanup_error_ coi_error_t err = NULL;
      if (guard_apply_rules (g, s, &err) < 0)
        coi_warn (g->sink, "rules of %s: %s", s->container, err->msg);
    }
  bool live = strcmp (status, "Running") == 0 || strcmp (status, "Frozen") == 0;
  pid_t pid = 0;
  if (s->supervise && live && s->ready_fd < 0)
    {
      if (guard_supervisor_alive (g, s->container, &pid))
        {
          if (s->sup_pidfd < 0 && pid > 0)
            {
              /* Adopted after a restart of the guard. */
              s->sup_pid = pid;
              s->sup_pidfd = guard_pidfd (pid);
              guard_watch (g, s->sup_pidfd);
            }
        }
      else if (!s->restart_due)
        {
          coi_warn (g->sink, "%s has no supervisor: starting one", s->container);
          s->restart_due = true;
        }
    }
  if (live)
    guard_enforce_hold (g, s);
  guard_supervisor_restart_due (g, s);
}

void guard_reconcile (struct guard *g)
{
  _cleanup_json_ json_t *list = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (g->sessions == NULL)
    return;
  if (incus_list (g->incus, "/1.0/instances?recursion=1&all-projects=true", &list, &err) < 0)
    {
      /* Incus away: judge nothing until it answers. */
      return;
    }
  for (struct gsession *s = g->sessions, *next; s; s = next)
    {
      next = s->next;
      reconcile_one (g, s, list);
    }
}
