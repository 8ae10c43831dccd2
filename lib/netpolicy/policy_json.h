/* A network policy as JSON and back (the guard protocol, the supervisor's
 * spec).  Reading validates exactly as the configuration does. */
#ifndef COI_NETPOLICY_POLICY_JSON_H
#define COI_NETPOLICY_POLICY_JSON_H

#include <jansson.h>

#include "netpolicy/policy.h"

/* NULL on ENOMEM. */
json_t *coi_net_policy_to_json (const struct coi_net_policy *p);
int coi_net_policy_from_json (json_t *j, struct coi_net_policy **out, coi_error_t *err);

#endif
