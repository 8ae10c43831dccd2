#include "guard/state.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/cleanup.h"

int coi_guard_states (struct coi_guard_link *g, json_t **states, coi_error_t *err)
{
  *states = NULL;
  if (g == NULL)
    return 0;
  _cleanup_json_ json_t *res = NULL;
  _cleanup_error_ coi_error_t e = NULL;
  if (coi_guard_link_call (g, "session.status", NULL, &res, &e) < 0)
    return e->status == ENOENT || e->status == ECONNREFUSED ? 0 : (*err = steal_pointer (&e), -1);
  json_t *by = json_object ();
  if (by == NULL)
    return coi_error_errno (err, ENOMEM, "guard state");
  size_t i;
  json_t *s;
  json_array_foreach (json_object_get (res, "sessions"), i, s)
  {
    const char *name = json_string_value (json_object_get (s, "container"));
    if (name)
      json_object_set (by, name, s);
  }
  *states = by;
  return 0;
}

void coi_guard_state_of (json_t *states, const char *container, struct coi_guard_state *out)
{
  memset (out, 0, sizeof *out);
  json_t *s = json_object_get (states, container);
  if (s == NULL)
    return;
  json_t *sup = json_object_get (s, "supervisor");
  out->known = true;
  out->rules = json_is_true (json_object_get (s, "rules"));
  out->supervised = json_is_true (json_object_get (sup, "wanted"));
  out->alive = json_is_true (json_object_get (sup, "alive"));
  out->pid = (int) json_integer_value (json_object_get (sup, "pid"));
  out->restarts = (int) json_integer_value (json_object_get (sup, "restarts"));
  const char *mode = json_string_value (json_object_get (s, "mode"));
  const char *hold = json_string_value (json_object_get (json_object_get (s, "hold"), "action"));
  snprintf (out->mode, sizeof out->mode, "%s", mode ? mode : "");
  snprintf (out->hold, sizeof out->hold, "%s", hold ? hold : "");
}

const char *coi_guard_state_word (const struct coi_guard_state *s)
{
  if (!s->known)
    return "none";
  if (s->hold[0])
    return s->hold;
  if (s->supervised && !s->alive)
    return "unsupervised";
  if (s->supervised)
    return "guarded";
  return s->rules ? "rules" : "none";
}

json_t *coi_guard_state_json (const struct coi_guard_state *s)
{
  return json_pack ("{s:s, s:b, s:b, s:b, s:i, s:i, s:s?, s:s?}", "state", coi_guard_state_word (s), "rules",
                    s->rules, "supervised", s->supervised, "supervisor_alive", s->alive, "supervisor_pid",
                    s->pid, "restarts", s->restarts, "mode", s->mode[0] ? s->mode : NULL, "hold",
                    s->hold[0] ? s->hold : NULL);
}
