#include "netpolicy/nic.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy/state.h"
#include "util/cleanup.h"

void coi_net_bridge_clear (struct coi_net_bridge *b)
{
  free (b->network);
  free (b->device);
  free (b->nic_name);
  memset (b, 0, sizeof *b);
}

static int set_nic (struct coi_net_bridge *b, const char *key, json_t *dev, coi_error_t *err)
{
  const char *net = json_string_value (json_object_get (dev, "network"));
  if (net == NULL)
    net = json_string_value (json_object_get (dev, "parent"));
  const char *name = json_string_value (json_object_get (dev, "name"));
  if (net == NULL)
    return coi_error_make (err, EINVAL, "NIC device '%s' names no network", key);
  free (b->network);
  free (b->device);
  free (b->nic_name);
  b->network = strdup (net);
  b->device = strdup (key);
  b->nic_name = strdup (name ? name : key);
  if (!b->network || !b->device || !b->nic_name)
    return coi_error_errno (err, ENOMEM, "NIC plan");
  return 0;
}

static bool is_nic (json_t *dev)
{
  const char *type = json_string_value (json_object_get (dev, "type"));
  return type && strcmp (type, "nic") == 0;
}

/* Add each device of `devices` to `all` under its name, replacing what an
 * earlier source had there (as Incus expands profiles, then the instance's
 * own devices), and remember where each came from. */
static int merge_devices (json_t *all, json_t *origin, json_t *devices, const char *from)
{
  const char *key;
  json_t *d;
  json_object_foreach (devices, key, d)
  {
    if (json_object_set (all, key, d) < 0 || json_object_set_new (origin, key, json_string (from)) < 0)
      return -1;
  }
  return 0;
}

/* Only one NIC is given a fixed address and filtered: a second one would
 * be a way out around every rule, so it is refused, named. */
static int refuse_extra_nics (json_t *all, json_t *origin, coi_error_t *err)
{
  const char *first = NULL, *key;
  json_t *d;
  json_object_foreach (all, key, d)
  {
    if (!is_nic (d))
      continue;
    if (first == NULL)
      {
        first = key;
        continue;
      }
    coi_error_make (err, EINVAL,
                    "the container would get a second network device '%s' (from %s) besides '%s': "
                    "coi isolates exactly one",
                    key, json_string_value (json_object_get (origin, key)), first);
    coi_error_set_hint (err, "remove the extra nic device, or cover it with a device of type 'none' "
                             "of the same name");
    return -1;
  }
  return 0;
}

int coi_net_bridge_lookup (struct incus_client *c, json_t *instance_body, struct coi_net_bridge *out,
                           coi_error_t *err)
{
  struct coi_net_bridge b = { 0 };
  _cleanup_json_ json_t *all = json_object (), *origin = json_object ();
  if (all == NULL || origin == NULL)
    return coi_error_errno (err, ENOMEM, "NIC plan");
  /* Later profiles override earlier ones, and the instance's own devices
     override them all, as Incus expands them. */
  json_t *profiles = json_object_get (instance_body, "profiles");
  _cleanup_json_ json_t *deflt = json_pack ("[s]", "default");
  if (!json_is_array (profiles))
    profiles = deflt;
  size_t i;
  json_t *pn;
  json_array_foreach (profiles, i, pn)
  {
    const char *name = json_string_value (pn);
    if (name == NULL)
      continue;
    _cleanup_free_ char *esc = incus_escape (name);
    _cleanup_free_ char *path = NULL, *from = NULL;
    _cleanup_json_ json_t *prof = NULL;
    if (esc == NULL || asprintf (&path, "/1.0/profiles/%s", esc) < 0
        || asprintf (&from, "profile '%s'", name) < 0)
      return coi_error_errno (err, ENOMEM, "NIC plan");
    if (incus_call (c, "GET", path, NULL, &prof, err) < 0)
      return coi_error_prefix (err, "cannot read profile '%s'", name);
    if (merge_devices (all, origin, json_object_get (prof, "devices"), from) < 0)
      return coi_error_errno (err, ENOMEM, "NIC plan");
  }
  if (merge_devices (all, origin, json_object_get (instance_body, "devices"),
                     "the container's own devices") < 0)
    return coi_error_errno (err, ENOMEM, "NIC plan");
  if (refuse_extra_nics (all, origin, err) < 0)
    return -1;
  const char *key;
  json_t *dev;
  json_object_foreach (all, key, dev)
  {
    if (is_nic (dev) && set_nic (&b, key, dev, err) < 0)
      {
        coi_net_bridge_clear (&b);
        return -1;
      }
  }
  if (b.network == NULL)
    return coi_error_make (err, ENOENT, "the instance has no network device (no nic in its profiles)");

  _cleanup_free_ char *esc = incus_escape (b.network);
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ json_t *net = NULL;
  if (esc == NULL || asprintf (&path, "/1.0/networks/%s", esc) < 0)
    {
      coi_net_bridge_clear (&b);
      return coi_error_errno (err, ENOMEM, "NIC plan");
    }
  if (incus_call (c, "GET", path, NULL, &net, err) < 0)
    {
      coi_net_bridge_clear (&b);
      return coi_error_prefix (err, "cannot read network '%s'", esc);
    }
  json_t *cfg = json_object_get (net, "config");
  const char *cidr = json_string_value (json_object_get (cfg, "ipv4.address"));
  const char *v6 = json_string_value (json_object_get (cfg, "ipv6.address"));
  b.has_ipv6 = v6 && *v6 && strcmp (v6, "none") != 0;
  char buf[32];
  char *slash;
  if (cidr == NULL || strlen (cidr) >= sizeof buf || (slash = strchr (strcpy (buf, cidr), '/')) == NULL)
    {
      coi_error_make (err, EINVAL, "network '%s' is not a managed bridge with an IPv4 subnet",
                      b.network);
      coi_net_bridge_clear (&b);
      return -1;
    }
  *slash = '\0';
  int prefix = atoi (slash + 1);
  if (!coi_ipv4_parse (buf, &b.gateway) || prefix < 8 || prefix > 30)
    {
      coi_error_make (err, EINVAL, "network '%s': unusable ipv4.address '%s'", b.network, cidr);
      coi_net_bridge_clear (&b);
      return -1;
    }
  b.subnet.prefix = (uint8_t) prefix;
  b.subnet.addr = b.gateway & coi_ipv4_mask (b.subnet.prefix);
  *out = b;
  return 0;
}

static uint64_t fnv1a (const char *s)
{
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++)
    {
      h ^= (unsigned char) *s;
      h *= 0x100000001b3ull;
    }
  return h;
}

void coi_net_host_name (const char *container, char out[16])
{
  snprintf (out, 16, "coi%012llx", (unsigned long long) (fnv1a (container) & 0xffffffffffffull));
}

/* Addresses Incus already hands out on the bridge: static ones of every
 * instance (even stopped ones) and live dynamic leases. */
static int leased_addresses (struct incus_client *c, const char *network, json_t **out,
                             coi_error_t *err)
{
  _cleanup_free_ char *esc = incus_escape (network);
  _cleanup_free_ char *path = NULL;
  if (esc == NULL || asprintf (&path, "/1.0/networks/%s/leases", esc) < 0)
    return coi_error_errno (err, ENOMEM, "NIC plan");
  if (incus_call (c, "GET", path, NULL, out, err) < 0)
    return coi_error_prefix (err, "cannot list leases of '%s'", network);
  return 0;
}

static bool is_leased (json_t *leases, uint32_t a)
{
  size_t i;
  json_t *l;
  json_array_foreach (leases, i, l)
  {
    uint32_t x;
    if (coi_ipv4_parse (json_string_value (json_object_get (l, "address")), &x) && x == a)
      return true;
  }
  return false;
}

int coi_net_alloc_address (struct incus_client *c, const struct coi_net_site *site,
                           const struct coi_net_bridge *b, const char *container, uint32_t *addr,
                           coi_error_t *err)
{
  _cleanup_json_ json_t *leases = NULL;
  _cleanup_net_lock_ int lock = coi_net_lock (site, err);
  if (lock < 0)
    return -1;
  /* Read the leases under the lock: a concurrent coi has either reserved its
   * address already (we see the file) or not started choosing yet. */
  if (leased_addresses (c, b->network, &leases, err) < 0)
    return -1;
  uint32_t hosts = (1u << (32 - b->subnet.prefix)) - 2; /* without network and broadcast */
  uint32_t start = (uint32_t) (fnv1a (container) % hosts);
  for (uint32_t i = 0; i < hosts; i++)
    {
      uint32_t a = b->subnet.addr + 1 + (start + i) % hosts;
      if (a == b->gateway || is_leased (leases, a))
        continue;
      int r = coi_net_reserve (site, a, container, err);
      if (r < 0)
        return -1;
      if (r == 1)
        {
          *addr = a;
          return 0;
        }
    }
  return coi_error_make (err, ENOSPC, "no free IPv4 address left on network '%s'", b->network);
}

int coi_net_nic_apply_to_body (json_t *body, const struct coi_net_bridge *b, uint32_t addr,
                               const char *host_name, coi_error_t *err)
{
  char a[COI_IPV4_STRLEN];
  json_t *devices = json_object_get (body, "devices");
  json_t *config = json_object_get (body, "config");
  /* null, as a JSON body may say, is no devices at all. */
  if (json_is_null (devices))
    devices = NULL;
  if (json_is_null (config))
    config = NULL;
  if ((devices && !json_is_object (devices)) || (config && !json_is_object (config)))
    return coi_error_make (err, EINVAL, "NIC plan: devices and config must be objects");
  if (devices == NULL)
    {
      devices = json_object ();
      if (devices == NULL || json_object_set_new (body, "devices", devices) < 0)
        return coi_error_errno (err, ENOMEM, "NIC plan");
    }
  if (config == NULL)
    {
      config = json_object ();
      if (config == NULL || json_object_set_new (body, "config", config) < 0)
        return coi_error_errno (err, ENOMEM, "NIC plan");
    }
  /* ipv4_filtering is what makes "ip saddr" a trustworthy key; with
   * ipv6_filtering and no IPv6 on the bridge Incus drops all IPv6 from the
   * veth, and the sysctls switch it off inside as well. */
  json_t *nic = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "nic",
                           "network", b->network, "name", b->nic_name, "ipv4.address",
                           coi_ipv4_str (addr, a), "host_name", host_name,
                           "security.ipv4_filtering", "true", "security.ipv6_filtering", "true",
                           "security.mac_filtering", "true", "security.port_isolation", "true");
  if (nic == NULL || json_object_set_new (devices, b->device, nic) < 0
      || json_object_set_new (config, "linux.sysctl.net.ipv6.conf.all.disable_ipv6", json_string ("1")) < 0
      || json_object_set_new (config, "linux.sysctl.net.ipv6.conf.default.disable_ipv6", json_string ("1")) < 0)
    return coi_error_errno (err, ENOMEM, "NIC plan");
  return 0;
}
