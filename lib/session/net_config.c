#include "session/net_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/cleanup.h"

static int add_hosts (const struct coi_config *cfg, struct coi_net_policy *p, coi_error_t *err)
{
  const struct toml_value *arr = coi_config_node (cfg, "network.hosts");
  if (arr == NULL || arr->type != TOML_ARRAY)
    return 0;
  for (size_t i = 0; i < arr->u.arr.n; i++)
    {
      const struct toml_value *t = arr->u.arr.items[i];
      const struct toml_value *ip = toml_table_get (t, "ip");
      const struct toml_value *names = toml_table_get (t, "hostnames");
      const struct toml_value *ports = toml_table_get (t, "ports");
      if (ip == NULL || ip->type != TOML_STRING || names == NULL || names->type != TOML_ARRAY)
        return coi_error_make (err, EINVAL, "network.hosts entry %zu: needs ip and hostnames", i + 1);
      _cleanup_free_ const char **nv = calloc (names->u.arr.n + 1, sizeof (char *));
      _cleanup_free_ uint16_t *pv = calloc (ports && ports->type == TOML_ARRAY ? ports->u.arr.n + 1 : 1,
                                            sizeof (uint16_t));
      size_t np = 0;
      if (nv == NULL || pv == NULL)
        return coi_error_errno (err, ENOMEM, "network.hosts");
      for (size_t k = 0; k < names->u.arr.n; k++)
        if (names->u.arr.items[k]->type == TOML_STRING)
          nv[k] = names->u.arr.items[k]->u.s.ptr;
      if (ports && ports->type == TOML_ARRAY)
        for (size_t k = 0; k < ports->u.arr.n; k++)
          if (ports->u.arr.items[k]->type == TOML_INTEGER)
            pv[np++] = (uint16_t) ports->u.arr.items[k]->u.i;
      if (coi_net_policy_add_host (p, ip->u.s.ptr, nv, pv, np, err) < 0)
        return coi_error_prefix (err, "network.hosts entry %zu", i + 1);
    }
  return 0;
}

static int add_ports (const struct coi_config *cfg, struct coi_net_policy *p, coi_error_t *err)
{
  const struct toml_value *arr = coi_config_node (cfg, "network.allowed_ports");
  if (arr == NULL || arr->type != TOML_ARRAY)
    return 0;
  for (size_t i = 0; i < arr->u.arr.n; i++)
    if (arr->u.arr.items[i]->type == TOML_INTEGER)
      {
        int64_t v = arr->u.arr.items[i]->u.i;
        if (coi_net_policy_add_allowed_port (p, (unsigned) v, (unsigned) v, err) < 0)
          return coi_error_prefix (err, "network.allowed_ports");
      }
  return 0;
}

int coi_net_policy_from_config (const struct coi_config *cfg, const char *mode_override,
                                struct coi_net_policy **out, coi_error_t *err)
{
  enum coi_net_mode mode;
  const char *m = mode_override && *mode_override ? mode_override
                                                   : coi_config_string (cfg, "network.mode");
  if (coi_net_mode_parse (m ? m : "restricted", &mode, err) < 0)
    return -1;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (mode);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "network policy");
  p->allow_local_network_access = coi_config_bool (cfg, "network.allow_local_network_access");
  p->block_private_networks = coi_config_bool (cfg, "network.block_private_networks");
  p->block_metadata_endpoint = coi_config_bool (cfg, "network.block_metadata_endpoint");
  p->refresh_interval_minutes = (int) coi_config_int (cfg, "network.refresh_interval_minutes");
  p->logging = coi_config_bool (cfg, "network.logging.enabled");
  if (mode == COI_NET_ALLOWLIST)
    for (const char *const *d = coi_config_strv (cfg, "network.allowed_domains"); d && *d; d++)
      if (coi_net_policy_add_entry (p, *d, err) < 0)
        return coi_error_prefix (err, "network.allowed_domains");
  for (const char *const *d = coi_config_strv (cfg, "network.dns_servers"); d && *d; d++)
    if (coi_net_policy_add_dns_server (p, *d, err) < 0)
      return coi_error_prefix (err, "network.dns_servers");
  if (add_hosts (cfg, p, err) < 0 || add_ports (cfg, p, err) < 0
      || coi_net_policy_validate (p, err) < 0)
    return -1;
  *out = steal_pointer (&p);
  return 0;
}

int coi_net_log_path (const struct coi_config *cfg, char **out, coi_error_t *err)
{
  *out = NULL;
  if (!coi_config_bool (cfg, "network.logging.enabled"))
    return 0;
  const char *p = coi_config_string (cfg, "network.logging.path");
  if (p == NULL || *p == '\0')
    return 0;
  /* The supervisor runs elsewhere (cwd /): it gets the path resolved. */
  if (p[0] == '/')
    *out = strdup (p);
  else if (asprintf (out, "%s/%s", coi_config_home (cfg), p) < 0)
    *out = NULL;
  return *out ? 0 : coi_error_errno (err, ENOMEM, "network.logging.path");
}
