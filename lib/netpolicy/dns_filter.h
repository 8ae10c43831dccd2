/* The session's DNS filter: a small forwarder on the host that every DNS
 * query of a restricted or allowlist session goes through (the DNAT of the
 * container's port 53 to <gateway>:<coi_net_dns_port()>, render.h).
 *
 * For every query it first asks its guard (dns_guard.h): names that look
 * like data, too many new names under one domain and new names over the
 * session's rate cap are refused (REFUSED, never forwarded) and, the first
 * of each in its window, reported as a finding to the supervisor.  Then:
 *   - restricted: every other name is forwarded to the upstream resolver
 *     (restricted allows the internet);
 *   - allowlist: [[network.hosts]] names are answered here, names the policy
 *     allows are forwarded and, before the answer reaches the container, the
 *     A records of the question's CNAME chain are added to the session's nft
 *     sets with their TTL (coi_dns_foreach_a); any other name gets REFUSED
 *     and never leaves the host.
 * Each query can be a "dns" line in the network log (netlog.h).
 *
 * One filter per session; its lifetime belongs to the session supervisor
 * (coi_dns_filter_spawn or the loop). */
#ifndef COI_NETPOLICY_DNS_FILTER_H
#define COI_NETPOLICY_DNS_FILTER_H

#include <stdint.h>
#include <sys/types.h>

#include "netpolicy/dns_finding.h"
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
  const struct coi_net_policy *policy; /* its mode decides forward-all or allowlist */
  unsigned min_ttl;       /* floor for set timeouts (0: 30 s) */
  unsigned max_ttl;       /* ceiling, wins over the floor (0: 1 day) */
  unsigned upstream_timeout_ms; /* 0: 3000 */
  const char *container;  /* names the session in log lines (NULL: "-") */
  int log_fd;             /* -1, or the network log: "dns name=N qtype=T verdict=V" lines */
  int findings_fd;        /* 0 or -1: none; else a pipe for struct coi_dns_finding records */
  unsigned new_names_per_min; /* the rate cap ([monitoring.nft] dns_query_threshold); 0: default */
  unsigned subdomains;        /* new names under one domain a minute; 0: default */
  const struct coi_net_site *site; /* whose table learned addresses go into */
};

struct coi_dns_filter;

/* The config for a session: listen on the gateway at the session's port,
 * upstream = the policy's first dns_servers entry, else the bridge's own
 * resolver (gateway:53), max_ttl = coi_dns_filter_max_ttl, no log, no
 * findings, the guard's default limits. */
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
