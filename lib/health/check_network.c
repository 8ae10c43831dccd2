/* NETWORKING: the bridge sessions join, and the firewall that filters
 * them; OPTIONAL: the guard service. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "guard/link.h"
#include "health/health_private.h"
#include "incus/profile.h"
#include "netpolicy/nft.h"
#include "netpolicy/nic.h"
#include "netpolicy/render.h"
#include "session/limits.h"
#include "util/cleanup.h"

/* The network the default profile's NIC names, for the fix of an unusable one. */
static char *profile_network (struct incus_client *c)
{
  _cleanup_json_ json_t *prof = NULL;
  _cleanup_error_ coi_error_t e = NULL;
  if (incus_profile_get (c, "default", &prof, &e) < 0)
    return NULL;
  const char *key;
  json_t *dev;
  json_object_foreach (json_object_get (prof, "devices"), key, dev)
  {
    const char *type = json_string_value (json_object_get (dev, "type"));
    const char *net = json_string_value (json_object_get (dev, "network"));
    if (type && net && strcmp (type, "nic") == 0)
      return strdup (net);
  }
  return NULL;
}

int health_check_bridge (struct health_run *run, const struct health_def *d)
{
  const struct coi_health_input *in = run->in;
  _cleanup_json_ json_t *body = json_pack ("{s:[s]}", "profiles", "default");
  struct coi_net_bridge b = { 0 };
  _cleanup_error_ coi_error_t e = NULL;
  if (body == NULL)
    return -1;
  if (coi_net_bridge_lookup (in->client, body, &b, &e) < 0)
    {
      if (e->status == ENOENT)
        return health_add (run, d, COI_HEALTH_FAIL, in->setup_command, NULL,
                           "the default profile has no NIC");
      _cleanup_free_ char *net = profile_network (in->client);
      _cleanup_free_ char *fix = NULL;
      if (net && asprintf (&fix, "incus network set %s ipv4.address=auto ipv4.nat=true", net) < 0)
        return -1;
      return health_add (run, d, COI_HEALTH_FAIL, fix ? fix : in->setup_command, NULL, "%s", e->msg);
    }
  const char *mode = health_cfg_string (run, "network.mode", "restricted");
  char subnet[COI_IPV4_CIDR_STRLEN], gw[COI_IPV4_STRLEN];
  coi_ipv4_cidr_str (b.subnet.addr, b.subnet.prefix, subnet);
  coi_ipv4_str (b.gateway, gw);
  int r;
  if (b.has_ipv6 && strcmp (mode, "open") != 0)
    {
      _cleanup_free_ char *fix = NULL;
      r = asprintf (&fix, "incus network set %s ipv6.address=none", b.network) < 0
              ? -1
              : health_add (run, d, COI_HEALTH_FAIL, fix, NULL,
                            "%s routes IPv6, which network.mode %s cannot filter: sessions refuse to start",
                            b.network, mode);
    }
  else
    r = health_add (run, d, COI_HEALTH_OK, NULL, NULL, "default profile %s -> %s, %s (gateway %s)",
                    b.device, b.network, subnet, gw);
  coi_net_bridge_clear (&b);
  return r;
}

/* The guard's hello, once per run: its version and its table. */
static json_t *guard_hello (struct health_run *run, coi_error_t *err)
{
  if (run->in->guard == NULL)
    return NULL;
  json_t *res = NULL;
  if (coi_guard_link_call (run->in->guard, "hello", NULL, &res, err) < 0)
    return NULL;
  return res;
}

/* What makes a session refuse to start without the guard (the same test
 * as coi_guards_from_config): a filtered network, the monitor, a time
 * limit. */
static bool sessions_need_guard (struct health_run *run)
{
  const char *mode = health_cfg_string (run, "network.mode", "restricted");
  long max = 0;
  const char *dur = health_cfg_string (run, "limits.runtime.max_duration", "");
  return strcmp (mode, "open") != 0 || health_cfg_bool (run, "monitoring.enabled", false)
         || (*dur && coi_parse_duration (dur, &max) == 0 && max > 0);
}

int health_check_nftables (struct health_run *run, const struct health_def *d)
{
  const char *mode = health_cfg_string (run, "network.mode", "restricted");
  if (strcmp (mode, "open") == 0)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "not needed: network.mode is open");
  if (!run->in->privileged)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "changed by the guard service, not by coi (see guard)");
  _cleanup_nft_ struct coi_nft *n = NULL;
  _cleanup_json_ json_t *tables = NULL;
  _cleanup_error_ coi_error_t e = NULL;
  if (coi_nft_open (&n, &e) < 0 || coi_nft_list_json (n, "list tables", &tables, &e) < 0)
    return health_add (run, d, COI_HEALTH_FAIL, "modprobe nf_tables", NULL, "%s", e->msg);
  return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "usable: libnftables lists the ruleset (%zu tables)",
                     json_array_size (tables));
}

/* The set-up starts the guard of the server it sets up: this one's, when
 * the server lives under another INCUS_DIR (sudo would drop it). */
static char *guard_fix (const struct coi_health_input *in)
{
  const char *setup = in->setup_command ? in->setup_command : "scripts/coi-up.sh --no-shell";
  const char *sock = in->socket_path;
  const char *slash = sock ? strrchr (sock, '/') : NULL;
  char *fix = NULL;
  int r = slash && slash != sock && strcmp (sock, COI_GUARD_DEFAULT_INCUS_SOCKET) != 0
              ? asprintf (&fix, "sudo INCUS_DIR=%.*s %s", (int) (slash - sock), sock, setup)
              : asprintf (&fix, "sudo %s", setup);
  return r < 0 ? NULL : fix;
}

int health_check_guard (struct health_run *run, const struct health_def *d)
{
  enum coi_health_status bad = sessions_need_guard (run) ? COI_HEALTH_FAIL : COI_HEALTH_WARN;
  if (run->in->guard == NULL)
    return health_add (run, d, bad, "coi shell --network=open", NULL,
                       "a remote server has no guard service here: only open, unmonitored sessions run");
  _cleanup_error_ coi_error_t e = NULL;
  _cleanup_json_ json_t *hello = guard_hello (run, &e);
  if (hello == NULL)
    {
      _cleanup_free_ char *fix = guard_fix (run->in);
      if (fix == NULL)
        return -1;
      return health_add (run, d, bad, fix, NULL, "the guard service does not answer: %s", e ? e->msg : "?");
    }
  return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "answers on %s (coi %s, table inet %s)",
                     run->in->guard->where.socket, json_string_value (json_object_get (hello, "version")),
                     json_string_value (json_object_get (hello, "table")));
}
