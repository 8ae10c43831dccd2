/* The NIC plan: which bridge a new container joins, the address it gets
 * (reserved atomically on this host), its veth name, and the NIC device
 * that makes that address trustworthy (anti-spoofing, port isolation). */
#ifndef COI_NETPOLICY_NIC_H
#define COI_NETPOLICY_NIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "incus/client.h"
#include "netpolicy/addr.h"
#include "netpolicy/site.h"
#include "util/error.h"

struct coi_net_bridge
{
  char *network;     /* managed Incus network name */
  char *device;      /* the instance device key to override ("eth0") */
  char *nic_name;    /* interface name inside the container */
  uint32_t gateway;
  struct coi_ipv4_net subnet;
  bool has_ipv6;     /* the bridge routes IPv6: the session rules would not see it */
};
void coi_net_bridge_clear (struct coi_net_bridge *b);

/* Find the NIC the instance would get (its own devices, else its profiles,
 * else "default") and its managed bridge's IPv4 subnet. */
int coi_net_bridge_lookup (struct incus_client *c, json_t *instance_body, struct coi_net_bridge *out,
                           coi_error_t *err);

/* Pick a free address (not leased, not reserved) starting from a hash of
 * the name, and reserve it under the host lock.  The caller holds no lock. */
int coi_net_alloc_address (struct incus_client *c, const struct coi_net_site *site,
                           const struct coi_net_bridge *b, const char *container, uint32_t *addr,
                           coi_error_t *err);

/* "coi" + 12 hex digits of a hash of the name: <= 15 chars (IFNAMSIZ - 1). */
void coi_net_host_name (const char *container, char out[16]);

/* Put the NIC device and the IPv6 sysctls into an InstancesPost body. */
int coi_net_nic_apply_to_body (json_t *body, const struct coi_net_bridge *b, uint32_t addr,
                               const char *host_name, coi_error_t *err);

#endif
