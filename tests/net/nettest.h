/* Shared fixture for the network tests: a network namespace with the
 * 'internet' (198.51.100.x), 'LAN' (10.77.x, 192.168.77.x, 172.31.77.x,
 * 100.64.77.x) and 'metadata' (169.254.169.254) hosts, each reached
 * through a /32 route (metadata only through a policy rule from the test
 * containers), a DNS server for the test zone that logs every query, and
 * helpers to run real containers with a coi network plan.
 *
 * Never an address or route covering 203.0.113.0/24 or 192.0.2.0/24. */
#ifndef COI_TESTS_NETTEST_H
#define COI_TESTS_NETTEST_H

#include <stdbool.h>
#include <stdint.h>

#include "incus/client.h"
#include "netpolicy/net.h"

#define NT_NETNS "coi-tn"
#define NT_DNS "198.51.100.53"
#define NT_HOST_VETH_ADDR "10.77.255.1"
/* The gateway of the bridge the default profile's NIC is on, found by
 * nt_up (the test server's own bridge, whatever its subnet). */
const char *nt_gateway (void);
#define NT_BRIDGE_GW nt_gateway ()
#define NT_HOST_PORT 18080
#define NT_UDP_PORT 9999

struct nt_ctr
{
  char name[64];
  struct coi_net_session *s;
  char addr[16];
  bool rule_added; /* metadata policy route */
};

/* Bring the fixture up (after removing leftovers of a crashed run); it is
 * torn down at exit, also on SIGINT/SIGTERM. */
int nt_up (void);
void nt_down (void);
struct incus_client *nt_client (void);
const char *nt_dns_log (void);
/* Point rot.allowed.test at ip. */
void nt_set_rot (const char *ip);
/* Did the test DNS server see a query for name? */
bool nt_dns_saw (const char *name);
void nt_dns_log_clear (void);

/* Create (with coi_net_prepare), apply the policy, start, wait for the
 * planned address, push the probe.  tweak may edit the create body. */
int nt_ctr_new (struct nt_ctr *ct, const char *name, const struct coi_net_policy *p,
                void (*tweak) (json_t *body));
/* The image the tests use and an InstancesPost body for it (caller frees). */
const char *nt_image (void);
/* The net suite's own network site (its own nft table and reservations),
 * apart from any guard's; and "list table inet <its table>". */
struct coi_net_site;
const struct coi_net_site *nt_site (void);
const char *nt_list_table (void);
json_t *nt_create_body (const char *name);
/* Policy route for metadata, start, wait for ct->addr, push the probe. */
int nt_ctr_start (struct nt_ctr *ct);
/* Delete the container, tear its network down, drop its metadata route. */
void nt_ctr_free (struct nt_ctr *ct);

/* Run argv in the container; stdout (trimmed) into *out (caller frees). */
int nt_exec (const char *name, const char *const *argv, char **out, int *rc);
/* coi-probe KIND ARGS...: the verdict line, e.g. "ok hello from ..." (caller frees). */
char *nt_probe (const struct nt_ctr *ct, const char *kind, const char *a, const char *b);
/* Run a host command (argv, no shell); its exit status. */
int nt_run (const char *const *argv);
double nt_now_ms (void);

#endif
