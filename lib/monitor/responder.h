/* What to do about a threat (spec F.3): log info, alert on warnings, pause
 * (freeze) on high, kill on critical, and say "deduplicated" for a repeat
 * of the same finding within the window.  Pure decisions: the supervisor
 * carries them out and records the outcome. */
#ifndef COI_MONITOR_RESPONDER_H
#define COI_MONITOR_RESPONDER_H

#include <stdbool.h>
#include <time.h>

#include "monitor/threat.h"

enum coi_action
{
  COI_ACTION_LOGGED,
  COI_ACTION_ALERTED,
  COI_ACTION_PAUSE,          /* freeze the container */
  COI_ACTION_KILL,           /* force-stop it (and clean up an ephemeral session) */
  COI_ACTION_DEDUPLICATED,
  COI_ACTION_ALREADY_PAUSED, /* "logged (already paused)" */
  COI_ACTION_ALREADY_KILLED,
};

/* The audit word for an action that was carried out ("paused", "killed", ...). */
const char *coi_action_name (enum coi_action a);

#define COI_DEDUPE_SLOTS 128

struct coi_responder
{
  bool auto_pause_on_high;
  bool auto_kill_on_critical;
  int dedupe_window_s; /* 30 in COI */
  bool paused;         /* set by the supervisor when a freeze succeeded, cleared on unfreeze */
  bool killed;
  unsigned suppressed; /* repeats folded into the finding just decided (0 if none) */
  struct
  {
    char *key;
    time_t at;
    unsigned repeats; /* deduplicated since `at` */
  } seen[COI_DEDUPE_SLOTS];
};

void coi_responder_init (struct coi_responder *r, bool pause_on_high, bool kill_on_critical,
                         int dedupe_window_s);
void coi_responder_clear (struct coi_responder *r);

/* Decide, and remember the finding for de-duplication.  A repeat inside the
 * window is counted, not recorded: a condition that lasts (a connection seen
 * by every sweep) is one finding, and the next record of that finding after
 * the window says how many repeats it folded (r->suppressed).  A critical finding
 * is never de-duplicated while the container still runs: a failed kill
 * must be retried. */
enum coi_action coi_responder_decide (struct coi_responder *r, const struct coi_threat *t,
                                      time_t now);

#endif
