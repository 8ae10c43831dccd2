#include "monitor/snapshot.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "incus/instance.h"
#include "monitor/audit.h"
#include "monitor/audit_read.h"
#include "monitor/cgroup.h"
#include "monitor/detect.h"
#include "monitor/guard_spec.h"
#include "monitor/paths.h"
#include "monitor/proc.h"
#include "monitor/sockdiag.h"
#include "monitor/supervisor.h"
#include "monitor/threat.h"
#include "util/cleanup.h"
#include "util/clock.h"

#define MAX_LISTED 200

static double mb (uint64_t b)
{
  return (double) b / 1048576.0;
}

/* The session's network mode, from the supervisor's spec when there is one. */
static void load_netview (const char *container, const char *guard_mode, const char *self_ip,
                          struct coi_netview *v)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_guard_spec_ struct coi_guard_spec spec;
  coi_guard_spec_init (&spec);
  bool have = guard_mode == NULL && coi_run_path_peek (container, COI_RUN_SPEC, &path, &err) == 0
              && access (path, R_OK) == 0 && coi_guard_spec_load (path, &spec, &err) == 0;
  if (coi_netview_init (v, guard_mode ? guard_mode : have ? spec.network_mode : NULL, &err) < 0)
    coi_netview_init (v, NULL, &err);
  struct in_addr in;
  if (self_ip && inet_pton (AF_INET, self_ip, &in) == 1)
    v->self = ntohl (in.s_addr);
}

static json_t *processes (const struct coi_cgroup *cg)
{
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0, cap = 0;
  json_t *list = json_array ();
  if (list == NULL || coi_cgroup_pids (cg, &pids, &n, &cap) < 0)
    return json_pack ("{s:b, s:o*}", "available", 0, "processes", list);
  for (size_t i = 0; i < n && i < MAX_LISTED; i++)
    {
      struct coi_proc p;
      char cmd[512];
      if (coi_proc_read (pids[i], false, &p) < 0 || coi_proc_cmdline (pids[i], cmd, sizeof cmd) < 0)
        continue;
      json_array_append_new (list, json_pack ("{s:i, s:i, s:I, s:o, s:o}", "pid", (int) p.pid, "ppid", (int) p.ppid,
                                              "host_uid", (json_int_t) p.uid, "comm",
                                              coi_json_text (p.comm, strlen (p.comm), 16), "command",
                                              coi_json_text (cmd, strlen (cmd), 300)));
    }
  return json_pack ("{s:b, s:I, s:o}", "available", 1, "total_count", (json_int_t) n, "processes", list);
}

static json_t *connections (pid_t init, const struct coi_netview *nv)
{
  _cleanup_close_ int fd = -1;
  _cleanup_error_ coi_error_t err = NULL;
  struct coi_socktab t = { 0 };
  if (coi_sockdiag_open (init, &fd, &err) < 0 || coi_sockdiag_dump (fd, COI_SOCK_ALL, &t, &err) < 0)
    {
      coi_socktab_free (&t);
      return json_pack ("{s:b, s:s}", "available", 0, "reason", err ? err->msg : "?");
    }
  json_t *list = json_array ();
  long active = 0, suspicious = 0;
  for (size_t i = 0; list && i < t.n; i++)
    {
      const struct coi_sock *k = &t.v[i];
      if (k->protocol == IPPROTO_UDP && k->state != 1)
        continue; /* unconnected UDP: a listener or a resolver socket */
      char local[64], remote[64];
      coi_sock_format (&k->src, k->sport, local, sizeof local);
      coi_sock_format (&k->dst, k->dport, remote, sizeof remote);
      struct coi_verdict v = coi_judge_sock (nv, k);
      active += k->state == 1;
      suspicious += v.level >= 0;
      json_array_append_new (list, json_pack ("{s:s, s:s, s:s, s:s, s:b, s:s?}", "protocol",
                                              k->protocol == IPPROTO_TCP ? "tcp" : "udp", "local_addr", local,
                                              "remote_addr", remote, "state", coi_sock_state_name (k), "suspicious",
                                              v.level >= 0, "suspect_reason", v.level >= 0 ? v.reason : NULL));
    }
  coi_socktab_free (&t);
  return json_pack ("{s:b, s:I, s:I, s:o*}", "available", 1, "active_connections", (json_int_t) active,
                    "suspicious_count", (json_int_t) suspicious, "connections", list);
}

static uint64_t sys_counter (const char *veth, const char *name)
{
  char path[160], buf[32];
  snprintf (path, sizeof path, "/sys/class/net/%s/statistics/%s", veth, name);
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  return f && fgets (buf, sizeof buf, f) ? strtoull (buf, NULL, 10) : 0;
}

int coi_monitor_snapshot (struct incus_client *c, const char *container,
                          const struct coi_snapshot_guard *guard, json_t **out, coi_error_t *err)
{
  _cleanup_json_ json_t *st = NULL;
  if (incus_instance_state (c, container, &st, err) < 0)
    return -1;
  const char *status = json_string_value (json_object_get (st, "status"));
  pid_t init = (pid_t) json_integer_value (json_object_get (st, "pid"));
  json_t *eth0 = json_object_get (json_object_get (st, "network"), "eth0");
  const char *veth = json_string_value (json_object_get (eth0, "host_name"));
  const char *ip = incus_state_ipv4 (st, "eth0");
  bool guarded = false;
  pid_t sup = 0;
  if (guard && guard->known)
    {
      guarded = guard->alive;
      sup = guard->pid;
    }
  else
    coi_supervisor_status (container, &guarded, &sup);
  struct timespec now;
  clock_gettime (CLOCK_REALTIME, &now);
  char ts[32];
  coi_iso8601_ms (ts, &now);
  json_t *mem = json_object_get (st, "memory");
  _cleanup_json_ json_t *snap = json_pack (
      "{s:s, s:s, s:s, s:s?, s:b, s:i, s:{s:f, s:f}}", "timestamp", ts, "container", container, "status",
      status ? status : "Unknown", "container_ip", ip, "guarded", guarded, "supervisor_pid", guarded ? (int) sup : 0,
      "resources", "cpu_time_seconds",
      (double) json_integer_value (json_object_get (json_object_get (st, "cpu"), "usage")) / 1e9, "memory_mb",
      mb ((uint64_t) json_integer_value (json_object_get (mem, "usage"))));
  if (snap == NULL)
    return coi_error_errno (err, ENOMEM, "monitor %s", container);
  if (!guarded)
    json_object_del (snap, "supervisor_pid");
  json_t *res = json_object_get (snap, "resources");
  bool can_look = init > 0 && geteuid () == 0 && incus_client_endpoint (c)->unix_path != NULL
                  && status && strcmp (status, "Running") == 0;
  struct coi_cgroup cg = { 0 };
  if (can_look && coi_cgroup_find (&cg, init, container, err) < 0)
    {
      coi_error_release (err);
      can_look = false;
    }
  if (can_look)
    {
      struct coi_netview nv;
      load_netview (container, guard && guard->known ? guard->mode : NULL, ip, &nv);
      json_object_set_new (snap, "processes", processes (&cg));
      json_object_set_new (snap, "network", connections (init, &nv));
      struct coi_cgroup_stats cs;
      coi_cgroup_stats (&cg, &cs);
      json_object_set_new (res, "io_read_mb", json_real (mb (cs.io_read_bytes)));
      json_object_set_new (res, "io_write_mb", json_real (mb (cs.io_write_bytes)));
      json_object_set_new (res, "tasks", json_integer (cs.tasks));
      if (cs.tasks_max >= 0)
        json_object_set_new (res, "tasks_max", json_integer (cs.tasks_max));
      if (veth)
        {
          json_object_set_new (res, "net_tx_mb", json_real (mb (sys_counter (veth, "rx_bytes"))));
          json_object_set_new (res, "net_rx_mb", json_real (mb (sys_counter (veth, "tx_bytes"))));
        }
      coi_cgroup_clear (&cg);
    }
  else
    {
      const char *why = status && strcmp (status, "Running") != 0 ? "the container is not running"
                        : geteuid () != 0                           ? "needs root"
                                                                    : "not visible from this host";
      json_object_set_new (snap, "processes",
                           json_pack ("{s:b, s:s, s:I}", "available", 0, "reason", why, "total_count",
                                      (json_int_t) json_integer_value (json_object_get (st, "processes"))));
      json_object_set_new (snap, "network", json_pack ("{s:b, s:s}", "available", 0, "reason", why));
    }
  _cleanup_free_ char *audit = NULL;
  _cleanup_error_ coi_error_t aerr = NULL;
  json_t *threats = coi_audit_path (container, &audit, &aerr) == 0 ? coi_audit_recent_threats (audit, 10)
                                                                   : json_array ();
  json_object_set_new (snap, "threats", threats ? threats : json_array ());
  *out = steal_pointer (&snap);
  return 0;
}
