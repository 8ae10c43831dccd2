/* How the guard service guards a caller's sessions, as `coi list` and
 * `coi monitor` show it. */
#ifndef COI_GUARD_STATE_H
#define COI_GUARD_STATE_H

#include <jansson.h>
#include <stdbool.h>

#include "guard/link.h"

struct coi_guard_state
{
  bool known;       /* the guard has the session */
  bool rules;       /* its network policy is in the kernel */
  bool supervised;  /* a supervisor is wanted ... */
  bool alive;       /* ... and runs */
  int pid;
  int restarts;
  char mode[16];    /* restricted | allowlist | open */
  char hold[16];    /* "", "paused" or "killed": what its supervisor did */
};

/* Every session of the caller: a JSON object container -> status entry
 * (the guard's session.status).  *states stays NULL when no guard answers
 * (and that is no error: a remote server, or none installed). */
int coi_guard_states (struct coi_guard_link *g, json_t **states, coi_error_t *err);
/* One container's state out of that object. */
void coi_guard_state_of (json_t *states, const char *container, struct coi_guard_state *out);
/* One word for the text listing: guarded, rules, unsupervised, paused,
 * killed, or none. */
const char *coi_guard_state_word (const struct coi_guard_state *s);
json_t *coi_guard_state_json (const struct coi_guard_state *s);

#endif
