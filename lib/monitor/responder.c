#include "monitor/responder.h"

#include <stdlib.h>
#include <string.h>

const char *coi_action_name (enum coi_action a)
{
  switch (a)
    {
    case COI_ACTION_LOGGED:
      return "logged";
    case COI_ACTION_ALERTED:
      return "alerted";
    case COI_ACTION_PAUSE:
      return "paused";
    case COI_ACTION_KILL:
      return "killed";
    case COI_ACTION_DEDUPLICATED:
      return "deduplicated";
    case COI_ACTION_ALREADY_PAUSED:
      return "logged (already paused)";
    case COI_ACTION_ALREADY_KILLED:
      return "logged (already killed)";
    }
  return "logged";
}

void coi_responder_init (struct coi_responder *r, bool pause_on_high, bool kill_on_critical,
                         int dedupe_window_s)
{
  memset (r, 0, sizeof *r);
  r->auto_pause_on_high = pause_on_high;
  r->auto_kill_on_critical = kill_on_critical;
  r->dedupe_window_s = dedupe_window_s;
}

void coi_responder_clear (struct coi_responder *r)
{
  for (size_t i = 0; i < COI_DEDUPE_SLOTS; i++)
    free (r->seen[i].key);
  memset (r->seen, 0, sizeof r->seen);
}

/* True when key was seen within the window; records it either way.  A full
 * table evicts the oldest entry (COI prunes its map past 100 entries). */
static bool seen_recently (struct coi_responder *r, const char *key, time_t now)
{
  size_t free_slot = COI_DEDUPE_SLOTS, oldest = 0;
  for (size_t i = 0; i < COI_DEDUPE_SLOTS; i++)
    {
      if (r->seen[i].key == NULL)
        {
          if (free_slot == COI_DEDUPE_SLOTS)
            free_slot = i;
          continue;
        }
      if (strcmp (r->seen[i].key, key) == 0)
        {
          bool recent = now - r->seen[i].at < r->dedupe_window_s;
          if (recent)
            r->seen[i].repeats++;
          else
            {
              r->suppressed = r->seen[i].repeats;
              r->seen[i].repeats = 0;
              r->seen[i].at = now;
            }
          return recent;
        }
      if (r->seen[i].at < r->seen[oldest].at || r->seen[oldest].key == NULL)
        oldest = i;
    }
  size_t slot = free_slot != COI_DEDUPE_SLOTS ? free_slot : oldest;
  char *copy = strdup (key);
  if (copy == NULL)
    return false; /* out of memory: better a repeated line than a lost one */
  free (r->seen[slot].key);
  r->seen[slot].key = copy;
  r->seen[slot].at = now;
  r->seen[slot].repeats = 0;
  return false;
}

enum coi_action coi_responder_decide (struct coi_responder *r, const struct coi_threat *t,
                                      time_t now)
{
  r->suppressed = 0;
  if (r->killed)
    return COI_ACTION_ALREADY_KILLED;
  bool repeat = seen_recently (r, t->dedupe_key, now);
  switch (t->level)
    {
    case COI_LEVEL_CRITICAL:
      if (r->auto_kill_on_critical)
        return COI_ACTION_KILL;
      return repeat ? COI_ACTION_DEDUPLICATED : COI_ACTION_ALERTED;
    case COI_LEVEL_HIGH:
      if (r->auto_pause_on_high && r->paused)
        return COI_ACTION_ALREADY_PAUSED;
      if (repeat)
        return COI_ACTION_DEDUPLICATED;
      return r->auto_pause_on_high ? COI_ACTION_PAUSE : COI_ACTION_ALERTED;
    case COI_LEVEL_WARNING:
      return repeat ? COI_ACTION_DEDUPLICATED : COI_ACTION_ALERTED;
    case COI_LEVEL_INFO:
      break;
    }
  return repeat ? COI_ACTION_DEDUPLICATED : COI_ACTION_LOGGED;
}
