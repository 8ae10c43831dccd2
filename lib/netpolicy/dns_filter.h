/* The allowlist DNS filter: a small UDP forwarder on the host.  It answers
 * only names the policy allows, forwards those to the upstream resolver and,
 * before the answer reaches the container, adds every A record of it to the
 * session's nft set with the record's TTL.  Any other name gets REFUSED and
 * never leaves the host, so DNS cannot carry data to arbitrary names.
 *
 * The container reaches it through a DNAT of its port 53 (render.h) to
 * <gateway>:<coi_net_dns_port()>.  One filter per session; its lifetime
 * belongs to the session supervisor (coi_dns_filter_spawn or the loop). */
#ifndef COI_NETPOLICY_DNS_FILTER_H
#define COI_NETPOLICY_DNS_FILTER_H

#include <stdint.h>
#include <sys/types.h>

#include "netpolicy/net.h"
#include "netpolicy/policy.h"
#include "util/error.h"

struct coi_dns_filter_config
{
  uint32_t listen_addr;   /* the bridge gateway */
  uint16_t listen_port;
  uint32_t client_addr;   /* the container: anything else is ignored */
  uint32_t set_addr;      /* keys the nft sets; 0: client_addr (benchmarks use another) */
  uint32_t upstream_addr;
  uint16_t upstream_port; /* 0: 53 */
  const struct coi_net_policy *policy;
  unsigned min_ttl;       /* floor for set timeouts (0: 30 s) */
  unsigned max_ttl;       /* ceiling, wins over the floor (0: 1 day) */
  unsigned upstream_timeout_ms; /* 0: 3000 */
  int log_fd;             /* -1, or "allow|deny|fail NAME QTYPE" lines */
  const struct coi_net_site *site; /* whose table learned addresses go into */
};

struct coi_dns_filter;

/* The config for a session: listen on the gateway at the session's port,
 * upstream = the policy's first dns_servers entry, else the bridge's own
 * resolver (gateway:53), max_ttl = coi_dns_filter_max_ttl. */
void coi_dns_filter_config_for (const struct coi_net_session *s,
                                struct coi_dns_filter_config *cfg);

/* The longest a learned address is trusted without the container resolving
 * it again: refresh_interval_minutes, at most a day. */
unsigned coi_dns_filter_max_ttl (const struct coi_net_policy *p);
/* The set timeout for an A record with this TTL: clamp(ttl, min_ttl,
 * max_ttl), the ceiling winning (0 values mean the defaults). */
unsigned coi_dns_filter_timeout (const struct coi_dns_filter_config *cfg, uint32_t ttl);

/* Binds the socket: when it returns 0 the filter is reachable. */
int coi_dns_filter_open (const struct coi_dns_filter_config *cfg, struct coi_dns_filter **out,
                         coi_error_t *err);
/* Serve until stop_fd becomes readable (or forever if stop_fd < 0). */
int coi_dns_filter_run (struct coi_dns_filter *f, int stop_fd, coi_error_t *err);
void coi_dns_filter_free (struct coi_dns_filter *f);

/* Fork a child that serves cfg until SIGTERM (or its parent's death).
 * Returns once the child is listening, with its pid. */
int coi_dns_filter_spawn (const struct coi_dns_filter_config *cfg, pid_t *pid, coi_error_t *err);

#endif
