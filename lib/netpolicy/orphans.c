/* Host network state (nftables rules, address reservations) whose container
 * is gone: found here for `coi clean --orphans`, which removes it, and for
 * `coi health`, which counts it.  Only addresses on the bridges of the
 * server asked are judged: another server on this host (a test's) keeps
 * its sessions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "incus/instance.h"
#include "netpolicy/backend.h"
#include "netpolicy/net.h"
#include "netpolicy/nft.h"
#include "netpolicy/state.h"
#include "util/cleanup.h"

/* A reservation younger than this may belong to a create in flight. */
#define RESERVATION_GRACE_S 120
#define MAX_SUBNETS 64

struct orphan_scan
{
  struct incus_client *c;
  const struct coi_net_site *site;
  struct coi_net_backend *b; /* NULL: rules are not read */
  bool remove;
  coi_net_orphan_fn fn;
  void *data;
  coi_error_t *err;
  struct coi_ipv4_net subnets[MAX_SUBNETS];
  size_t nsubnets;
  json_t *instances; /* every project's: a session may live in any */
  int found;
};

/* The IPv4 subnets of the server's managed networks. */
static int server_subnets (struct orphan_scan *o)
{
  _cleanup_json_ json_t *nets = NULL;
  if (incus_list (o->c, "/1.0/networks?recursion=1", &nets, o->err) < 0)
    return coi_error_prefix (o->err, "list networks");
  size_t i;
  json_t *n;
  json_array_foreach (nets, i, n)
  {
    const char *cidr = json_string_value (json_object_get (json_object_get (n, "config"), "ipv4.address"));
    char buf[32];
    char *slash;
    uint32_t gw;
    if (!json_is_true (json_object_get (n, "managed")) || cidr == NULL || strlen (cidr) >= sizeof buf
        || (slash = strchr (strcpy (buf, cidr), '/')) == NULL || o->nsubnets == MAX_SUBNETS)
      continue;
    *slash = '\0';
    int prefix = atoi (slash + 1);
    if (!coi_ipv4_parse (buf, &gw) || prefix < 1 || prefix > 32)
      continue;
    o->subnets[o->nsubnets].prefix = (uint8_t) prefix;
    o->subnets[o->nsubnets].addr = gw & coi_ipv4_mask ((uint8_t) prefix);
    o->nsubnets++;
  }
  return 0;
}

static bool on_server (const struct orphan_scan *o, uint32_t addr)
{
  for (size_t i = 0; i < o->nsubnets; i++)
    if (coi_ipv4_net_contains (&o->subnets[i], addr))
      return true;
  return false;
}

/* Is `addr` still the address of a live instance named `owner` (in any
 * project)? */
static bool still_owned (const struct orphan_scan *o, uint32_t addr, const char *owner)
{
  if (!coi_net_container_name_ok (owner))
    return false;
  size_t i;
  json_t *inst;
  json_array_foreach (o->instances, i, inst)
  {
    const char *name = json_string_value (json_object_get (inst, "name"));
    if (name == NULL || strcmp (name, owner) != 0)
      continue;
    const char *key;
    json_t *dev;
    json_object_foreach (json_object_get (inst, "expanded_devices"), key, dev)
    {
      uint32_t a;
      if (coi_ipv4_parse (json_string_value (json_object_get (dev, "ipv4.address")), &a) && a == addr)
        return true;
    }
  }
  return false;
}

static int report (struct orphan_scan *o, uint32_t addr, const char *owner, bool rules)
{
  o->found++;
  if (o->fn == NULL)
    return 0;
  struct coi_net_orphan orphan = { .addr = addr, .owner = owner, .rules = rules };
  return o->fn (&orphan, o->data, o->err);
}

static int orphan_session (uint32_t addr, const char *owner, void *data)
{
  struct orphan_scan *o = data;
  if (!on_server (o, addr))
    return 0;
  if (still_owned (o, addr, owner))
    return 0;
  if (o->remove && o->b->ops->teardown (o->b->h, addr, o->err) < 0)
    return -1;
  return report (o, addr, owner, true);
}

static int orphan_reservation (uint32_t addr, const char *owner, time_t mtime, void *data)
{
  struct orphan_scan *o = data;
  if (time (NULL) - mtime < RESERVATION_GRACE_S || !on_server (o, addr))
    return 0;
  if (still_owned (o, addr, owner))
    return 0;
  if (o->remove && coi_net_release (o->site, addr, owner, o->err) < 0)
    return -1;
  return report (o, addr, owner, false);
}

int coi_net_orphans (struct incus_client *c, const struct coi_net_site *site, bool remove,
                     coi_net_orphan_fn fn, void *data, bool *rules_read, coi_error_t *err)
{
  _cleanup_net_backend_ struct coi_net_backend b = { 0 };
  struct orphan_scan o = { .c = c, .site = site, .remove = remove, .fn = fn, .data = data, .err = err };
  /* Listing the rules takes the same privilege as changing them. */
  bool rules = remove || coi_nft_may_admin ();
  if (rules_read)
    *rules_read = rules;
  if (server_subnets (&o) < 0)
    return -1;
  _cleanup_json_ json_t *instances = NULL;
  if (incus_list (c, "/1.0/instances?recursion=1&all-projects=true", &instances, err) < 0)
    return coi_error_prefix (err, "list instances");
  o.instances = instances;
  if (rules)
    {
      if (coi_net_backend_open (&b, site, err) < 0)
        return -1;
      o.b = &b;
    }
  /* Only a change needs the host lock: a reader may see a launch half-way,
   * which the owner check and the grace period already allow for. */
  _cleanup_net_lock_ int lock = remove ? coi_net_lock (site, err) : -1;
  if (remove && lock < 0)
    return -1;
  if (rules && b.ops->foreach_session (b.h, orphan_session, &o, err) < 0)
    return coi_error_prefix (err, "orphaned network rules");
  if (coi_net_reservations_foreach (site, orphan_reservation, &o, err) < 0)
    return coi_error_prefix (err, "orphaned address reservations");
  return o.found;
}

int coi_net_clean_orphans (struct incus_client *c, const struct coi_net_site *site, coi_error_t *err)
{
  return coi_net_orphans (c, site, true, NULL, NULL, NULL, err);
}
