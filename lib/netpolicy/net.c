#include "netpolicy/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "incus/instance.h"
#include "netpolicy/backend.h"
#include "netpolicy/nic.h"
#include "netpolicy/state.h"
#include "util/cleanup.h"

/* Ports 20000 + host index: below the ephemeral range, so an outgoing
 * socket can never be sitting on a session's filter port. */
#define DNS_PORT_BASE 20000u
#define DNS_PORT_LAST 32767u

struct coi_net_session
{
  struct coi_net_target target;
  const struct coi_net_policy *policy;
  const struct coi_net_site *site;
  char host_name[16];
};

uint16_t coi_net_dns_port (uint32_t addr, const struct coi_ipv4_net *subnet)
{
  uint32_t index = addr - subnet->addr;
  if (index > DNS_PORT_LAST - DNS_PORT_BASE)
    return 0;
  return (uint16_t) (DNS_PORT_BASE + index);
}

uint16_t coi_net_log_group (uint16_t base, uint32_t addr, const struct coi_ipv4_net *subnet)
{
  uint32_t index = addr - subnet->addr;
  if (base == 0 || index > 0xffffu - base)
    return 0;
  return (uint16_t) (base + index);
}

static int session_new (const struct coi_net_site *site, const struct coi_net_policy *p,
                        const char *container, const struct coi_net_bridge *b, uint32_t addr,
                        struct coi_net_session **out, coi_error_t *err)
{
  struct coi_net_session *s = calloc (1, sizeof *s);
  if (s == NULL)
    return coi_error_errno (err, ENOMEM, "network session");
  s->policy = p;
  s->site = site;
  strcpy (s->target.container, container); /* length checked by the caller */
  s->target.addr = addr;
  s->target.gateway = b->gateway;
  s->target.subnet = b->subnet;
  s->target.dns_port = coi_net_dns_port (addr, &b->subnet);
  s->target.log_group = coi_net_log_group (site->log_base, addr, &b->subnet);
  coi_net_host_name (container, s->host_name);
  if (s->target.dns_port == 0 && p->mode != COI_NET_OPEN)
    {
      free (s);
      return coi_error_make (err, ERANGE, "address too far into the bridge subnet for a DNS port");
    }
  *out = s;
  return 0;
}

static int check_inputs (const struct coi_net_site *site, const struct coi_net_policy *p,
                         const char *container, coi_error_t *err)
{
  if (!coi_net_container_name_ok (container))
    return coi_error_make (err, EINVAL, "invalid container name '%s'", container ? container : "");
  if (coi_net_policy_validate (p, err) < 0)
    return -1;
  if (p->mode == COI_NET_OPEN)
    return 0;
  /* Fail before anything is created: never an unfiltered filtered session. */
  _cleanup_net_backend_ struct coi_net_backend b = { 0 };
  if (coi_net_backend_open (&b, site, err) < 0)
    return -1;
  return b.ops->check (b.h, err);
}

/* The rules key on IPv4 source addresses; on a bridge that routes IPv6 a
 * container could re-enable IPv6 inside and go around them. */
static int refuse_ipv6_bridge (const struct coi_net_policy *p, const struct coi_net_bridge *b,
                               coi_error_t *err)
{
  if (p->mode == COI_NET_OPEN || !b->has_ipv6)
    return 0;
  coi_error_make (err, EPROTONOSUPPORT,
                  "network '%s' routes IPv6, which the %s policy cannot filter; refusing to start "
                  "an unfiltered session",
                  b->network, coi_net_mode_name (p->mode));
  coi_error_set_hint (err, "use a bridge with ipv6.address=none for coi containers");
  return -1;
}

int coi_net_prepare (struct incus_client *c, const struct coi_net_site *site,
                     const struct coi_net_policy *p, const char *container, json_t *instance_body,
                     struct coi_net_session **out, coi_error_t *err)
{
  struct coi_net_bridge b = { 0 };
  uint32_t addr = 0;
  if (check_inputs (site, p, container, err) < 0)
    return -1;
  if (coi_net_bridge_lookup (c, instance_body, &b, err) < 0)
    return -1;
  int r = -1;
  if (refuse_ipv6_bridge (p, &b, err) < 0)
    goto out;
  struct coi_net_session *s = NULL;
  char host_name[16];
  coi_net_host_name (container, host_name);
  if (coi_net_alloc_address (c, site, &b, container, &addr, err) < 0)
    goto out;
  if (session_new (site, p, container, &b, addr, &s, err) < 0
      || coi_net_nic_apply_to_body (instance_body, &b, addr, host_name, err) < 0)
    {
      _cleanup_error_ coi_error_t ignored = NULL;
      coi_net_release (site, addr, container, &ignored);
      free (s);
      goto out;
    }
  *out = s;
  r = 0;
out:
  coi_net_bridge_clear (&b);
  return r;
}

int coi_net_attach (struct incus_client *c, const struct coi_net_site *site,
                    const struct coi_net_policy *p, const char *container,
                    struct coi_net_session **out, coi_error_t *err)
{
  if (check_inputs (site, p, container, err) < 0)
    return -1;
  _cleanup_json_ json_t *inst = NULL;
  if (incus_instance_get (c, container, &inst, err) < 0)
    return -1;
  /* Expanded devices: what the instance really has, profiles included. */
  json_t *devices = json_object_get (inst, "expanded_devices");
  _cleanup_json_ json_t *body = json_pack ("{s:O, s:O}", "devices", devices ? devices : json_null (),
                                           "profiles", json_object_get (inst, "profiles"));
  struct coi_net_bridge b = { 0 };
  if (body == NULL || coi_net_bridge_lookup (c, body, &b, err) < 0)
    return body ? -1 : coi_error_errno (err, ENOMEM, "network session");
  if (refuse_ipv6_bridge (p, &b, err) < 0)
    {
      coi_net_bridge_clear (&b);
      return -1;
    }
  json_t *nic = json_object_get (devices, b.device);
  const char *ip = json_string_value (json_object_get (nic, "ipv4.address"));
  const char *filt = json_string_value (json_object_get (nic, "security.ipv4_filtering"));
  uint32_t addr;
  int r = -1;
  if (ip == NULL || !coi_ipv4_parse (ip, &addr) || filt == NULL || strcmp (filt, "true") != 0)
    {
      coi_error_make (err, EINVAL,
                      "container '%s' was not created with a coi NIC plan (static ipv4.address "
                      "and security.ipv4_filtering); its traffic cannot be told apart safely",
                      container);
      goto out;
    }
  /* Re-reserve: a stale reservation of ours is fine, someone else's is not. */
  char owner[80];
  if (coi_net_reserve (site, addr, container, err) < 0)
    goto out;
  if (coi_net_reservation_owner (site, addr, owner, sizeof owner, NULL) && strcmp (owner, container) != 0)
    {
      coi_error_make (err, EBUSY, "address %s of '%s' is reserved by '%s'", ip, container, owner);
      goto out;
    }
  r = session_new (site, p, container, &b, addr, out, err);
out:
  coi_net_bridge_clear (&b);
  return r;
}

int coi_net_apply_policy (struct coi_net_session *s, const struct coi_net_policy *p,
                          coi_error_t *err)
{
  _cleanup_net_backend_ struct coi_net_backend b = { 0 };
  if (coi_net_policy_validate (p, err) < 0 || coi_net_backend_open (&b, s->site, err) < 0)
    return -1;
  if (p->mode != COI_NET_OPEN && s->target.dns_port == 0)
    return coi_error_make (err, ERANGE, "no DNS filter port for this address");
  _cleanup_net_lock_ int lock = coi_net_lock (s->site, err);
  if (lock < 0)
    return -1;
  s->target.log_group = coi_net_log_group (s->site->log_base, s->target.addr, &s->target.subnet);
  if (b.ops->apply (b.h, &s->target, p, err) < 0)
    {
      /* Without privileges a leftover of an earlier owner of the address
       * cannot be removed; in open mode it only restricts more, so go on. */
      if (p->mode == COI_NET_OPEN && (*err)->status == EPERM)
        {
          coi_error_release (err);
          s->policy = p;
          return 0;
        }
      return coi_error_prefix (err, "cannot apply the %s network policy for '%s'",
                               coi_net_mode_name (p->mode), s->target.container);
    }
  s->policy = p;
  return 0;
}

int coi_net_apply (struct coi_net_session *s, coi_error_t *err)
{
  return coi_net_apply_policy (s, s->policy, err);
}

struct owned
{
  const char *container;
  uint32_t addrs[16];
  size_t n;
};

static int collect_owned (uint32_t addr, const char *owner, void *data)
{
  struct owned *o = data;
  if (strcmp (owner, o->container) != 0)
    return 0;
  for (size_t i = 0; i < o->n; i++)
    if (o->addrs[i] == addr)
      return 0;
  if (o->n < sizeof o->addrs / sizeof o->addrs[0])
    o->addrs[o->n++] = addr;
  return 0;
}

static int collect_reserved (uint32_t addr, const char *owner, time_t mtime, void *data)
{
  (void) mtime;
  return collect_owned (addr, owner, data);
}

int coi_net_teardown (const struct coi_net_site *site, const char *container, coi_error_t *err)
{
  if (!coi_net_container_name_ok (container))
    return coi_error_make (err, EINVAL, "invalid container name '%s'", container ? container : "");
  _cleanup_net_backend_ struct coi_net_backend b = { 0 };
  struct owned o = { .container = container };
  if (coi_net_backend_open (&b, site, err) < 0)
    return -1;
  _cleanup_net_lock_ int lock = coi_net_lock (site, err);
  if (lock < 0)
    return -1;
  if (coi_net_reservations_foreach (site, collect_reserved, &o, err) < 0)
    return -1;
  /* The backend's own record finds sessions whose reservation is gone. */
  _cleanup_error_ coi_error_t list_err = NULL;
  if (b.ops->foreach_session (b.h, collect_owned, &o, &list_err) < 0 && list_err->status != EPERM)
    {
      *err = list_err;
      list_err = NULL;
      return coi_error_prefix (err, "network teardown of '%s'", container);
    }
  for (size_t i = 0; i < o.n; i++)
    {
      if (list_err == NULL && b.ops->teardown (b.h, o.addrs[i], err) < 0)
        return coi_error_prefix (err, "network teardown of '%s'", container);
      if (coi_net_release (site, o.addrs[i], container, err) < 0)
        return -1;
    }
  return 0;
}

void coi_net_session_free (struct coi_net_session *s)
{
  free (s);
}

const struct coi_net_target *coi_net_session_target (const struct coi_net_session *s)
{
  return &s->target;
}

const struct coi_net_policy *coi_net_session_policy (const struct coi_net_session *s)
{
  return s->policy;
}

const struct coi_net_site *coi_net_session_site (const struct coi_net_session *s)
{
  return s->site;
}

const char *coi_net_session_host_name (const struct coi_net_session *s)
{
  return s->host_name;
}
