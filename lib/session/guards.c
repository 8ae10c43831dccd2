#include "session/guards.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "image/templates.h"
#include "incus/files.h"
#include "netpolicy/addr.h"
#include "netpolicy/nflog.h"
#include "netpolicy/netlog.h"
#include "netpolicy/state.h"
#include "session/end.h"
#include "session/net_config.h"
#include "util/cleanup.h"

/* Every [limits] key, handed to the limits parser as text. */
static int limits_from_config (struct coi_limits *l, const struct coi_config *cfg, coi_error_t *err)
{
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      if (strncmp (k->key, "limits.", 7) != 0)
        continue;
      char text[64];
      const char *v = NULL;
      if (k->type == CFG_STRING)
        v = coi_config_string (cfg, k->key);
      else if (k->type == CFG_INT)
        {
          snprintf (text, sizeof text, "%" PRId64, coi_config_int (cfg, k->key));
          v = text;
        }
      else if (k->type == CFG_BOOL)
        v = coi_config_bool (cfg, k->key) ? "true" : "false";
      if (v == NULL || strcmp (k->key, "limits.disk.tmpfs_size") == 0)
        continue;
      if (coi_limits_set (l, k->key, v, err) < 0)
        return -1;
    }
  return 0;
}

int coi_guards_from_config (struct coi_session_guards *g, struct incus_client *c,
                            const struct coi_config *cfg, const char *network_override,
                            coi_error_t *err)
{
  memset (g, 0, sizeof (*g));
  g->client = c;
  coi_limits_init (&g->limits);
  if (coi_net_policy_from_config (cfg, network_override, &g->net, err) < 0
      || coi_net_log_path (cfg, &g->net_log, err) < 0)
    return -1;
  return limits_from_config (&g->limits, cfg, err);
}

void coi_guards_clear (struct coi_session_guards *g)
{
  if (g->ns)
    coi_net_session_free (g->ns);
  if (g->net)
    coi_net_policy_free (g->net);
  coi_limits_clear (&g->limits);
  free (g->net_log);
  if (g->has_nflog)
    close (g->nflog_fd);
  memset (g, 0, sizeof (*g));
}

static void drop_attempt (struct coi_session_guards *g, const char *container)
{
  if (g->ns == NULL)
    return;
  /* Release only this attempt's address: the name may be someone else's. */
  _cleanup_error_ coi_error_t ignored = NULL;
  coi_net_release (coi_net_session_target (g->ns)->addr, container, &ignored);
  coi_net_session_free (g->ns);
  g->ns = NULL;
}

/* coi images render eth0's network file and resolv.conf from these at
 * create time (lib/image/templates.c): no file push before start. */
static int set_network_keys (const struct coi_net_target *t, json_t *body, coi_error_t *err)
{
  char gw[COI_IPV4_STRLEN], cidr[COI_IPV4_CIDR_STRLEN];
  coi_ipv4_str (t->gateway, gw);
  coi_ipv4_cidr_str (t->addr, t->subnet.prefix, cidr);
  json_t *config = json_object_get (body, "config");
  if (!json_is_object (config) || json_object_set_new (config, COI_NET_KEY_ADDRESS, json_string (cidr)) < 0
      || json_object_set_new (config, COI_NET_KEY_GATEWAY, json_string (gw)) < 0)
    return coi_error_errno (err, ENOMEM, "plan the network of %s", t->container);
  return 0;
}

static int prepare_body (void *data, const char *container, json_t *body, coi_error_t *err)
{
  struct coi_session_guards *g = data;
  drop_attempt (g, container);
  if (coi_limits_apply_to_body (&g->limits, body, err) < 0
      || coi_net_prepare (g->client, g->net, container, body, &g->ns, err) < 0)
    return -1;
  return g->ns ? set_network_keys (coi_net_session_target (g->ns), body, err) : 0;
}

static void abandon (void *data, const char *container)
{
  drop_attempt (data, container);
}

/* For images without coi's templates: the address is fixed at create time,
 * so the container can configure it at boot instead of asking DHCP (under
 * load a DHCP exchange took seconds).  Images whose network is not
 * systemd-networkd still get it by DHCP. */
static void push_static_network (struct coi_session_guards *g, const char *container)
{
  const struct coi_net_target *t = coi_net_session_target (g->ns);
  char addr[COI_IPV4_STRLEN], gw[COI_IPV4_STRLEN], text[512];
  coi_ipv4_str (t->addr, addr);
  coi_ipv4_str (t->gateway, gw);
  int n = snprintf (text, sizeof text,
                    "# Written by coi: this container's fixed address.\n"
                    "[Match]\nName=eth0\n\n[Network]\nAddress=%s/%u\nGateway=%s\nDNS=%s\n"
                    "LinkLocalAddressing=no\nIPv6AcceptRA=no\n",
                    addr, t->subnet.prefix, gw, gw);
  if (n <= 0 || (size_t) n >= sizeof text)
    return;
  _cleanup_error_ coi_error_t ignored = NULL;
  struct incus_file_attrs a = { 0, 0, 0644 };
  incus_file_push_data (g->client, container, "/etc/systemd/network/10-coi-eth0.network", text,
                        (size_t) n, a, &ignored);
}

/* COI writes network setup to network.log; a session that filters nothing
 * (open) has no policy to report. */
static void log_applied (struct coi_session_guards *g, const char *container)
{
  if (g->net_log == NULL || g->net->mode == COI_NET_OPEN || g->ns == NULL)
    return;
  const struct coi_net_target *t = coi_net_session_target (g->ns);
  char addr[COI_IPV4_STRLEN];
  if (coi_netlog_append (g->net_log, container, "applied mode=%s address=%s log_group=%u",
                         coi_net_mode_name (g->net->mode), coi_ipv4_str (t->addr, addr), t->log_group)
      < 0)
    coi_warn (g->sink, "cannot write the network log %s", g->net_log);
}

/* Bound here, before the first packet, the group keeps every reject in its
 * socket until the supervisor reads it.  Failing is not fatal: a supervisor
 * already guarding the container holds the group, or the supervisor binds
 * it itself later. */
static void bind_nflog (struct coi_session_guards *g)
{
  if (g->has_nflog || g->ns == NULL || !coi_guards_logs_rejects (g))
    return;
  uint16_t group = coi_net_session_target (g->ns)->log_group;
  _cleanup_error_ coi_error_t ignored = NULL;
  if (group > 0 && coi_nflog_open (group, &g->nflog_fd, &ignored) == 0)
    g->has_nflog = true;
}

bool coi_guards_logs_rejects (const struct coi_session_guards *g)
{
  return g->net && g->net->logging && g->net->mode != COI_NET_OPEN;
}

int coi_guards_take_nflog (struct coi_session_guards *g)
{
  if (!g->has_nflog)
    return -1;
  g->has_nflog = false;
  return g->nflog_fd;
}

static int before_start (void *data, const struct coi_session *s, coi_error_t *err)
{
  struct coi_session_guards *g = data;
  if (g->ns == NULL)
    return coi_error_make (err, EINVAL, "no network plan for %s", s->container);
  if (coi_net_apply (g->ns, err) < 0)
    return -1;
  log_applied (g, s->container);
  bind_nflog (g);
  if (!s->image_renders_network)
    push_static_network (g, s->container);
  return 0;
}

static int reuse (void *data, const char *container, coi_error_t *err)
{
  struct coi_session_guards *g = data;
  if (g->ns)
    {
      coi_net_session_free (g->ns);
      g->ns = NULL;
    }
  if (coi_net_attach (g->client, g->net, container, &g->ns, err) < 0 || coi_net_apply (g->ns, err) < 0)
    return -1;
  log_applied (g, container);
  bind_nflog (g);
  return 0;
}

static void teardown (void *data, const char *container)
{
  struct coi_session_guards *g = data;
  coi_container_stop_supervisor (container);
  /* An unprivileged open session installed no rules and may not list them. */
  if (g->net && g->net->mode == COI_NET_OPEN && geteuid () != 0)
    {
      if (g->ns)
        drop_attempt (g, container);
      return;
    }
  _cleanup_error_ coi_error_t ignored = NULL;
  if (coi_net_teardown (container, &ignored) == 0 && g->net_log && g->net && g->net->mode != COI_NET_OPEN)
    coi_netlog_append (g->net_log, container, "removed");
}

const struct coi_net_target *coi_guards_net_target (const struct coi_session_guards *g)
{
  return g->ns ? coi_net_session_target (g->ns) : NULL;
}

void coi_guards_hooks (struct coi_session_guards *g, struct coi_session_hooks *h)
{
  *h = (struct coi_session_hooks) {
    .data = g,
    .prepare_body = prepare_body,
    .before_start = before_start,
    .abandon = abandon,
    .reuse = reuse,
    .teardown = teardown,
  };
}
