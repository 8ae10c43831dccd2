/* The guards of a session, wired into the launch as hooks: resource limits
 * in the create request, and the network policy through the guard service
 * (lib/guard), which reserves the address, keeps the container closed until
 * its policy is in, and applies that policy before the first start. */
#ifndef COI_SESSION_GUARDS_H
#define COI_SESSION_GUARDS_H

#include "guard/link.h"
#include "incus/client.h"
#include "netpolicy/net.h"
#include "session/limits.h"
#include "session/session.h"

struct coi_config;

struct coi_session_guards
{
  struct incus_client *client;
  struct coi_guard_link *guard; /* the guard service (borrowed) */
  bool guarded;                 /* the session goes through the guard */
  struct coi_net_policy *net;
  struct coi_limits limits;
  char *net_log;                /* network.log for applied/removed lines, or NULL */
  bool has_target;
  struct coi_net_target target; /* the address the guard reserved */
  const struct coi_sink *sink;  /* notices (NULL: none) */
};

/* needs_guard: the configuration asks for something only the guard can do
 * (a filtered network, monitoring, a time limit).  Without it, an open
 * session still uses the guard when one answers, and runs unguarded when
 * none does. */
int coi_guards_from_config (struct coi_session_guards *g, struct incus_client *c,
                            struct coi_guard_link *guard, const struct coi_config *cfg,
                            const char *network_override, coi_error_t *err);
void coi_guards_clear (struct coi_session_guards *g);
/* Whether the session's rejects are logged (and need a reader). */
bool coi_guards_logs_rejects (const struct coi_session_guards *g);
/* The session's network plan once launched (NULL: none). */
const struct coi_net_target *coi_guards_net_target (const struct coi_session_guards *g);
/* Point `h` at the guards (g must outlive the launch). */
void coi_guards_hooks (struct coi_session_guards *g, struct coi_session_hooks *h);

#endif
