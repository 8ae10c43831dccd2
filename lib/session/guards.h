/* The host-side guards of a session, wired into the launch as hooks:
 * network policy (address, NIC protections, nftables) and resource limits,
 * all fixed in the create request and in force before the first start. */
#ifndef COI_SESSION_GUARDS_H
#define COI_SESSION_GUARDS_H

#include "incus/client.h"
#include "netpolicy/net.h"
#include "session/limits.h"
#include "session/session.h"

struct coi_config;

struct coi_session_guards
{
  struct incus_client *client;
  struct coi_net_policy *net;
  struct coi_net_session *ns;
  struct coi_limits limits;
  char *net_log; /* network.log for applied/removed lines, or NULL */
  /* The session's nflog group, bound before start so that no reject goes
     unread until the supervisor takes it over (coi_guards_take_nflog). */
  bool has_nflog;
  int nflog_fd;
  const struct coi_sink *sink; /* notices (NULL: none) */
};

int coi_guards_from_config (struct coi_session_guards *g, struct incus_client *c,
                            const struct coi_config *cfg, const char *network_override,
                            coi_error_t *err);
void coi_guards_clear (struct coi_session_guards *g);
/* Whether the session's rejects are logged (and need a reader). */
bool coi_guards_logs_rejects (const struct coi_session_guards *g);
/* Hand the bound nflog socket over (-1: none); the caller owns it then. */
int coi_guards_take_nflog (struct coi_session_guards *g);
/* The session's network plan once launched (NULL: none). */
const struct coi_net_target *coi_guards_net_target (const struct coi_session_guards *g);
/* Point `h` at the guards (g must outlive the launch). */
void coi_guards_hooks (struct coi_session_guards *g, struct coi_session_hooks *h);

#endif
