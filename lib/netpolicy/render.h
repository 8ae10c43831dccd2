/* nft batch text for `table inet coi`.  Pure functions: the same input gives
 * the same text, so the rules can be unit-tested without a kernel.
 *
 * Layout (see docs/network.md):
 *   table inet coi
 *     map sess  { ipv4_addr : verdict }   container address -> jump c_<key>
 *     map nsess { ipv4_addr : verdict }   container address -> jump n_<key>
 *     chain forward/input (filter - 10):  ip saddr vmap @sess
 *     chain nat_pre (prerouting, dstnat - 10): ip saddr vmap @nsess
 *     per session <key> = a_b_c_d of its address:
 *       chain c_<key>, chain n_<key>, sets sa_/sp_/da_/dp_<key>,
 *       all with comment "coi:<container>". */
#ifndef COI_NETPOLICY_RENDER_H
#define COI_NETPOLICY_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "netpolicy/addr.h"
#include "netpolicy/policy.h"

#define COI_NFT_COMMENT_PREFIX "coi:"

/* What the rules are keyed to: fixed at create time by the NIC plan. */
struct coi_net_target
{
  char container[64];
  uint32_t addr;             /* the container's IPv4 (ipv4.address of its NIC) */
  uint32_t gateway;          /* the bridge's address: DNS, DHCP */
  struct coi_ipv4_net subnet; /* the bridge's subnet */
  uint16_t dns_port;         /* the session's DNS filter's port on the gateway */
  uint16_t log_group;        /* nflog group of its rejects (coi_net_log_group) */
};

/* Incus instance names: letters, digits, '-', at most 63, starting with a letter. */
bool coi_net_container_name_ok (const char *name);

/* Every batch is for `table inet <table>`, the site's (site.h).
 *
 * Creates the table, maps and base chains; fails with EEXIST if the table
 * is there already (so exactly one of two racing creators adds base rules). */
char *coi_nft_render_base (const char *table);
/* Removes every object of the session keyed by `addr` (idempotent: each
 * object is added before it is deleted, so a missing one is no error).
 * This and the batches below assume the base exists and fail with ENOENT
 * when the table is missing: they never create half a table. */
char *coi_nft_render_teardown (const char *table, uint32_t addr);
/* Teardown of the address, then the session's objects and rules for the
 * policy: one transaction, so a reused address never inherits anything and
 * there is never a moment without rules. */
char *coi_nft_render_apply (const char *table, const struct coi_net_target *t,
                            const struct coi_net_policy *p);
/* Learned address `a` (from a DNS answer) for `timeout_s` seconds; all ports
 * when ports is NULL or empty.  Refreshes the timeout of an existing element. */
char *coi_nft_render_dynamic (const char *table, uint32_t session_addr, uint32_t a,
                              const struct coi_port_list *ports, unsigned timeout_s);

#endif
