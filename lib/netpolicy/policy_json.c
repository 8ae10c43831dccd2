/* A policy as JSON, for the guard protocol and the supervisor's spec.  The
 * form reuses the configuration's own text for entries ("*.x.com:443"), so
 * reading it back goes through exactly the checks a configuration does. */
#include "netpolicy/policy_json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/buf.h"
#include "util/cleanup.h"

#define MAX_ITEMS 4096

static int ports_text (const struct coi_port_list *l, struct buf *b)
{
  for (size_t i = 0; i < l->n; i++)
    {
      int r = l->v[i].lo == l->v[i].hi ? buf_printf (b, "%s%u", i ? "," : "", l->v[i].lo)
                                        : buf_printf (b, "%s%u-%u", i ? "," : "", l->v[i].lo, l->v[i].hi);
      if (r < 0)
        return -1;
    }
  return 0;
}

static json_t *entry_text (const struct coi_net_entry *e)
{
  _cleanup_buf_ struct buf b = { 0 };
  char cidr[COI_IPV4_CIDR_STRLEN];
  int r;
  if (e->kind == COI_NET_ENTRY_NET)
    r = buf_printf (&b, "%s", coi_ipv4_cidr_str (e->net.addr, e->net.prefix, cidr));
  else
    r = buf_printf (&b, "%s%s", e->kind == COI_NET_ENTRY_WILDCARD ? "*." : "", e->name);
  if (r < 0 || (e->ports.n && (buf_printf (&b, ":") < 0 || ports_text (&e->ports, &b) < 0)))
    return NULL;
  return json_stringn (b.data, b.len);
}

json_t *coi_net_policy_to_json (const struct coi_net_policy *p)
{
  _cleanup_json_ json_t *entries = json_array ();
  _cleanup_json_ json_t *hosts = json_array ();
  _cleanup_json_ json_t *dns = json_array ();
  _cleanup_json_ json_t *ports = json_array ();
  if (!entries || !hosts || !dns || !ports)
    return NULL;
  for (size_t i = 0; i < p->n_entries; i++)
    if (json_array_append_new (entries, entry_text (&p->entries[i])) < 0)
      return NULL;
  for (size_t i = 0; i < p->n_hosts; i++)
    {
      const struct coi_net_host *h = &p->hosts[i];
      char ip[COI_IPV4_STRLEN];
      json_t *names = json_array ();
      json_t *hp = json_array ();
      for (char **n = h->names; names && *n; n++)
        json_array_append_new (names, json_string (*n));
      for (size_t k = 0; hp && k < h->ports.n; k++)
        for (unsigned port = h->ports.v[k].lo; port <= h->ports.v[k].hi; port++)
          json_array_append_new (hp, json_integer (port));
      json_t *o = json_pack ("{s:s, s:o*, s:o*}", "ip", coi_ipv4_str (h->addr, ip), "names", names,
                             "ports", hp);
      if (o == NULL || json_array_append_new (hosts, o) < 0)
        return NULL;
    }
  for (size_t i = 0; i < p->n_dns_servers; i++)
    {
      char ip[COI_IPV4_STRLEN];
      if (json_array_append_new (dns, json_string (coi_ipv4_str (p->dns_servers[i], ip))) < 0)
        return NULL;
    }
  for (size_t i = 0; i < p->allowed_ports.n; i++)
    {
      char r[16];
      const struct coi_port_range *pr = &p->allowed_ports.v[i];
      if (pr->lo == pr->hi)
        snprintf (r, sizeof r, "%u", pr->lo);
      else
        snprintf (r, sizeof r, "%u-%u", pr->lo, pr->hi);
      if (json_array_append_new (ports, json_string (r)) < 0)
        return NULL;
    }
  return json_pack ("{s:s, s:O, s:O, s:b, s:b, s:b, s:O, s:O, s:i, s:b}", "mode",
                    coi_net_mode_name (p->mode), "entries", entries, "hosts", hosts,
                    "allow_local_network_access", p->allow_local_network_access,
                    "block_private_networks", p->block_private_networks, "block_metadata_endpoint",
                    p->block_metadata_endpoint, "dns_servers", dns, "allowed_ports", ports,
                    "refresh_interval_minutes", p->refresh_interval_minutes, "logging", p->logging);
}

static int bad (coi_error_t *err, const char *what)
{
  return coi_error_make (err, EINVAL, "network policy: %s", what);
}

static const char *item_string (json_t *v)
{
  return json_is_string (v) && strlen (json_string_value (v)) == json_string_length (v)
             ? json_string_value (v)
             : NULL;
}

static int read_bool (json_t *j, const char *key, bool *out, coi_error_t *err)
{
  json_t *v = json_object_get (j, key);
  if (!json_is_boolean (v))
    return coi_error_make (err, EINVAL, "network policy: %s is not a boolean", key);
  *out = json_is_true (v);
  return 0;
}

static json_t *read_array (json_t *j, const char *key, coi_error_t *err)
{
  json_t *a = json_object_get (j, key);
  if (!json_is_array (a) || json_array_size (a) > MAX_ITEMS)
    {
      coi_error_make (err, EINVAL, "network policy: %s is not a list (at most %d items)", key, MAX_ITEMS);
      return NULL;
    }
  return a;
}

static int read_hosts (struct coi_net_policy *p, json_t *hosts, coi_error_t *err)
{
  size_t i;
  json_t *h;
  json_array_foreach (hosts, i, h)
  {
    const char *ip = item_string (json_object_get (h, "ip"));
    json_t *names = json_object_get (h, "names");
    json_t *ports = json_object_get (h, "ports");
    if (ip == NULL || !json_is_array (names) || json_array_size (names) > 64 || !json_is_array (ports)
        || json_array_size (ports) > 64)
      return bad (err, "a host needs ip, names and ports");
    const char *nv[65] = { 0 };
    uint16_t pv[64];
    for (size_t k = 0; k < json_array_size (names); k++)
      if ((nv[k] = item_string (json_array_get (names, k))) == NULL)
        return bad (err, "a host name is not a string");
    for (size_t k = 0; k < json_array_size (ports); k++)
      {
        json_t *pj = json_array_get (ports, k);
        if (!json_is_integer (pj) || json_integer_value (pj) < 1 || json_integer_value (pj) > 65535)
          return bad (err, "a host port is not 1-65535");
        pv[k] = (uint16_t) json_integer_value (pj);
      }
    if (coi_net_policy_add_host (p, ip, nv, pv, json_array_size (ports), err) < 0)
      return -1;
  }
  return 0;
}

int coi_net_policy_from_json (json_t *j, struct coi_net_policy **out, coi_error_t *err)
{
  *out = NULL;
  enum coi_net_mode mode;
  if (!json_is_object (j))
    return bad (err, "not an object");
  const char *m = item_string (json_object_get (j, "mode"));
  if (m == NULL || coi_net_mode_parse (m, &mode, err) < 0)
    return m ? -1 : bad (err, "mode is missing");
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (mode);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "network policy");
  json_t *entries, *hosts, *dns, *ports, *v;
  size_t i;
  if ((entries = read_array (j, "entries", err)) == NULL || (hosts = read_array (j, "hosts", err)) == NULL
      || (dns = read_array (j, "dns_servers", err)) == NULL
      || (ports = read_array (j, "allowed_ports", err)) == NULL
      || read_bool (j, "allow_local_network_access", &p->allow_local_network_access, err) < 0
      || read_bool (j, "block_private_networks", &p->block_private_networks, err) < 0
      || read_bool (j, "block_metadata_endpoint", &p->block_metadata_endpoint, err) < 0
      || read_bool (j, "logging", &p->logging, err) < 0)
    return -1;
  json_t *refresh = json_object_get (j, "refresh_interval_minutes");
  if (!json_is_integer (refresh) || json_integer_value (refresh) < 1 || json_integer_value (refresh) > 10080)
    return bad (err, "refresh_interval_minutes is not 1-10080");
  p->refresh_interval_minutes = (int) json_integer_value (refresh);
  json_array_foreach (entries, i, v)
  {
    const char *s = item_string (v);
    if (s == NULL || coi_net_policy_add_entry (p, s, err) < 0)
      return s ? -1 : bad (err, "an entry is not a string");
  }
  json_array_foreach (dns, i, v)
  {
    const char *s = item_string (v);
    if (s == NULL || coi_net_policy_add_dns_server (p, s, err) < 0)
      return s ? -1 : bad (err, "a DNS server is not a string");
  }
  json_array_foreach (ports, i, v)
  {
    const char *s = item_string (v);
    struct coi_port_list l = { 0 };
    if (s == NULL || coi_port_list_parse (s, &l, err) < 0)
      return s ? -1 : bad (err, "an allowed port is not a string");
    int r = coi_port_list_extend (&p->allowed_ports, &l);
    coi_port_list_clear (&l);
    if (r < 0)
      return coi_error_errno (err, ENOMEM, "network policy");
  }
  if (read_hosts (p, hosts, err) < 0 || coi_net_policy_validate (p, err) < 0)
    return -1;
  *out = steal_pointer (&p);
  return 0;
}
