/* The session.* requests: take a created container under guard (rules
 * before its first start), start its supervisor, say how it is guarded,
 * let it go. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guard/server_private.h"
#include "incus/instance.h"
#include "monitor/guard_spec.h"
#include "netpolicy/addr.h"
#include "netpolicy/policy_json.h"
#include "util/cleanup.h"

#define OWNER_KEY "user.coi.uid"

/* A caller's session, or a refusal: NULL with the call failed. */
static struct gsession *mine (struct guard_call *call, const char *name)
{
  struct gsession *s;
  int r = guard_session_of (call, name, &s);
  if (r == 0)
    guard_fail (call, COI_GUARD_NOT_FOUND, "%s is not guarded", name);
  return r > 0 ? s : NULL;
}

/* The container's ownership label: set by the guard the first time, and
 * from then on the one thing that says whose container it is. */
static int claim_owner (struct guard_call *call, struct incus_client *incus, const char *name, json_t *inst,
                        uid_t uid)
{
  const char *have = json_string_value (json_object_get (json_object_get (inst, "config"), OWNER_KEY));
  char want[24];
  snprintf (want, sizeof want, "%u", (unsigned) uid);
  if (have && strcmp (have, want) == 0)
    return 0;
  if (have && call->conn->peer.uid != 0)
    {
      guard_fail (call, COI_GUARD_DENIED, "%s belongs to uid %s", name, have);
      return -1;
    }
  _cleanup_json_ json_t *patch = json_pack ("{s:{s:s}}", "config", OWNER_KEY, want);
  if (patch == NULL || incus_instance_patch (incus, name, patch, &call->err) < 0)
    return -1;
  return 0;
}

/* One NIC only: the rules key on its address, a second one would be an
 * unfiltered way out. */
static int one_nic (struct guard_call *call, const char *name, json_t *inst)
{
  int nics = 0;
  const char *key;
  json_t *dev;
  json_object_foreach (json_object_get (inst, "expanded_devices"), key, dev)
  {
    const char *type = json_string_value (json_object_get (dev, "type"));
    if (type && strcmp (type, "nic") == 0)
      nics++;
  }
  if (nics == 1)
    return 0;
  guard_fail (call, COI_GUARD_DENIED, "%s has %d network devices; a guarded session has exactly one",
              name, nics);
  return -1;
}

json_t *guard_op_session_guard (struct guard_call *call)
{
  static const char *const keys[] = { "container", "project", "policy", "state_dir", NULL };
  struct guard *g = call->g;
  const char *name, *dir, *project;
  json_t *policy_in;
  if (coi_guard_args_only (call->args, keys, &call->err) < 0
      || coi_guard_arg_container (call->args, &name, &call->err) < 0
      || coi_guard_arg_project (call->args, &project, &call->err) < 0
      || coi_guard_arg_object (call->args, "policy", &policy_in, &call->err) < 0
      || coi_guard_arg_string (call->args, "state_dir", 255, &dir, &call->err) < 0)
    return NULL;
  if (dir[0] != '/' || strstr (dir, "/../") || strstr (dir, "/./"))
    return guard_fail (call, COI_GUARD_INVALID, "state_dir: not an absolute plain path");
  _cleanup_net_policy_ struct coi_net_policy *p = NULL;
  if (coi_net_policy_from_json (policy_in, &p, &call->err) < 0)
    {
      call->kind = COI_GUARD_INVALID;
      return NULL;
    }
  /* The guard's own nflog range, whatever the client thought. */
  p->log_group = g->where.site.log_base;
  struct gsession *s;
  if (guard_session_of (call, name, &s) < 0 || guard_other_project (call, s, project))
    return NULL;
  struct incus_client *incus = guard_incus (g, project, &call->err);
  _cleanup_json_ json_t *inst = NULL;
  int found = incus ? incus_instance_find (incus, name, &inst, &call->err) : -1;
  if (found <= 0)
    return found < 0 ? NULL
                     : guard_fail (call, COI_GUARD_NOT_FOUND, "no container %s in project %s", name, project);
  uid_t owner_uid = s ? s->owner.uid : call->conn->peer.uid;
  if (claim_owner (call, incus, name, inst, owner_uid) < 0 || one_nic (call, name, inst) < 0)
    return NULL;
  if (s == NULL)
    {
      /* A container coi made before (persistent, resumed): its NIC address
         is taken over by the attach below. */
      if ((s = gsession_new (g, name, project)) == NULL)
        return guard_fail (call, COI_GUARD_FAILED, "out of memory");
      s->owner = call->conn->peer;
    }
  snprintf (s->owner.state_dir, sizeof s->owner.state_dir, "%s", dir);
  /* Starting a session on it is the owner lifting a supervisor's hold. */
  char hold[512];
  if (guard_session_path (g, name, ".hold", hold, sizeof hold) == 0)
    unlink (hold);
  json_decref (s->policy);
  s->policy = coi_net_policy_to_json (p);
  s->pending = false;
  s->reserver = NULL;
  if (s->policy == NULL)
    return guard_fail (call, COI_GUARD_FAILED, "out of memory");
  if (s->addr == 0)
    {
      /* Learn it from the NIC: the attach checks it is filtered. */
      const char *key;
      json_t *dev;
      json_object_foreach (json_object_get (inst, "expanded_devices"), key, dev)
      {
        const char *ip = json_string_value (json_object_get (dev, "ipv4.address"));
        if (ip)
          coi_ipv4_parse (ip, &s->addr);
      }
    }
  if (guard_apply_rules (g, s, &call->err) < 0)
    {
      call->kind = call->err && call->err->status == EACCES ? COI_GUARD_DENIED : COI_GUARD_FAILED;
      gsession_drop (g, s, "rules could not be applied");
      return NULL;
    }
  if (gsession_save (g, s, &call->err) < 0)
    return NULL;
  char ip[COI_IPV4_STRLEN];
  coi_info (g->sink, "guarding %s (%s, %s, %s)", name, s->owner.name, coi_net_mode_name (p->mode),
            coi_ipv4_str (s->addr, ip));
  return json_pack ("{s:s, s:s, s:b}", "address", ip, "mode", coi_net_mode_name (p->mode), "nflog",
                    s->nflog_fd >= 0);
}

/* The client's part of the spec, checked by the spec's own reader; the
 * guard's part (who owns it, what policy, where its files go) replaces
 * whatever the client said about those. */
static int compose_spec (struct guard *g, struct gsession *s, json_t *client, coi_error_t *err)
{
  _cleanup_guard_spec_ struct coi_guard_spec spec;
  coi_guard_spec_init (&spec);
  json_t *copy = json_deep_copy (client);
  _cleanup_json_ json_t *c = copy;
  if (c == NULL || json_object_set_new (c, "container", json_string (s->container)) < 0)
    return coi_error_errno (err, ENOMEM, "session spec");
  json_object_del (c, "remote");
  json_object_del (c, "audit_log");
  json_object_del (c, "owner");
  if (json_object_set_new (c, "project", json_string (s->project)) < 0)
    return coi_error_errno (err, ENOMEM, "session spec");
  if (coi_guard_spec_from_json (&spec, c, err) < 0)
    return -1;
  _cleanup_net_policy_ struct coi_net_policy *p = NULL;
  if (s->policy && coi_net_policy_from_json (s->policy, &p, err) < 0)
    return -1;
  free (spec.network_mode);
  spec.network_mode = strdup (p ? coi_net_mode_name (p->mode) : "open");
  spec.owner.set = true;
  spec.owner.uid = s->owner.uid;
  spec.owner.gid = s->owner.gid;
  snprintf (spec.owner.name, sizeof spec.owner.name, "%s", s->owner.name);
  spec.owner.state_dir = strdup (s->owner.state_dir);
  spec.policy = s->policy ? json_incref (s->policy) : NULL;
  spec.log_group = s->log_group;
  spec.has_site = true;
  spec.site = g->where.site;
  if (asprintf (&spec.audit_log, "%s/audit/%s.jsonl", s->owner.state_dir, s->container) < 0)
    spec.audit_log = NULL;
  if (spec.network_mode == NULL || spec.owner.state_dir == NULL || spec.audit_log == NULL)
    return coi_error_errno (err, ENOMEM, "session spec");
  char path[512];
  if (guard_session_path (g, s->container, ".spec.json", path, sizeof path) < 0)
    return coi_error_make (err, EINVAL, "session spec path");
  return coi_guard_spec_save (path, &spec, err);
}

json_t *guard_op_session_supervise (struct guard_call *call)
{
  static const char *const keys[] = { "container", "spec", "wait", NULL };
  struct guard *g = call->g;
  const char *name;
  json_t *spec;
  bool wait;
  if (coi_guard_args_only (call->args, keys, &call->err) < 0
      || coi_guard_arg_container (call->args, &name, &call->err) < 0
      || coi_guard_arg_object (call->args, "spec", &spec, &call->err) < 0
      || coi_guard_arg_bool (call->args, "wait", true, &wait, &call->err) < 0)
    return NULL;
  struct gsession *s = mine (call, name);
  if (s == NULL)
    return NULL;
  if (compose_spec (g, s, spec, &call->err) < 0)
    {
      call->kind = COI_GUARD_INVALID;
      return NULL;
    }
  json_decref (s->supervise);
  s->supervise = json_deep_copy (spec);
  if (s->supervise == NULL || gsession_save (g, s, &call->err) < 0)
    return NULL;
  pid_t pid = 0;
  if (guard_supervisor_alive (g, name, &pid))
    {
      /* It takes the new spec. */
      kill (pid, SIGHUP);
      return json_pack ("{s:i}", "pid", (int) pid);
    }
  if (s->ready_fd < 0 && guard_supervisor_start (g, s, false, &call->err) < 0)
    return NULL;
  if (!wait)
    return json_pack ("{s:i}", "pid", 0);
  /* Answered once the supervisor says it is armed. */
  s->waiter = call->conn->fd;
  call->deferred = true;
  return NULL;
}

json_t *guard_op_session_release (struct guard_call *call)
{
  const char *name;
  struct gsession *s;
  int r = guard_args_container_only (call, &name) < 0 ? -1 : guard_session_of (call, name, &s);
  if (r <= 0)
    return r < 0 ? NULL : json_object ();
  gsession_drop (call->g, s, "released by its owner");
  return json_object ();
}

static json_t *describe (struct guard *g, struct gsession *s)
{
  char ip[COI_IPV4_STRLEN];
  pid_t pid = 0;
  bool alive = guard_supervisor_alive (g, s->container, &pid);
  char hold_path[512];
  _cleanup_json_ json_t *hold = NULL;
  if (guard_session_path (g, s->container, ".hold", hold_path, sizeof hold_path) == 0)
    hold = json_load_file (hold_path, 0, NULL);
  const char *mode = s->policy ? json_string_value (json_object_get (s->policy, "mode")) : NULL;
  return json_pack ("{s:s, s:s, s:s, s:I, s:s?, s:s?, s:b, s:b, s:{s:b, s:b, s:i, s:i}, s:O?}", "container",
                    s->container, "project", s->project, "owner", s->owner.name, "uid", (json_int_t) s->owner.uid, "address",
                    s->addr ? coi_ipv4_str (s->addr, ip) : NULL, "mode", mode, "rules", s->rules,
                    "pending", s->pending, "supervisor", "wanted", s->supervise != NULL, "alive", alive,
                    "pid", (int) pid, "restarts", s->restarts, "hold", hold);
}

json_t *guard_op_session_status (struct guard_call *call)
{
  static const char *const keys[] = { "container", NULL };
  const char *name;
  if (coi_guard_args_only (call->args, keys, &call->err) < 0
      || coi_guard_arg_string_opt (call->args, "container", 63, &name, &call->err) < 0)
    return NULL;
  _cleanup_json_ json_t *list = json_array ();
  if (list == NULL)
    return guard_fail (call, COI_GUARD_FAILED, "out of memory");
  for (struct gsession *s = call->g->sessions; s; s = s->next)
    if (guard_may (call->conn, s) && (name == NULL || strcmp (name, s->container) == 0))
      json_array_append_new (list, describe (call->g, s));
  return json_pack ("{s:O, s:s, s:s}", "sessions", list, "table", call->g->where.site.table, "version",
                    COI_VERSION);
}

json_t *guard_op_session_unfreeze (struct guard_call *call)
{
  const char *name;
  if (guard_args_container_only (call, &name) < 0)
    return NULL;
  struct gsession *s = mine (call, name);
  if (s == NULL)
    return NULL;
  char path[512];
  if (guard_session_path (call->g, name, ".hold", path, sizeof path) == 0)
    unlink (path);
  coi_info (call->g->sink, "hold on %s lifted by %s", name, call->conn->peer.name);
  struct incus_client *incus = guard_incus (call->g, s->project, &call->err);
  if (incus == NULL || incus_instance_set_state (incus, name, "unfreeze", -1, false, &call->err) < 0)
    return NULL;
  return json_object ();
}

static int list_orphan (const struct coi_net_orphan *o, void *data, coi_error_t *err)
{
  char ip[COI_IPV4_STRLEN];
  if (json_array_append_new (data, json_pack ("{s:s, s:s, s:b}", "address", coi_ipv4_str (o->addr, ip), "container",
                                               o->owner, "rules", o->rules))
      < 0)
    return coi_error_errno (err, ENOMEM, "orphans");
  return 0;
}

/* Rules and reservations whose container is gone.  Anyone may ask: they
 * belong to no live session, and nothing else is touched. */
json_t *guard_op_clean (struct guard_call *call)
{
  static const char *const keys[] = { "dry_run", NULL };
  bool dry_run;
  if (coi_guard_args_only (call->args, keys, &call->err) < 0
      || coi_guard_arg_bool (call->args, "dry_run", false, &dry_run, &call->err) < 0)
    return NULL;
  if (!dry_run)
    guard_reconcile (call->g);
  _cleanup_json_ json_t *list = json_array ();
  if (list == NULL)
    return guard_fail (call, COI_GUARD_FAILED, "out of memory");
  int n = coi_net_orphans (call->g->incus, &call->g->where.site, !dry_run, list_orphan, list, NULL, &call->err);
  if (n < 0)
    return NULL;
  return json_pack ("{s:i, s:O}", dry_run ? "found" : "removed", n, "orphans", list);
}

json_t *guard_op_hello (struct guard_call *call);
json_t *guard_op_hello (struct guard_call *call)
{
  return json_pack ("{s:i, s:s, s:s, s:s, s:I}", "proto", COI_GUARD_PROTO_VERSION, "version", COI_VERSION,
                    "table", call->g->where.site.table, "user", call->conn->peer.name, "uid",
                    (json_int_t) call->conn->peer.uid);
}

guard_op_fn guard_op_lookup (const char *name)
{
  static const struct
  {
    const char *name;
    guard_op_fn fn;
  } ops[] = {
    { "hello", guard_op_hello },
    { "net.reserve", guard_op_net_reserve },
    { "net.abandon", guard_op_net_abandon },
    { "session.guard", guard_op_session_guard },
    { "session.supervise", guard_op_session_supervise },
    { "session.release", guard_op_session_release },
    { "session.status", guard_op_session_status },
    { "session.unfreeze", guard_op_session_unfreeze },
    { "clean", guard_op_clean },
  };
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (strcmp (ops[i].name, name) == 0)
      return ops[i].fn;
  return NULL;
}
