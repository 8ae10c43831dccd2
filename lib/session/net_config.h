/* The [network] configuration as a network policy. */
#ifndef COI_SESSION_NET_CONFIG_H
#define COI_SESSION_NET_CONFIG_H

#include "netpolicy/policy.h"

struct coi_config;

/* mode_override: the --network flag, or NULL. */
int coi_net_policy_from_config (const struct coi_config *cfg, const char *mode_override,
                                struct coi_net_policy **out, coi_error_t *err);

/* The network log's absolute path (network.logging.path, ~ already
 * expanded by the config layer for the invoking user; a relative path is
 * taken under the home directory), or NULL when network.logging.enabled
 * is off. */
int coi_net_log_path (const struct coi_config *cfg, char **out, coi_error_t *err);

#endif
