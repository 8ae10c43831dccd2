/* Network requests: an address and NIC plan for a container about to be
 * created, and the rules that key on that address. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guard/server_private.h"
#include "incus/instance.h"
#include "netpolicy/nflog.h"
#include "netpolicy/nic.h"
#include "netpolicy/policy_json.h"
#include "netpolicy/state.h"
#include "util/cleanup.h"

/* The caller's ~/.coi: absolute, plain, and only ever opened as the caller. */
static int state_dir_arg (struct guard_call *call, struct guard_owner *o)
{
  const char *dir;
  if (coi_guard_arg_string (call->args, "state_dir", sizeof o->state_dir - 1, &dir, &call->err) < 0)
    return -1;
  if (dir[0] != '/' || strstr (dir, "/../") || strstr (dir, "/./"))
    {
      guard_fail (call, COI_GUARD_INVALID, "state_dir: not an absolute plain path");
      return -1;
    }
  snprintf (o->state_dir, sizeof o->state_dir, "%s", dir);
  return 0;
}

/* Until session.guard brings the session's own policy, its address may
 * reach nothing at all: a container started without it is closed, never
 * open. */
static struct coi_net_policy *closed_policy (void)
{
  struct coi_net_policy *p = coi_net_policy_new (COI_NET_ALLOWLIST);
  if (p)
    p->logging = false;
  return p;
}

json_t *guard_op_net_reserve (struct guard_call *call)
{
  static const char *const keys[] = { "container", "project", "devices", "profiles", "state_dir", NULL };
  struct guard *g = call->g;
  const char *name, *project;
  struct guard_owner owner = call->conn->peer;
  if (coi_guard_args_only (call->args, keys, &call->err) < 0
      || coi_guard_arg_container (call->args, &name, &call->err) < 0
      || coi_guard_arg_project (call->args, &project, &call->err) < 0 || state_dir_arg (call, &owner) < 0)
    return NULL;
  json_t *devices = json_object_get (call->args, "devices");
  json_t *profiles = json_object_get (call->args, "profiles");
  if ((devices && !json_is_object (devices)) || (profiles && !json_is_array (profiles)))
    return guard_fail (call, COI_GUARD_INVALID, "devices/profiles: wrong type");
  struct gsession *s;
  if (guard_session_of (call, name, &s) < 0 || guard_other_project (call, s, project))
    return NULL;
  struct incus_client *incus = guard_incus (g, project, &call->err);
  _cleanup_json_ json_t *inst = NULL;
  int found = incus ? incus_instance_find (incus, name, &inst, &call->err) : -1;
  if (found < 0)
    return NULL;
  if (found)
    return guard_fail (call, COI_GUARD_BUSY, "%s exists already", name);
  /* Another client is creating it right now: that client's slot. */
  if (s && s->pending && s->reserver && s->reserver != call->conn)
    return guard_fail (call, COI_GUARD_BUSY, "%s is being created", name);
  if (s)
    gsession_drop (g, s, "reserved again");

  _cleanup_json_ json_t *body = json_pack ("{s:O?, s:O?, s:{}}", "devices", devices, "profiles",
                                           profiles, "config");
  _cleanup_net_policy_ struct coi_net_policy *closed = closed_policy ();
  _cleanup_net_session_ struct coi_net_session *ns = NULL;
  if (body == NULL || closed == NULL)
    return guard_fail (call, COI_GUARD_FAILED, "out of memory");
  if (coi_net_prepare (incus, &g->where.site, closed, name, body, &ns, &call->err) < 0)
    return NULL;
  const struct coi_net_target *t = coi_net_session_target (ns);
  if (coi_net_apply (ns, &call->err) < 0)
    {
      _cleanup_error_ coi_error_t ignored = NULL;
      coi_net_teardown (&g->where.site, name, &ignored);
      return NULL;
    }
  if ((s = gsession_new (g, name, project)) == NULL)
    return guard_fail (call, COI_GUARD_FAILED, "out of memory");
  s->owner = owner;
  s->addr = t->addr;
  s->pending = true;
  s->reserver = call->conn;
  s->reserved_at = time (NULL);
  if (gsession_save (g, s, &call->err) < 0)
    {
      gsession_drop (g, s, "record failed");
      return NULL;
    }
  char gw[COI_IPV4_STRLEN], ip[COI_IPV4_STRLEN];
  coi_info (g->sink, "reserved %s for %s (%s)", coi_ipv4_str (t->addr, ip), name, owner.name);
  return json_pack ("{s:O, s:O, s:s, s:s, s:i, s:i}", "devices", json_object_get (body, "devices"),
                    "config", json_object_get (body, "config"), "address", ip, "gateway",
                    coi_ipv4_str (t->gateway, gw), "prefix", t->subnet.prefix, "dns_port", t->dns_port);
}

json_t *guard_op_net_abandon (struct guard_call *call)
{
  const char *name;
  struct gsession *s;
  int r = guard_args_container_only (call, &name) < 0 ? -1 : guard_session_of (call, name, &s);
  if (r <= 0)
    return r < 0 ? NULL : json_object ();
  /* Only a reservation that never became a container is abandoned. */
  if (s->pending)
    gsession_drop (call->g, s, "abandoned before create");
  return json_object ();
}

int guard_apply_rules (struct guard *g, struct gsession *s, coi_error_t *err)
{
  _cleanup_net_policy_ struct coi_net_policy *p = NULL;
  _cleanup_net_session_ struct coi_net_session *ns = NULL;
  struct incus_client *incus = guard_incus (g, s->project, err);
  if (incus == NULL || coi_net_policy_from_json (s->policy, &p, err) < 0
      || coi_net_attach (incus, &g->where.site, p, s->container, &ns, err) < 0)
    return -1;
  const struct coi_net_target *t = coi_net_session_target (ns);
  if (t->addr != s->addr)
    return coi_error_make (err, EACCES, "%s's NIC has %s, not the address reserved for it",
                           s->container, "another address");
  if (coi_net_apply (ns, err) < 0)
    return -1;
  s->rules = true;
  s->log_group = p->logging && p->mode != COI_NET_OPEN ? t->log_group : 0;
  /* Bound now, before the first packet: every reject waits in the socket
     until the supervisor reads it. */
  if (p->logging && p->mode != COI_NET_OPEN && s->nflog_fd < 0 && t->log_group > 0)
    {
      _cleanup_error_ coi_error_t ignored = NULL;
      if (coi_nflog_open (t->log_group, &s->nflog_fd, &ignored) < 0)
        s->nflog_fd = -1;
    }
  return 0;
}

void guard_remove_rules (struct guard *g, struct gsession *s)
{
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_net_teardown (&g->where.site, s->container, &err) < 0)
    coi_warn (g->sink, "remove the rules of %s: %s", s->container, err->msg);
  s->rules = false;
  if (s->nflog_fd >= 0)
    {
      close (s->nflog_fd);
      s->nflog_fd = -1;
    }
}
