#include "session/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "incus/instance.h"
#include "monitor/guard_spec.h"
#include "monitor/paths.h"
#include "monitor/supervisor.h"
#include "netpolicy/dns_filter.h"
#include "netpolicy/net.h"
#include "netpolicy/netlog.h"
#include "netpolicy/policy.h"
#include "session/net_config.h"
#include "session/end.h"
#include "session/inventory.h"
#include "session/metadata.h"
#include "session/spec.h"
#include "session/tool_state.h"
#include "netpolicy/policy_json.h"
#include "util/asuser.h"
#include "util/bootid.h"
#include "util/cleanup.h"
#include "util/fs.h"

bool coi_session_supervisor_guards (const struct coi_config *cfg, const struct coi_session_guards *g)
{
  /* Restricted and allowlist sessions resolve names only through the DNS
     filter the supervisor hosts. */
  return coi_config_bool (cfg, "monitoring.enabled") || g->limits.max_duration_sec > 0
         || (g->net && g->net->mode != COI_NET_OPEN);
}

bool coi_session_needs_supervisor (const struct coi_config *cfg, const struct coi_session_guards *g,
                                   bool interactive_session)
{
  /* Logged rejects need a reader, or nothing would ever see them.  Only
     the guard runs supervisors. */
  return g->guarded
         && (interactive_session || coi_session_supervisor_guards (cfg, g) || coi_guards_logs_rejects (g));
}

/* The allowlist as configured, for the audit log's policy record. */
static json_t *allowlist_json (const struct coi_net_policy *p)
{
  _cleanup_json_ json_t *a = json_array ();
  if (a == NULL || p == NULL || p->mode != COI_NET_ALLOWLIST)
    return steal_pointer (&a);
  for (size_t i = 0; i < p->n_entries; i++)
    {
      const struct coi_net_entry *e = &p->entries[i];
      char text[COI_IPV4_CIDR_STRLEN + 256];
      if (e->kind == COI_NET_ENTRY_NET)
        coi_ipv4_cidr_str (e->net.addr, e->net.prefix, text);
      else
        snprintf (text, sizeof text, "%s%s", e->kind == COI_NET_ENTRY_WILDCARD ? "*." : "", e->name);
      if (json_array_append_new (a, json_string (text)) < 0)
        return NULL;
    }
  for (size_t i = 0; i < p->n_hosts; i++)
    {
      char ip[COI_IPV4_STRLEN];
      if (json_array_append_new (a, json_string (coi_ipv4_str (p->hosts[i].addr, ip))) < 0)
        return NULL;
    }
  return steal_pointer (&a);
}

/* The merged [monitoring] settings as the spec's table.  [monitoring] is
 * no key of its own (coi_config_node gives nothing for it): its scalar
 * keys are read one by one, [monitoring.nft] belongs to the network monitor. */
static json_t *monitoring_table (const struct coi_config *cfg)
{
  static const char prefix[] = "monitoring.";
  json_t *t = json_object ();
  for (const struct coi_config_key *k = coi_config_keys; t && k->key; k++)
    {
      const char *name = k->key + sizeof prefix - 1;
      if (strncmp (k->key, prefix, sizeof prefix - 1) != 0 || strchr (name, '.')
          || (k->type != CFG_BOOL && k->type != CFG_INT && k->type != CFG_FLOAT))
        continue;
      json_t *v = k->type == CFG_BOOL  ? json_boolean (coi_config_bool (cfg, k->key))
                  : k->type == CFG_INT ? json_integer (coi_config_int (cfg, k->key))
                                       : json_real (coi_config_float (cfg, k->key));
      if (v == NULL || json_object_set_new (t, name, v) < 0)
        {
          json_decref (t);
          t = NULL;
        }
    }
  return t;
}

/* The launcher's part of the supervisor's spec; the guard adds whose
 * session it is, its policy and where its files go. */
static json_t *client_spec (const struct coi_session *s, const struct coi_config *cfg,
                            const struct coi_session_guards *g)
{
  _cleanup_guard_spec_ struct coi_guard_spec spec;
  coi_guard_spec_init (&spec);
  spec.container = strdup (s->container);
  spec.network_mode = strdup (g->net ? coi_net_mode_name (g->net->mode) : "restricted");
  spec.ephemeral = !s->persistent;
  spec.allowed = allowlist_json (g->net);
  spec.started_at = time (NULL);
  if (coi_guards_logs_rejects (g) && g->net_log)
    spec.log_path = strdup (g->net_log);
  spec.limits = coi_limits_to_json (&g->limits);
  spec.max_duration_sec = g->limits.max_duration_sec;
  spec.auto_stop = g->limits.auto_stop;
  spec.stop_graceful = g->limits.stop_graceful;
  spec.stop_timeout_sec = (int) coi_config_int (cfg, "container.shutdown_timeout");
  spec.dns_query_threshold = (int) coi_config_int (cfg, "monitoring.nft.dns_query_threshold");
  spec.log_dns_queries = coi_config_bool (cfg, "monitoring.nft.log_dns_queries");
  _cleanup_json_ json_t *table = monitoring_table (cfg);
  _cleanup_error_ coi_error_t err = NULL;
  if (spec.container == NULL || spec.network_mode == NULL || spec.allowed == NULL || table == NULL
      || coi_monitor_settings_from_json (&spec.monitoring, table, &err) < 0)
    return NULL;
  return coi_guard_spec_to_json (&spec);
}

int coi_session_supervise (const struct coi_session *s, const struct coi_config *cfg,
                           struct coi_session_guards *g, bool wait, coi_error_t *err)
{
  if (!g->guarded)
    return coi_error_make (err, ENOENT, "guard session %s: no guard service to run its supervisor",
                           s->container);
  json_t *spec = client_spec (s, cfg, g);
  json_t *args = spec ? json_pack ("{s:s, s:o, s:b}", "container", s->container, "spec", spec, "wait", wait)
                      : NULL;
  if (args == NULL)
    return coi_error_errno (err, ENOMEM, "guard session %s", s->container);
  if (coi_guard_link_call (g->guard, "session.supervise", args, NULL, err) < 0)
    return coi_error_prefix (err, "guard session %s", s->container);
  return 0;
}

/* The session as the container's labels describe it. */
static int session_from_labels (json_t *inst, struct coi_session *s, coi_error_t *err)
{
  json_t *cfg = json_object_get (inst, "config");
  const char *id = json_string_value (json_object_get (cfg, COI_KEY_SESSION));
  const char *tool = json_string_value (json_object_get (cfg, COI_KEY_TOOL));
  const char *ws = json_string_value (json_object_get (cfg, COI_KEY_WORKSPACE));
  const char *pers = json_string_value (json_object_get (cfg, COI_KEY_PERSISTENT));
  const char *image = json_string_value (json_object_get (cfg, COI_KEY_IMAGE));
  const char *profile = json_string_value (json_object_get (cfg, COI_KEY_PROFILE));
  const char *name = json_string_value (json_object_get (inst, "name"));
  if (id == NULL || !coi_valid_session_id (id) || name == NULL)
    return 0; /* not a session coi labelled: nothing to save */
  s->tool = coi_tool_lookup (tool ? tool : "claude", err);
  if (s->tool == NULL)
    return -1;
  snprintf (s->id, sizeof s->id, "%s", id);
  s->container = strdup (name);
  s->tool_name = strdup (tool ? tool : "claude");
  s->workspace_abs = ws ? strdup (ws) : NULL;
  s->image = image ? strdup (image) : NULL;
  s->profile = profile ? strdup (profile) : NULL;
  s->persistent = pers && strcmp (pers, "true") == 0;
  if (s->container == NULL || s->tool_name == NULL)
    return coi_error_errno (err, ENOMEM, "read session labels");
  return 1;
}

int coi_session_claim (const char *container, coi_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  char boot[64], text[128];
  if (coi_run_path (container, COI_RUN_CLAIM, &path, err) < 0)
    return -1;
  coi_boot_id (boot);
  int n = snprintf (text, sizeof text, "%d:%s", (int) getpid (), boot);
  return coi_write_file_atomic (path, text, (size_t) n, 0600, err);
}

void coi_session_unclaim (const char *container)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t ignored = NULL;
  if (coi_run_path (container, COI_RUN_CLAIM, &path, &ignored) == 0)
    unlink (path);
}

void coi_session_forget_alerts (struct incus_client *c, const char *container)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t ignored = NULL;
  if (coi_run_path_peek (container, COI_RUN_ALERTS, &path, &ignored) < 0 || access (path, F_OK) < 0)
    return;
  if (incus_instance_exists (c, container, &ignored) == 0)
    unlink (path);
}

/* Is a launcher attached?  Its claim is in the owner's run directory. */
static bool claimed (const struct coi_guard_spec *spec)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_free_ char *text = NULL;
  _cleanup_error_ coi_error_t ignored = NULL;
  int r = spec->owner.set && spec->owner.state_dir
              ? asprintf (&path, "%s/run/%s%s", spec->owner.state_dir, spec->container, COI_RUN_CLAIM)
              : coi_run_path (spec->container, COI_RUN_CLAIM, &path, &ignored);
  if (r < 0 || coi_read_file (path, 128, &text, NULL, &ignored) < 0)
    return false;
  return coi_owner_alive (text);
}

static bool created_after (json_t *inst, time_t t)
{
  const char *created = json_string_value (json_object_get (inst, "created_at"));
  struct tm tm = { 0 };
  if (created == NULL || strptime (created, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return false;
  return timegm (&tm) > t;
}

/* The supervisor ended the session and its policy went with it. */
static void log_removed (const struct coi_guard_spec *spec)
{
  if (spec->log_path && spec->log_group > 0)
    coi_netlog_append (spec->log_path, spec->container, "removed");
}

struct end_job
{
  const struct coi_guard_spec *spec;
  const char *const *env;
};

/* Save the agent's state into the owner's session store, then delete an
 * ephemeral container (the guard sees it go and removes its rules). */
static int end_session (struct incus_client *c, const struct coi_guard_spec *spec, coi_error_t *err)
{
  _cleanup_json_ json_t *inst = NULL;
  int found = incus_instance_find (c, spec->container, &inst, err);
  if (found <= 0)
    {
      if (found == 0)
        log_removed (spec);
      return found;
    }
  /* The name may already belong to the next session of the same slot:
     that container was created after this supervisor's session began. */
  if (created_after (inst, spec->started_at))
    return 0;
  struct coi_session s = { 0 };
  int r = session_from_labels (inst, &s, err);
  if (r == 1)
    {
      /* The code user's home comes from the defaults. */
      struct coi_agent_user u = { 1000, 1000, "/home/code" };
      r = coi_tool_state_save (c, &s, &u, NULL, err);
      if (r == 0 && !s.persistent && (r = coi_container_end (c, NULL, spec->container, 0, err)) == 0)
        log_removed (spec);
    }
  else if (r == 0 && spec->ephemeral && (r = coi_container_end (c, NULL, spec->container, 0, err)) == 0)
    log_removed (spec);
  coi_session_clear (&s);
  return r < 0 ? -1 : 0;
}

/* In a child that is the session's owner: their session store, their
 * HOME, their Incus access. */
static int end_as_owner (void *data)
{
  struct end_job *job = data;
  const struct coi_guard_spec *spec = job->spec;
  _cleanup_free_ char *home = strdup (spec->owner.state_dir);
  char *slash = home ? strrchr (home, '/') : NULL;
  if (slash == NULL || slash == home)
    return 1;
  *slash = '\0';
  /* This child's own environment: ~ is where the owner's coi put ~/.coi. */
  if (setenv ("HOME", home, 1) < 0)
    return 1;
  _cleanup_incus_client_ struct incus_client *c = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (incus_client_open (&c, spec->remote, spec->project, job->env, &err) < 0 || end_session (c, spec, &err) < 0)
    {
      fprintf (stderr, "coi: end of %s: %s\n", spec->container, err ? err->msg : "?");
      return 1;
    }
  return 0;
}

int coi_session_end_supervised (struct incus_client *c, const struct coi_guard_spec *spec,
                                enum coi_end_reason why, void *data, coi_error_t *err)
{
  (void) why;
  if (claimed (spec))
    return 0;
  if (!(spec->owner.set && spec->owner.state_dir && geteuid () == 0 && spec->owner.uid != 0))
    return end_session (c, spec, err);
  struct end_job job = { spec, data };
  struct coi_user_id u = { spec->owner.uid, spec->owner.gid, spec->owner.name };
  int r = coi_run_as (&u, end_as_owner, &job, err);
  if (r > 0)
    return coi_error_make (err, EIO, "end of %s as %s failed (see the supervisor's log)", spec->container,
                           spec->owner.name);
  return r;
}

/* The network log for the filter's "dns" lines: only when rejects are
 * logged (the launcher then put its path in the spec) and the spec asks
 * for queries.  Opened as the session's owner: it is their file.  Failing
 * to open it costs the lines, not the filter. */
static int open_query_log (const struct coi_guard_spec *spec)
{
  int fd = -1;
  _cleanup_error_ coi_error_t err = NULL;
  if (spec->log_path == NULL || !spec->log_dns_queries)
    return -1;
  int r;
  if (spec->owner.set && geteuid () == 0 && spec->owner.uid != 0)
    {
      struct coi_user_id u = { spec->owner.uid, spec->owner.gid, NULL };
      r = coi_open_as (&u, spec->log_path, O_WRONLY | O_APPEND | O_CREAT, 0600, 1, &fd, &err);
    }
  else
    r = coi_netlog_open_fd (spec->log_path, &fd, &err);
  if (r < 0)
    {
      fprintf (stderr, "coi: DNS query log: %s\n", err->msg);
      return -1;
    }
  return fd;
}

/* The session's DNS filter lives in the supervisor's process tree, so it
 * runs exactly as long as the session is guarded.  Its policy is the one
 * the guard applied, its limits the launcher's, both from the spec. */
int coi_session_dns_filter_start (const char *spec_path, const char *const *env, pid_t *pid, int *findings_fd,
                                  coi_error_t *err)
{
  _cleanup_guard_spec_ struct coi_guard_spec spec;
  coi_guard_spec_init (&spec);
  *pid = 0;
  *findings_fd = -1;
  if (coi_guard_spec_load (spec_path, &spec, err) < 0)
    return -1;
  if (spec.network_mode == NULL
      || (strcmp (spec.network_mode, "allowlist") != 0 && strcmp (spec.network_mode, "restricted") != 0))
    return 0;
  if (spec.policy == NULL || !spec.has_site)
    return coi_error_make (err, EINVAL, "start DNS filter for %s: the spec has no policy", spec.container);
  _cleanup_incus_client_ struct incus_client *c = NULL;
  _cleanup_net_policy_ struct coi_net_policy *policy = NULL;
  _cleanup_net_session_ struct coi_net_session *ns = NULL;
  struct coi_dns_filter_config fc;
  if (incus_client_open (&c, spec.remote, spec.project, env, err) < 0
      || coi_net_policy_from_json (spec.policy, &policy, err) < 0
      || coi_net_attach (c, &spec.site, policy, spec.container, &ns, err) < 0)
    return coi_error_prefix (err, "start DNS filter for %s", spec.container);
  coi_dns_filter_config_for (ns, &fc);
  fc.new_names_per_min = spec.dns_query_threshold > 0 ? (unsigned) spec.dns_query_threshold : 0;
  _cleanup_close_ int log_fd = open_query_log (&spec);
  fc.log_fd = log_fd;
  /* Findings go to the supervisor's loop; the filter never blocks on it. */
  int p[2];
  if (pipe2 (p, O_CLOEXEC | O_NONBLOCK) < 0)
    return coi_error_errno (err, errno, "start DNS filter for %s: pipe", spec.container);
  _cleanup_close_ int rd = p[0], wr = p[1];
  fc.findings_fd = wr;
  if (coi_dns_filter_spawn (&fc, pid, err) < 0)
    return coi_error_prefix (err, "start DNS filter for %s", spec.container);
  *findings_fd = steal_fd (&rd);
  return 0;
}
