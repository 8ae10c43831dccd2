#include "netpolicy/policy.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

struct coi_net_policy *coi_net_policy_new (enum coi_net_mode mode)
{
  struct coi_net_policy *p = calloc (1, sizeof *p);
  if (p == NULL)
    return NULL;
  p->mode = mode;
  p->block_private_networks = true;
  p->block_metadata_endpoint = true;
  p->refresh_interval_minutes = 30;
  p->log_group = 7300;
  return p;
}

void coi_port_list_clear (struct coi_port_list *l)
{
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

void coi_net_policy_free (struct coi_net_policy *p)
{
  if (p == NULL)
    return;
  for (size_t i = 0; i < p->n_entries; i++)
    {
      free (p->entries[i].name);
      coi_port_list_clear (&p->entries[i].ports);
    }
  free (p->entries);
  for (size_t i = 0; i < p->n_hosts; i++)
    {
      for (char **n = p->hosts[i].names; n && *n; n++)
        free (*n);
      free (p->hosts[i].names);
      coi_port_list_clear (&p->hosts[i].ports);
    }
  free (p->hosts);
  free (p->dns_servers);
  coi_port_list_clear (&p->allowed_ports);
  free (p);
}

int coi_net_mode_parse (const char *s, enum coi_net_mode *out, coi_error_t *err)
{
  if (s && strcmp (s, "restricted") == 0)
    *out = COI_NET_RESTRICTED;
  else if (s && strcmp (s, "allowlist") == 0)
    *out = COI_NET_ALLOWLIST;
  else if (s && strcmp (s, "open") == 0)
    *out = COI_NET_OPEN;
  else
    return coi_error_usage (err, "invalid network mode '%s' (expected restricted, allowlist or open)",
                            s ? s : "");
  return 0;
}

const char *coi_net_mode_name (enum coi_net_mode m)
{
  switch (m)
    {
    case COI_NET_RESTRICTED:
      return "restricted";
    case COI_NET_ALLOWLIST:
      return "allowlist";
    case COI_NET_OPEN:
      return "open";
    }
  return "?";
}

static int port_list_push (struct coi_port_list *l, unsigned lo, unsigned hi)
{
  struct coi_port_range *v = realloc (l->v, (l->n + 1) * sizeof *v);
  if (v == NULL)
    return -1;
  l->v = v;
  l->v[l->n].lo = (uint16_t) lo;
  l->v[l->n].hi = (uint16_t) hi;
  l->n++;
  return 0;
}

int coi_port_list_extend (struct coi_port_list *dst, const struct coi_port_list *src)
{
  for (size_t i = 0; i < src->n; i++)
    if (port_list_push (dst, src->v[i].lo, src->v[i].hi) < 0)
      return -1;
  return 0;
}

static int cmp_range (const void *a, const void *b)
{
  const struct coi_port_range *x = a, *y = b;
  return x->lo != y->lo ? (x->lo < y->lo ? -1 : 1) : (x->hi < y->hi ? -1 : x->hi > y->hi);
}

void coi_port_list_merge (struct coi_port_list *l)
{
  if (l->n < 2)
    return;
  qsort (l->v, l->n, sizeof *l->v, cmp_range);
  size_t w = 0;
  for (size_t i = 1; i < l->n; i++)
    {
      if ((unsigned) l->v[i].lo <= (unsigned) l->v[w].hi + 1)
        {
          if (l->v[i].hi > l->v[w].hi)
            l->v[w].hi = l->v[i].hi;
        }
      else
        l->v[++w] = l->v[i];
    }
  l->n = w + 1;
}

static bool parse_port (const char *s, size_t len, unsigned *out)
{
  unsigned v = 0;
  if (len == 0 || len > 5)
    return false;
  for (size_t i = 0; i < len; i++)
    {
      if (!isdigit ((unsigned char) s[i]))
        return false;
      v = v * 10 + (unsigned) (s[i] - '0');
    }
  if (v < 1 || v > 65535)
    return false;
  *out = v;
  return true;
}

int coi_port_list_parse (const char *s, struct coi_port_list *out, coi_error_t *err)
{
  struct coi_port_list l = { 0 };
  const char *p = s;
  while (1)
    {
      const char *end = strchr (p, ',');
      size_t len = end ? (size_t) (end - p) : strlen (p);
      const char *dash = memchr (p, '-', len);
      unsigned lo, hi;
      bool ok = dash ? parse_port (p, (size_t) (dash - p), &lo)
                           && parse_port (dash + 1, len - (size_t) (dash - p) - 1, &hi)
                     : parse_port (p, len, &lo);
      if (!dash)
        hi = lo;
      if (!ok || lo > hi)
        {
          coi_port_list_clear (&l);
          return coi_error_make (err, EINVAL, "invalid port specification '%s'", s);
        }
      if (port_list_push (&l, lo, hi) < 0)
        {
          coi_port_list_clear (&l);
          return coi_error_errno (err, ENOMEM, "port list");
        }
      if (end == NULL)
        break;
      p = end + 1;
    }
  coi_port_list_merge (&l);
  *out = l;
  return 0;
}

int coi_dns_name_normalize (const char *in, char *out, size_t outlen)
{
  size_t len = strlen (in);
  if (len > 0 && in[len - 1] == '.')
    len--;
  if (len == 0 || len > 253 || len >= outlen)
    return -1;
  size_t label = 0;
  for (size_t i = 0; i < len; i++)
    {
      char c = (char) tolower ((unsigned char) in[i]);
      if (c == '.')
        {
          if (label == 0)
            return -1;
          label = 0;
        }
      else if (isalnum ((unsigned char) c) || c == '-' || c == '_')
        {
          if (++label > 63)
            return -1;
        }
      else
        return -1;
      out[i] = c;
    }
  if (label == 0)
    return -1;
  out[len] = '\0';
  return 0;
}

static int push_entry (struct coi_net_policy *p, struct coi_net_entry *e)
{
  struct coi_net_entry *v = realloc (p->entries, (p->n_entries + 1) * sizeof *v);
  if (v == NULL)
    return -1;
  p->entries = v;
  p->entries[p->n_entries++] = *e;
  return 0;
}

int coi_net_policy_add_entry (struct coi_net_policy *p, const char *text, coi_error_t *err)
{
  _cleanup_free_ char *s = strdup (text ? text : "");
  if (s == NULL)
    return coi_error_errno (err, ENOMEM, "allowed_domains");
  struct coi_net_entry e = { 0 };
  /* Only IPv4 and names are accepted, so the last ':' always starts the ports. */
  char *colon = strrchr (s, ':');
  if (colon)
    {
      *colon = '\0';
      if (coi_port_list_parse (colon + 1, &e.ports, err) < 0)
        return coi_error_prefix (err, "allowed_domains entry '%s'", text);
    }
  uint32_t a;
  char name[256];
  if (strchr (s, '/') || coi_ipv4_parse (s, &a))
    {
      e.kind = COI_NET_ENTRY_NET;
      if (coi_ipv4_net_parse (s, &e.net, err) < 0)
        {
          coi_port_list_clear (&e.ports);
          return coi_error_prefix (err, "allowed_domains entry '%s'", text);
        }
    }
  else
    {
      const char *n = s;
      e.kind = COI_NET_ENTRY_NAME;
      if (strncmp (s, "*.", 2) == 0)
        {
          e.kind = COI_NET_ENTRY_WILDCARD;
          n = s + 2;
        }
      /* A wildcard directly under a TLD ("*.com") would allow a whole registry. */
      if (coi_dns_name_normalize (n, name, sizeof name) < 0
          || (e.kind == COI_NET_ENTRY_WILDCARD && strchr (name, '.') == NULL))
        {
          coi_port_list_clear (&e.ports);
          return coi_error_make (err, EINVAL,
                                 "allowed_domains entry '%s': not a host name, *.domain, IPv4 "
                                 "address or CIDR",
                                 text);
        }
      e.name = strdup (name);
      if (e.name == NULL)
        {
          coi_port_list_clear (&e.ports);
          return coi_error_errno (err, ENOMEM, "allowed_domains");
        }
    }
  if (push_entry (p, &e) < 0)
    {
      free (e.name);
      coi_port_list_clear (&e.ports);
      return coi_error_errno (err, ENOMEM, "allowed_domains");
    }
  return 0;
}

int coi_net_policy_add_host (struct coi_net_policy *p, const char *ip, const char *const *names,
                             const uint16_t *ports, size_t n_ports, coi_error_t *err)
{
  struct coi_net_host h = { 0 };
  if (!coi_ipv4_parse (ip, &h.addr))
    return coi_error_make (err, EINVAL, "network.hosts: invalid IPv4 address '%s'", ip ? ip : "");
  size_t n = 0;
  while (names && names[n])
    n++;
  if (n == 0)
    return coi_error_make (err, EINVAL, "network.hosts entry %s has no hostnames", ip);
  h.names = calloc (n + 1, sizeof *h.names);
  if (h.names == NULL)
    return coi_error_errno (err, ENOMEM, "network.hosts");
  for (size_t i = 0; i < n; i++)
    {
      char name[256];
      if (coi_dns_name_normalize (names[i], name, sizeof name) < 0
          || (h.names[i] = strdup (name)) == NULL)
        goto fail;
    }
  for (size_t i = 0; i < n_ports; i++)
    if (ports[i] == 0 || port_list_push (&h.ports, ports[i], ports[i]) < 0)
      goto fail;
  struct coi_net_host *v = realloc (p->hosts, (p->n_hosts + 1) * sizeof *v);
  if (v == NULL)
    goto fail;
  p->hosts = v;
  p->hosts[p->n_hosts++] = h;
  return 0;
fail:
  for (char **q = h.names; *q; q++)
    free (*q);
  free (h.names);
  coi_port_list_clear (&h.ports);
  return coi_error_make (err, EINVAL, "network.hosts entry %s: invalid hostname or port", ip);
}

int coi_net_policy_add_dns_server (struct coi_net_policy *p, const char *ip, coi_error_t *err)
{
  uint32_t a;
  if (!coi_ipv4_parse (ip, &a))
    return coi_error_make (err, EINVAL, "network.dns_servers: invalid IPv4 address '%s'",
                           ip ? ip : "");
  uint32_t *v = realloc (p->dns_servers, (p->n_dns_servers + 1) * sizeof *v);
  if (v == NULL)
    return coi_error_errno (err, ENOMEM, "network.dns_servers");
  p->dns_servers = v;
  p->dns_servers[p->n_dns_servers++] = a;
  return 0;
}

int coi_net_policy_add_allowed_port (struct coi_net_policy *p, unsigned lo, unsigned hi,
                                     coi_error_t *err)
{
  if (lo < 1 || hi > 65535 || lo > hi)
    return coi_error_make (err, EINVAL, "network.allowed_ports: invalid port %u-%u", lo, hi);
  if (port_list_push (&p->allowed_ports, lo, hi) < 0)
    return coi_error_errno (err, ENOMEM, "network.allowed_ports");
  return 0;
}

int coi_net_policy_validate (const struct coi_net_policy *p, coi_error_t *err)
{
  /* It bounds how long a learned address is trusted: 0 would be "never". */
  if (p->refresh_interval_minutes < 1)
    return coi_error_make (err, EINVAL, "network.refresh_interval_minutes must be at least 1 (got %d)",
                           p->refresh_interval_minutes);
  if (p->mode != COI_NET_ALLOWLIST)
    return 0;
  /* These would be rejected by the local-network rules anyway; saying so
   * beats a destination that silently never works. */
  if (!p->allow_local_network_access)
    {
      for (size_t i = 0; i < p->n_entries; i++)
        if (p->entries[i].kind == COI_NET_ENTRY_NET && coi_ipv4_net_touches_local (&p->entries[i].net))
          {
            char b[COI_IPV4_STRLEN];
            return coi_error_make (err, EINVAL,
                                   "allowed_domains entry %s/%u is in a private or link-local "
                                   "range; set network.allow_local_network_access to allow it",
                                   coi_ipv4_str (p->entries[i].net.addr, b),
                                   p->entries[i].net.prefix);
          }
      for (size_t i = 0; i < p->n_hosts; i++)
        if (coi_ipv4_is_private (p->hosts[i].addr) || coi_ipv4_is_link_local (p->hosts[i].addr))
          {
            char b[COI_IPV4_STRLEN];
            return coi_error_make (err, EINVAL,
                                   "network.hosts address %s is private or link-local; set "
                                   "network.allow_local_network_access to allow it",
                                   coi_ipv4_str (p->hosts[i].addr, b));
          }
    }
  return 0;
}

static bool name_matches (const struct coi_net_entry *e, const char *name)
{
  if (e->kind == COI_NET_ENTRY_NAME)
    return strcmp (e->name, name) == 0;
  if (e->kind != COI_NET_ENTRY_WILDCARD)
    return false;
  size_t nl = strlen (name), sl = strlen (e->name);
  /* Strictly below the suffix, on a label boundary: "x.example.com", not
   * "example.com" and not "badexample.com". */
  return nl > sl + 1 && name[nl - sl - 1] == '.' && strcmp (name + nl - sl, e->name) == 0;
}

bool coi_net_policy_match_name (const struct coi_net_policy *p, const char *name,
                                struct coi_port_list *ports, bool *all_ports)
{
  bool matched = false;
  for (size_t i = 0; i < p->n_entries; i++)
    {
      const struct coi_net_entry *e = &p->entries[i];
      if (!name_matches (e, name))
        continue;
      matched = true;
      if (e->ports.n == 0)
        *all_ports = true;
      else if (ports && coi_port_list_extend (ports, &e->ports) < 0)
        return false; /* out of memory: refuse the name rather than widen it */
    }
  return matched;
}

const struct coi_net_host *coi_net_policy_find_host (const struct coi_net_policy *p,
                                                     const char *name)
{
  for (size_t i = 0; i < p->n_hosts; i++)
    for (char **n = p->hosts[i].names; *n; n++)
      if (strcmp (*n, name) == 0)
        return &p->hosts[i];
  return NULL;
}
