/* The network policy of one session, independent of how it is enforced
 * (nftables on this host today, Incus ACLs on a remote server later).
 * Built from configuration by the caller; plain data, no I/O. */
#ifndef COI_NETPOLICY_POLICY_H
#define COI_NETPOLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netpolicy/addr.h"
#include "util/error.h"

enum coi_net_mode
{
  COI_NET_RESTRICTED, /* block local networks, host and metadata; allow the rest */
  COI_NET_ALLOWLIST,  /* only listed destinations; DNS through the filter */
  COI_NET_OPEN,       /* no filtering */
};

struct coi_port_range
{
  uint16_t lo, hi; /* inclusive */
};

/* A list of port ranges; n == 0 means "every port and protocol". */
struct coi_port_list
{
  struct coi_port_range *v;
  size_t n;
};

enum coi_net_entry_kind
{
  COI_NET_ENTRY_NAME,     /* api.example.com */
  COI_NET_ENTRY_WILDCARD, /* *.example.com: any name strictly below example.com */
  COI_NET_ENTRY_NET,      /* 1.2.3.4 or 1.2.0.0/16 */
};

struct coi_net_entry
{
  enum coi_net_entry_kind kind;
  char *name;              /* lower case, no trailing dot; for WILDCARD the suffix */
  struct coi_ipv4_net net; /* for NET */
  struct coi_port_list ports;
};

/* [[network.hosts]]: fixed name -> address pairs the DNS filter answers itself. */
struct coi_net_host
{
  uint32_t addr;
  char **names; /* NULL-terminated, lower case */
  struct coi_port_list ports;
};

struct coi_net_policy
{
  enum coi_net_mode mode;
  struct coi_net_entry *entries;
  size_t n_entries;
  struct coi_net_host *hosts;
  size_t n_hosts;
  bool allow_local_network_access; /* RFC1918 + CGNAT allowed (never the bridge subnet) */
  bool block_private_networks;     /* restricted: reject RFC1918 + CGNAT */
  bool block_metadata_endpoint;    /* reject 169.254/16 */
  uint32_t *dns_servers;           /* restricted: only these on :53; allowlist: upstreams */
  size_t n_dns_servers;
  struct coi_port_list allowed_ports; /* restricted: public traffic only to these ports */
  int refresh_interval_minutes;       /* allowlist: longest life of a learned address (>= 1) */
  bool logging;                       /* log rejected packets to nflog */
  uint16_t log_group;                 /* base: a session logs to base + its host index */
};

/* Defaults of the reference tool: restricted, block private + metadata, refresh 30. */
struct coi_net_policy *coi_net_policy_new (enum coi_net_mode mode);
void coi_net_policy_free (struct coi_net_policy *p);
static inline void cleanup_net_policyp (struct coi_net_policy **p)
{
  if (*p)
    coi_net_policy_free (*p);
}
#define _cleanup_net_policy_ __attribute__ ((cleanup (cleanup_net_policyp)))

int coi_net_mode_parse (const char *s, enum coi_net_mode *out, coi_error_t *err);
const char *coi_net_mode_name (enum coi_net_mode m);

/* One `allowed_domains` item: "example.com", "*.example.com", "1.2.3.4",
 * "10.0.0.0/8", each optionally followed by ":443", ":8000-8100" or
 * ":80,443".  Invalid items are errors, never silently skipped. */
int coi_net_policy_add_entry (struct coi_net_policy *p, const char *text, coi_error_t *err);
/* One [[network.hosts]] table: ip, hostnames, optional ports. */
int coi_net_policy_add_host (struct coi_net_policy *p, const char *ip, const char *const *names,
                             const uint16_t *ports, size_t n_ports, coi_error_t *err);
int coi_net_policy_add_dns_server (struct coi_net_policy *p, const char *ip, coi_error_t *err);
int coi_net_policy_add_allowed_port (struct coi_net_policy *p, unsigned lo, unsigned hi,
                                     coi_error_t *err);

/* Whole-policy checks that single additions cannot make (allowlist entries
 * that point into local networks without allow_local_network_access, ...). */
int coi_net_policy_validate (const struct coi_net_policy *p, coi_error_t *err);

/* Parse "443", "8000-8100" or "80,443,8000-8100" into a list. */
int coi_port_list_parse (const char *s, struct coi_port_list *out, coi_error_t *err);
void coi_port_list_clear (struct coi_port_list *l);
/* Append `src` to `dst`. */
int coi_port_list_extend (struct coi_port_list *dst, const struct coi_port_list *src);
/* Sort and merge overlapping or adjacent ranges in place: nft refuses
 * overlapping intervals in one set. */
void coi_port_list_merge (struct coi_port_list *l);

/* Is a DNS name (lower case, no trailing dot) allowed?  On success the
 * union of the ports of all matching entries is appended to *ports; an
 * entry without ports yields all_ports = true. */
bool coi_net_policy_match_name (const struct coi_net_policy *p, const char *name,
                                struct coi_port_list *ports, bool *all_ports);
/* A [[network.hosts]] entry for this name, or NULL. */
const struct coi_net_host *coi_net_policy_find_host (const struct coi_net_policy *p,
                                                     const char *name);

/* Normalise a DNS name for matching: lower case, strip one trailing dot.
 * Fails on names that are not plain LDH labels (NUL, spaces, etc.). */
int coi_dns_name_normalize (const char *in, char *out, size_t outlen);

#endif
