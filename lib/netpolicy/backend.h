/* How a policy is enforced.  The nftables backend serves the local host;
 * an Incus-ACL backend (network ACLs on a per-session bridge, for remote
 * servers where host nft cannot be reached) would fill the same table. */
#ifndef COI_NETPOLICY_BACKEND_H
#define COI_NETPOLICY_BACKEND_H

#include <stdint.h>

#include "netpolicy/policy.h"
#include "netpolicy/render.h"
#include "netpolicy/site.h"
#include "util/error.h"

struct coi_net_backend_ops
{
  const char *name;
  /* A handle for a series of operations: the nft backend keeps one
   * libnftables context, whose cache makes later changes ~0.3 ms instead of
   * several ms for a fresh context. */
  int (*open) (const struct coi_net_site *site, void **h, coi_error_t *err);
  void (*close) (void *h);
  /* Can this process enforce policies at all (privileges, kernel)? */
  int (*check) (void *h, coi_error_t *err);
  /* Replace whatever is keyed to t->addr by policy p, atomically. */
  int (*apply) (void *h, const struct coi_net_target *t, const struct coi_net_policy *p,
                coi_error_t *err);
  /* Remove everything keyed to addr; idempotent. */
  int (*teardown) (void *h, uint32_t addr, coi_error_t *err);
  /* Allow a learned address for timeout_s seconds (allowlist DNS answers). */
  int (*allow_learned) (void *h, uint32_t session_addr, uint32_t a, const struct coi_port_list *ports,
                        unsigned timeout_s, coi_error_t *err);
  /* Call fn for every session the backend holds, with the owner it recorded. */
  int (*foreach_session) (void *h, int (*fn) (uint32_t addr, const char *owner, void *data),
                          void *data, coi_error_t *err);
};

/* A backend and an open handle, closed by the cleanup attribute. */
struct coi_net_backend
{
  const struct coi_net_backend_ops *ops;
  void *h;
};
static inline void cleanup_net_backendp (struct coi_net_backend *b)
{
  if (b->ops && b->h)
    b->ops->close (b->h);
  b->h = NULL;
}
#define _cleanup_net_backend_ __attribute__ ((cleanup (cleanup_net_backendp)))

extern const struct coi_net_backend_ops coi_net_backend_nft;

/* The backend for this host's site, opened (site must outlive it). */
int coi_net_backend_open (struct coi_net_backend *b, const struct coi_net_site *site,
                          coi_error_t *err);

#endif
