/* Network isolation for one session: the API the launch path calls.
 *
 *   coi_net_prepare   before the create request: picks and reserves the
 *                     container's address, puts the NIC device (static
 *                     address, fixed veth name, anti-spoofing, port
 *                     isolation) and IPv6-off sysctls into the body.
 *   coi_net_apply     after create, BEFORE start: installs the policy in
 *                     one transaction, so the first packet is filtered.
 *   coi_net_teardown  on every exit path; idempotent; by name only, so it
 *                     also works from a signal handler's follow-up or a
 *                     fresh process.
 *   coi_net_clean_orphans  for `coi clean --orphans`.
 *
 * In restricted and allowlist mode a DNS filter must run for the session
 * (dns_filter.h): the container's port 53 leads only to it, so until it
 * runs name lookups fail (closed); addresses and static entries work. */
#ifndef COI_NETPOLICY_NET_H
#define COI_NETPOLICY_NET_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "incus/client.h"
#include "netpolicy/policy.h"
#include "netpolicy/render.h"
#include "netpolicy/site.h"
#include "util/error.h"

struct coi_net_session;

/* `site` and `p` are borrowed and must outlive the session.  Fails closed
 * (EPERM, with a hint) when the mode needs nftables and this process may
 * not change it. */
int coi_net_prepare (struct incus_client *c, const struct coi_net_site *site,
                     const struct coi_net_policy *p, const char *container, json_t *instance_body,
                     struct coi_net_session **out, coi_error_t *err);
/* For an existing instance (persistent container, resume): read its NIC,
 * check it carries the plan's protections, and build the session. */
int coi_net_attach (struct incus_client *c, const struct coi_net_site *site,
                    const struct coi_net_policy *p, const char *container,
                    struct coi_net_session **out, coi_error_t *err);
int coi_net_apply (struct coi_net_session *s, coi_error_t *err);
/* Switch a live session to another policy (one transaction). */
int coi_net_apply_policy (struct coi_net_session *s, const struct coi_net_policy *p,
                          coi_error_t *err);
int coi_net_teardown (const struct coi_net_site *site, const char *container, coi_error_t *err);
/* Host network state of a container that is gone: its nftables rules
 * (rules true) or its address reservation. */
struct coi_net_orphan
{
  uint32_t addr;
  const char *owner; /* the container it was for */
  bool rules;
};
typedef int (*coi_net_orphan_fn) (const struct coi_net_orphan *o, void *data, coi_error_t *err);
/* Such state on the bridges of the server `c` talks to: fn (may be NULL) is
 * called for each, after it is removed when `remove`.  Without `remove` the
 * rules are only read with CAP_NET_ADMIN; *rules_read (may be NULL) says
 * whether they were.  Returns how many, or -1. */
int coi_net_orphans (struct incus_client *c, const struct coi_net_site *site, bool remove,
                     coi_net_orphan_fn fn, void *data, bool *rules_read, coi_error_t *err);
/* Remove all of it; returns how many, or -1. */
int coi_net_clean_orphans (struct incus_client *c, const struct coi_net_site *site, coi_error_t *err);

void coi_net_session_free (struct coi_net_session *s);
static inline void cleanup_net_sessionp (struct coi_net_session **s)
{
  if (*s)
    coi_net_session_free (*s);
}
#define _cleanup_net_session_ __attribute__ ((cleanup (cleanup_net_sessionp)))

const struct coi_net_target *coi_net_session_target (const struct coi_net_session *s);
const struct coi_net_policy *coi_net_session_policy (const struct coi_net_session *s);
const struct coi_net_site *coi_net_session_site (const struct coi_net_session *s);
const char *coi_net_session_host_name (const struct coi_net_session *s);

/* The session's DNS filter's port on the gateway: derived from the address,
 * which is unique per session, so it needs no allocation of its own. */
uint16_t coi_net_dns_port (uint32_t addr, const struct coi_ipv4_net *subnet);
/* The session's nflog group, base + the same host index: unique per bridge
 * like the address.  0 when it would not fit in 16 bits. */
uint16_t coi_net_log_group (uint16_t base, uint32_t addr, const struct coi_ipv4_net *subnet);

#endif
