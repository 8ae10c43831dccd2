#include "netpolicy/render.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

/* Emission collects the first failure instead of checking every append. */
struct out
{
  struct buf b;
  int failed;
  const char *table;
};

/* T stands for "inet <table>" in the format strings, so that they stay
 * checkable literals: emit fills in the site's table. */
#define T "\x1f"

static int append_filled (struct out *o, const char *s, size_t n)
{
  for (const char *end = s + n; s < end;)
    {
      const char *mark = memchr (s, '\x1f', (size_t) (end - s));
      size_t plain = mark ? (size_t) (mark - s) : (size_t) (end - s);
      if (buf_append (&o->b, s, plain) < 0)
        return -1;
      if (mark == NULL)
        break;
      if (buf_append (&o->b, "inet ", 5) < 0 || buf_append (&o->b, o->table, strlen (o->table)) < 0)
        return -1;
      s = mark + 1;
    }
  return 0;
}

static void emit (struct out *o, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static void emit (struct out *o, const char *fmt, ...)
{
  if (o->failed)
    return;
  va_list ap;
  char *s = NULL;
  va_start (ap, fmt);
  int n = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (n < 0 || append_filled (o, s, (size_t) n) < 0)
    o->failed = 1;
  free (s);
}

static char *finish (struct out *o)
{
  if (o->failed)
    {
      buf_free (&o->b);
      return NULL;
    }
  char *s = buf_steal (&o->b);
  return s ? s : strdup ("");
}

bool coi_net_container_name_ok (const char *name)
{
  size_t len = name ? strlen (name) : 0;
  if (len == 0 || len > 63 || !isalpha ((unsigned char) name[0]))
    return false;
  for (size_t i = 0; i < len; i++)
    if (!isalnum ((unsigned char) name[i]) && name[i] != '-')
      return false;
  return true;
}

char *coi_nft_render_base (const char *table)
{
  struct out o = { .table = table };
  emit (&o, "create table " T " { comment \"owned by coi: sessions keyed by container address\"; }\n");
  emit (&o, "add map " T " sess { type ipv4_addr : verdict; }\n");
  emit (&o, "add map " T " nsess { type ipv4_addr : verdict; }\n");
  /* filter - 10: our reject is final before Incus' own accept rules run. */
  emit (&o, "add chain " T " forward { type filter hook forward priority filter - 10; policy accept; }\n");
  emit (&o, "add chain " T " input { type filter hook input priority filter - 10; policy accept; }\n");
  emit (&o, "add chain " T " nat_pre { type nat hook prerouting priority dstnat - 10; policy accept; }\n");
  emit (&o, "add rule " T " forward ip saddr vmap @sess\n");
  emit (&o, "add rule " T " input ip saddr vmap @sess\n");
  emit (&o, "add rule " T " nat_pre ip saddr vmap @nsess\n");
  return finish (&o);
}

static const char *const set_suffix[] = { "sa", "sp", "da", "dp" };
static const char *const set_type[] = {
  "type ipv4_addr; flags interval; auto-merge;",
  "type ipv4_addr . inet_service; flags interval;",
  "type ipv4_addr; flags timeout;",
  "type ipv4_addr . inet_service; flags interval,timeout;",
};

static void emit_teardown (struct out *o, uint32_t addr)
{
  char a[COI_IPV4_STRLEN], k[COI_IPV4_STRLEN];
  coi_ipv4_str (addr, a);
  coi_ipv4_key (addr, k);
  /* nft 1.0.6 has no "destroy": add-then-delete makes each step idempotent
   * inside the one transaction. */
  emit (o, "add chain " T " c_%s\n", k);
  emit (o, "add chain " T " n_%s\n", k);
  emit (o, "add element " T " sess { %s : jump c_%s }\n", a, k);
  emit (o, "add element " T " nsess { %s : jump n_%s }\n", a, k);
  emit (o, "delete element " T " sess { %s }\n", a);
  emit (o, "delete element " T " nsess { %s }\n", a);
  emit (o, "flush chain " T " c_%s\n", k);
  emit (o, "flush chain " T " n_%s\n", k);
  emit (o, "delete chain " T " c_%s\n", k);
  emit (o, "delete chain " T " n_%s\n", k);
  for (size_t i = 0; i < 4; i++)
    {
      emit (o, "add set " T " %s_%s { %s }\n", set_suffix[i], k, set_type[i]);
      emit (o, "delete set " T " %s_%s\n", set_suffix[i], k);
    }
}

char *coi_nft_render_teardown (const char *table, uint32_t addr)
{
  struct out o = { .table = table };
  emit_teardown (&o, addr);
  return finish (&o);
}

static void emit_ports (struct out *o, const struct coi_port_list *l)
{
  emit (o, "{ ");
  for (size_t i = 0; i < l->n; i++)
    {
      if (l->v[i].lo == l->v[i].hi)
        emit (o, "%s%u", i ? ", " : "", l->v[i].lo);
      else
        emit (o, "%s%u-%u", i ? ", " : "", l->v[i].lo, l->v[i].hi);
    }
  emit (o, " }");
}

/* The reject every blocked packet gets, optionally logged to the session's
 * own nflog group: only one socket can bind a group, so each supervisor
 * needs its own. */
static void emit_reject (struct out *o, const struct coi_net_target *t,
                         const struct coi_net_policy *p, const char *what)
{
  if (p->logging && t->log_group != 0)
    emit (o, " log prefix \"coi:%s %s \" group %u", t->container, what, t->log_group);
  emit (o, " reject with icmpx admin-prohibited\n");
}

/* Static allowlist entries: sa_ (all ports) and sp_ (address . port). */
static void emit_static_elements (struct out *o, const char *k, const struct coi_net_policy *p)
{
  for (size_t i = 0; i < p->n_entries; i++)
    {
      const struct coi_net_entry *e = &p->entries[i];
      if (e->kind != COI_NET_ENTRY_NET)
        continue;
      char a[COI_IPV4_STRLEN];
      coi_ipv4_str (e->net.addr, a);
      const struct coi_port_list *ports = e->ports.n ? &e->ports : &p->allowed_ports;
      if (ports->n == 0)
        emit (o, "add element " T " sa_%s { %s/%u }\n", k, a, e->net.prefix);
      else
        for (size_t j = 0; j < ports->n; j++)
          emit (o, "add element " T " sp_%s { %s/%u . %u-%u }\n", k, a, e->net.prefix,
                ports->v[j].lo, ports->v[j].hi);
    }
  for (size_t i = 0; i < p->n_hosts; i++)
    {
      const struct coi_net_host *h = &p->hosts[i];
      char a[COI_IPV4_STRLEN];
      coi_ipv4_str (h->addr, a);
      const struct coi_port_list *ports = h->ports.n ? &h->ports : &p->allowed_ports;
      if (ports->n == 0)
        emit (o, "add element " T " sa_%s { %s }\n", k, a);
      else
        for (size_t j = 0; j < ports->n; j++)
          emit (o, "add element " T " sp_%s { %s . %u-%u }\n", k, a, ports->v[j].lo,
                ports->v[j].hi);
    }
}

static void emit_local_blocks (struct out *o, const struct coi_net_target *t,
                               const struct coi_net_policy *p, const char *c, bool block_private)
{
  if (block_private)
    {
      emit (o, "add rule " T " %s ip daddr { 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
               "100.64.0.0/10 }", c);
      emit_reject (o, t, p, "private");
    }
  if (p->block_metadata_endpoint)
    {
      emit (o, "add rule " T " %s ip daddr 169.254.0.0/16", c);
      emit_reject (o, t, p, "metadata");
    }
}

char *coi_nft_render_apply (const char *table, const struct coi_net_target *t,
                            const struct coi_net_policy *p)
{
  struct out o = { .table = table };
  if (!coi_net_container_name_ok (t->container))
    return NULL;
  emit_teardown (&o, t->addr);
  if (p->mode == COI_NET_OPEN)
    return finish (&o);

  char a[COI_IPV4_STRLEN], k[COI_IPV4_STRLEN], gw[COI_IPV4_STRLEN], sn[COI_IPV4_STRLEN];
  coi_ipv4_str (t->addr, a);
  coi_ipv4_key (t->addr, k);
  coi_ipv4_str (t->gateway, gw);
  coi_ipv4_str (t->subnet.addr, sn);
  char c[24];
  snprintf (c, sizeof c, "c_%s", k);
  const char *name = t->container;

  emit (&o, "add chain " T " c_%s { comment \"" COI_NFT_COMMENT_PREFIX "%s\"; }\n", k, name);
  emit (&o, "add chain " T " n_%s { comment \"" COI_NFT_COMMENT_PREFIX "%s\"; }\n", k, name);
  for (size_t i = 0; i < 4; i++)
    emit (&o, "add set " T " %s_%s { %s comment \"" COI_NFT_COMMENT_PREFIX "%s\"; }\n",
          set_suffix[i], k, set_type[i], name);

  emit (&o, "add rule " T " %s ct state established,related accept\n", c);
  /* DHCP first: renewals go to the gateway, the first DISCOVER is broadcast. */
  emit (&o, "add rule " T " %s ip daddr { %s, 255.255.255.255 } udp dport 67 accept\n", c, gw);
  /* Only the session's own DNS filter: port 53 to anywhere is DNATed to it,
   * so no name leaves unseen (a tunnel through the host's resolver). */
  emit (&o, "add rule " T " %s ip daddr %s meta l4proto { tcp, udp } th dport %u accept\n", c, gw,
        t->dns_port);
  /* Everything else aimed at the host itself (any of its addresses) is
   * refused; in the input hook every packet is local, so this ends it. */
  emit (&o, "add rule " T " %s fib daddr type { local, broadcast, multicast }", c);
  emit_reject (&o, t, p, "host");
  /* Other containers on the bridge, even when local networks are allowed. */
  emit (&o, "add rule " T " %s ip daddr %s/%u", c, sn, t->subnet.prefix);
  emit_reject (&o, t, p, "bridge");

  if (p->mode == COI_NET_RESTRICTED)
    {
      if (p->n_dns_servers > 0)
        {
          /* Pinned resolvers are reachable even when allowed_ports leaves 53
           * out (port 53 goes to the filter, which forwards to the first). */
          emit (&o, "add rule " T " %s ip daddr { ", c);
          for (size_t i = 0; i < p->n_dns_servers; i++)
            {
              char d[COI_IPV4_STRLEN];
              emit (&o, "%s%s", i ? ", " : "", coi_ipv4_str (p->dns_servers[i], d));
            }
          emit (&o, " } meta l4proto { tcp, udp } th dport { 53, 853 } accept\n");
          emit (&o, "add rule " T " %s meta l4proto { tcp, udp } th dport { 53, 853 }", c);
          emit_reject (&o, t, p, "dns");
        }
      emit_local_blocks (&o, t, p, c, p->block_private_networks && !p->allow_local_network_access);
      if (p->allowed_ports.n > 0)
        {
          emit (&o, "add rule " T " %s meta l4proto { tcp, udp } th dport ", c);
          emit_ports (&o, &p->allowed_ports);
          emit (&o, " accept\n");
          emit (&o, "add rule " T " %s icmp type echo-request accept\n", c);
          emit (&o, "add rule " T " %s", c);
          emit_reject (&o, t, p, "port");
        }
      else
        emit (&o, "add rule " T " %s accept\n", c);
    }
  else
    {
      /* Before the allow sets, so a DNS answer pointing into the LAN
       * (rebinding) cannot open it. */
      emit_local_blocks (&o, t, p, c, !p->allow_local_network_access);
      emit_static_elements (&o, k, p);
      emit (&o, "add rule " T " %s ip daddr @sa_%s accept\n", c, k);
      emit (&o, "add rule " T " %s ip daddr @da_%s accept\n", c, k);
      emit (&o, "add rule " T " %s meta l4proto { tcp, udp } ip daddr . th dport @sp_%s accept\n", c, k);
      emit (&o, "add rule " T " %s meta l4proto { tcp, udp } ip daddr . th dport @dp_%s accept\n", c, k);
      emit (&o, "add rule " T " %s", c);
      emit_reject (&o, t, p, "allowlist");
    }
  emit (&o, "add rule " T " n_%s meta l4proto { tcp, udp } th dport 53 dnat ip to %s:%u\n", k, gw,
        t->dns_port);
  emit (&o, "add element " T " sess { %s : jump c_%s }\n", a, k);
  emit (&o, "add element " T " nsess { %s : jump n_%s }\n", a, k);
  return finish (&o);
}

char *coi_nft_render_dynamic (const char *table, uint32_t session_addr, uint32_t a,
                              const struct coi_port_list *ports, unsigned timeout_s)
{
  struct out o = { .table = table };
  char k[COI_IPV4_STRLEN], s[COI_IPV4_STRLEN];
  coi_ipv4_key (session_addr, k);
  coi_ipv4_str (a, s);
  if (timeout_s == 0)
    timeout_s = 1;
  /* add, delete, add: the last add sets the new timeout on every kernel,
   * and within one transaction the element never disappears. */
  if (ports == NULL || ports->n == 0)
    {
      emit (&o, "add element " T " da_%s { %s timeout %us }\n", k, s, timeout_s);
      emit (&o, "delete element " T " da_%s { %s }\n", k, s);
      emit (&o, "add element " T " da_%s { %s timeout %us }\n", k, s, timeout_s);
    }
  else
    for (size_t i = 0; i < ports->n; i++)
      {
        unsigned lo = ports->v[i].lo, hi = ports->v[i].hi;
        emit (&o, "add element " T " dp_%s { %s . %u-%u timeout %us }\n", k, s, lo, hi, timeout_s);
        emit (&o, "delete element " T " dp_%s { %s . %u-%u }\n", k, s, lo, hi);
        emit (&o, "add element " T " dp_%s { %s . %u-%u timeout %us }\n", k, s, lo, hi, timeout_s);
      }
  return finish (&o);
}
