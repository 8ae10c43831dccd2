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
#include "netpolicy/netlog.h"
#include "netpolicy/policy_json.h"
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
                            struct coi_guard_link *guard, const struct coi_config *cfg,
                            const char *network_override, coi_error_t *err)
{
  memset (g, 0, sizeof (*g));
  g->client = c;
  g->guard = guard;
  coi_limits_init (&g->limits);
  if (coi_net_policy_from_config (cfg, network_override, &g->net, err) < 0
      || coi_net_log_path (cfg, &g->net_log, err) < 0 || limits_from_config (&g->limits, cfg, err) < 0)
    return -1;
  bool needs = g->net->mode != COI_NET_OPEN || coi_config_bool (cfg, "monitoring.enabled")
               || g->limits.max_duration_sec > 0;
  _cleanup_json_ json_t *hello = NULL;
  _cleanup_error_ coi_error_t probe = NULL;
  if (guard && coi_guard_link_call (guard, "hello", NULL, &hello, &probe) == 0)
    {
      g->guarded = true;
      return 0;
    }
  if (!needs)
    return 0; /* open and unwatched: it runs without the guard */
  if (probe)
    {
      *err = steal_pointer (&probe);
      return coi_error_prefix (err, "a %s session needs the guard service", coi_net_mode_name (g->net->mode));
    }
  coi_error_make (err, ENOENT, "a %s session needs the guard service, and this Incus server has none here",
                  coi_net_mode_name (g->net->mode));
  coi_error_set_hint (err, "choose --network=open without [monitoring], or run coi where the guard runs");
  return -1;
}

void coi_guards_clear (struct coi_session_guards *g)
{
  if (g->net)
    coi_net_policy_free (g->net);
  coi_limits_clear (&g->limits);
  free (g->net_log);
  memset (g, 0, sizeof (*g));
}

bool coi_guards_logs_rejects (const struct coi_session_guards *g)
{
  return g->net && g->net->logging && g->net->mode != COI_NET_OPEN;
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

/* The guard's NIC plan into the body: the devices and config it returned
 * (the NIC with its fixed address and filters, IPv6 off). */
static int merge_plan (json_t *body, json_t *plan, coi_error_t *err)
{
  const char *keys[] = { "devices", "config" };
  for (size_t i = 0; i < 2; i++)
    {
      json_t *dst = json_object_get (body, keys[i]);
      json_t *src = json_object_get (plan, keys[i]);
      if (!json_is_object (src))
        return coi_error_make (err, EPROTO, "the guard's NIC plan has no %s", keys[i]);
      if (dst == NULL && json_object_set_new (body, keys[i], (dst = json_object ())) < 0)
        return coi_error_errno (err, ENOMEM, "NIC plan");
      if (json_object_update (dst, src) < 0)
        return coi_error_errno (err, ENOMEM, "NIC plan");
    }
  return 0;
}

static int read_target (const char *container, json_t *plan, struct coi_net_target *t, coi_error_t *err)
{
  memset (t, 0, sizeof *t);
  snprintf (t->container, sizeof t->container, "%s", container);
  json_int_t prefix = json_integer_value (json_object_get (plan, "prefix"));
  json_int_t port = json_integer_value (json_object_get (plan, "dns_port"));
  if (!coi_ipv4_parse (json_string_value (json_object_get (plan, "address")), &t->addr)
      || !coi_ipv4_parse (json_string_value (json_object_get (plan, "gateway")), &t->gateway) || prefix < 8
      || prefix > 30 || port < 0 || port > 65535)
    return coi_error_make (err, EPROTO, "the guard's NIC plan for %s is unreadable", container);
  t->subnet.prefix = (unsigned) prefix;
  t->subnet.addr = t->gateway & (uint32_t) (0xffffffffu << (32 - prefix));
  t->dns_port = (uint16_t) port;
  return 0;
}

static int prepare_body (void *data, const char *container, json_t *body, coi_error_t *err)
{
  struct coi_session_guards *g = data;
  g->has_target = false;
  if (coi_limits_apply_to_body (&g->limits, body, err) < 0)
    return -1;
  if (!g->guarded)
    return 0;
  json_t *devices = json_object_get (body, "devices");
  json_t *profiles = json_object_get (body, "profiles");
  _cleanup_json_ json_t *plan = NULL;
  json_t *args = json_pack ("{s:s, s:s, s:O?, s:O?, s:s}", "container", container, "project",
                            incus_client_project (g->client), "devices", devices, "profiles", profiles,
                            "state_dir", g->guard->state_dir);
  if (args == NULL)
    return coi_error_errno (err, ENOMEM, "plan the network of %s", container);
  if (coi_guard_link_call (g->guard, "net.reserve", args, &plan, err) < 0
      || merge_plan (body, plan, err) < 0 || read_target (container, plan, &g->target, err) < 0)
    return -1;
  g->has_target = true;
  return set_network_keys (&g->target, body, err);
}

static void abandon (void *data, const char *container)
{
  struct coi_session_guards *g = data;
  g->has_target = false;
  if (!g->guarded)
    return;
  _cleanup_error_ coi_error_t ignored = NULL;
  coi_guard_link_call (g->guard, "net.abandon", json_pack ("{s:s}", "container", container), NULL, &ignored);
}

/* For images without coi's templates: the address is fixed at create time,
 * so the container can configure it at boot instead of asking DHCP (under
 * load a DHCP exchange took seconds).  Images whose network is not
 * systemd-networkd still get it by DHCP. */
static void push_static_network (struct coi_session_guards *g, const char *container)
{
  const struct coi_net_target *t = &g->target;
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
  if (g->net_log == NULL || g->net->mode == COI_NET_OPEN || !g->has_target)
    return;
  char addr[COI_IPV4_STRLEN];
  if (coi_netlog_append (g->net_log, container, "applied mode=%s address=%s", coi_net_mode_name (g->net->mode),
                         coi_ipv4_str (g->target.addr, addr))
      < 0)
    coi_warn (g->sink, "cannot write the network log %s", g->net_log);
}

/* The guard checks the container (its one NIC, its owner) and puts the
 * policy in before anything starts it. */
static int guard_session (struct coi_session_guards *g, const char *container, coi_error_t *err)
{
  json_t *policy = coi_net_policy_to_json (g->net);
  json_t *args = policy ? json_pack ("{s:s, s:s, s:o, s:s}", "container", container, "project",
                                     incus_client_project (g->client), "policy", policy, "state_dir",
                                     g->guard->state_dir)
                        : NULL;
  _cleanup_json_ json_t *res = NULL;
  if (args == NULL)
    return coi_error_errno (err, ENOMEM, "guard %s", container);
  if (coi_guard_link_call (g->guard, "session.guard", args, &res, err) < 0)
    return -1;
  if (!g->has_target && coi_ipv4_parse (json_string_value (json_object_get (res, "address")), &g->target.addr))
    {
      snprintf (g->target.container, sizeof g->target.container, "%s", container);
      g->has_target = true;
    }
  log_applied (g, container);
  return 0;
}

static int before_start (void *data, const struct coi_session *s, coi_error_t *err)
{
  struct coi_session_guards *g = data;
  if (!g->guarded)
    return 0;
  if (guard_session (g, s->container, err) < 0)
    return -1;
  if (!s->image_renders_network && g->has_target && g->target.gateway)
    push_static_network (g, s->container);
  return 0;
}

static int reuse (void *data, const char *container, coi_error_t *err)
{
  struct coi_session_guards *g = data;
  return g->guarded ? guard_session (g, container, err) : 0;
}

static void teardown (void *data, const char *container)
{
  struct coi_session_guards *g = data;
  if (!g->guarded)
    return;
  _cleanup_error_ coi_error_t ignored = NULL;
  if (coi_guard_link_call (g->guard, "session.release", json_pack ("{s:s}", "container", container), NULL,
                           &ignored)
          == 0
      && g->net_log && g->net->mode != COI_NET_OPEN)
    coi_netlog_append (g->net_log, container, "removed");
}

const struct coi_net_target *coi_guards_net_target (const struct coi_session_guards *g)
{
  return g->has_target && g->target.gateway ? &g->target : NULL;
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
