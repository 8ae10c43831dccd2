/* How a policy is enforced.  The nftables backend serves the local host;
 * an Incus-ACL backend (network ACLs on a per-session bridge, for remote
 * servers where host nft cannot be reached) would fill the same table. */
#ifndef COI_NETPOLICY_BACKEND_H
#define COI_NETPOLICY_BACKEND_H

#include <stdint.h>

#include "netpolicy/policy.h"
#include "netpolicy/render.h"
#include "util/error.h"

struct coi_net_backend_ops
{
  const char *name;
  /* Can this process enforce policies at all (privileges, kernel)? */
  int (*check) (coi_error_t *err);
  /* Replace whatever is keyed to t->addr by policy p, atomically. */
  int (*apply) (const struct coi_net_target *t, const struct coi_net_policy *p, coi_error_t *err);
  /* Remove everything keyed to addr; idempotent. */
  int (*teardown) (uint32_t addr, coi_error_t *err);
  /* Allow a learned address for timeout_s seconds (allowlist DNS answers). */
  int (*allow_learned) (uint32_t session_addr, uint32_t a, const struct coi_port_list *ports,
                        unsigned timeout_s, coi_error_t *err);
  /* Call fn for every session the backend holds, with the owner it recorded. */
  int (*foreach_session) (int (*fn) (uint32_t addr, const char *owner, void *data), void *data,
                          coi_error_t *err);
};

extern const struct coi_net_backend_ops coi_net_backend_nft;

#endif
