/* coi monitor [CONTAINER] [--watch N] [--format text|json] [--json]: what a
 * session's container is doing now, as its supervisor sees it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cmd_container_common.h"
#include "cli/command.h"
#include "guard/state.h"
#include "cli/output.h"
#include "monitor/audit_read.h"
#include "monitor/snapshot.h"
#include "util/cleanup.h"

struct monitor_opts
{
  int watch;
  char *format;
  bool json;
};

static const struct coi_opt monitor_opts[] = {
  { "watch", 0, OPT_INT, OPT_AT (struct monitor_opts, watch), "Refresh every N seconds", NULL, "N" },
  { "format", 0, OPT_STRING, OPT_AT (struct monitor_opts, format), "Output format (text|json)", NULL, "FORMAT" },
  { "json", 0, OPT_BOOL, OPT_AT (struct monitor_opts, json), "Same as --format json", NULL, NULL },
  OPT_END,
};

static const char *s_of (json_t *o, const char *k)
{
  const char *s = json_string_value (json_object_get (o, k));
  return s ? s : "";
}

static void print_text (json_t *snap)
{
  json_t *res = json_object_get (snap, "resources");
  json_t *procs = json_object_get (snap, "processes");
  json_t *net = json_object_get (snap, "network");
  printf ("Container: %s (%s), %s\n", s_of (snap, "container"), s_of (snap, "status"),
          json_is_true (json_object_get (snap, "guarded")) ? "guarded" : "not guarded");
  if (json_object_get (snap, "container_ip"))
    printf ("Address:   %s\n", s_of (snap, "container_ip"));
  printf ("Time:      %s\n\n", s_of (snap, "timestamp"));
  printf ("Resources: cpu %.1fs, memory %.0f MB", json_number_value (json_object_get (res, "cpu_time_seconds")),
          json_number_value (json_object_get (res, "memory_mb")));
  if (json_object_get (res, "io_read_mb"))
    printf (", disk read %.1f MB, write %.1f MB", json_number_value (json_object_get (res, "io_read_mb")),
            json_number_value (json_object_get (res, "io_write_mb")));
  if (json_object_get (res, "net_tx_mb"))
    printf (", net out %.1f MB, in %.1f MB", json_number_value (json_object_get (res, "net_tx_mb")),
            json_number_value (json_object_get (res, "net_rx_mb")));
  if (json_object_get (res, "tasks"))
    printf (", tasks %lld", (long long) json_integer_value (json_object_get (res, "tasks")));
  if (json_object_get (res, "tasks_max"))
    printf ("/%lld", (long long) json_integer_value (json_object_get (res, "tasks_max")));
  printf ("\n\n");
  if (json_is_true (json_object_get (procs, "available")))
    {
      printf ("Processes (%lld):\n", (long long) json_integer_value (json_object_get (procs, "total_count")));
      size_t i;
      json_t *pr;
      json_array_foreach (json_object_get (procs, "processes"), i, pr)
        printf ("  %7lld  %s\n", (long long) json_integer_value (json_object_get (pr, "pid")), s_of (pr, "command"));
    }
  else
    printf ("Processes: %lld (details: %s)\n", (long long) json_integer_value (json_object_get (procs, "total_count")),
            s_of (procs, "reason"));
  if (json_is_true (json_object_get (net, "available")))
    {
      printf ("\nConnections (%lld active, %lld suspicious):\n",
              (long long) json_integer_value (json_object_get (net, "active_connections")),
              (long long) json_integer_value (json_object_get (net, "suspicious_count")));
      size_t i;
      json_t *c;
      json_array_foreach (json_object_get (net, "connections"), i, c)
        printf ("  %-3s %-22s -> %-22s %-11s%s%s\n", s_of (c, "protocol"), s_of (c, "local_addr"),
                s_of (c, "remote_addr"), s_of (c, "state"), json_is_true (json_object_get (c, "suspicious")) ? "  ! " : "",
                s_of (c, "suspect_reason"));
    }
  json_t *threats = json_object_get (snap, "threats");
  printf ("\nRecent findings: %s\n", json_array_size (threats) ? "" : "none");
  size_t i;
  json_t *t;
  json_array_foreach (threats, i, t)
    {
      _cleanup_buf_ struct buf line = { 0 };
      if (coi_audit_format_text (t, &line) == 0)
        printf ("  %s\n", line.data ? line.data : "");
    }
}

COI_HANDLER (cmd_monitor)
{
  struct monitor_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, monitor_opts, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (p.npos > 1)
    return coi_error_usage (err, "monitor takes at most one container name");
  if (coi_check_format (format, "text|json", err) < 0)
    return -1;
  bool json = o.json || (format && strcmp (format, "json") == 0);
  if (o.watch < 0)
    return coi_error_usage (err, "--watch must be a number of seconds");
  /* A stream of pretty objects is no JSON document: refuse the mix. */
  if (json && o.watch > 0)
    return coi_error_usage (err, "--watch cannot be combined with JSON output");
  struct incus_client *c = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  _cleanup_free_ char *name = NULL;
  if (coi_resolve_container (ctx, c, p.npos ? pos[0] : NULL, &name, err) < 0)
    return -1;
  struct coi_guard_link *guard;
  if (coi_ctx_guard (ctx, &guard, err) < 0)
    return -1;
  for (;;)
    {
      _cleanup_json_ json_t *snap = NULL;
      _cleanup_json_ json_t *states = NULL;
      struct coi_guard_state gs;
      if (coi_guard_states (guard, &states, err) < 0)
        return -1;
      coi_guard_state_of (states, name, &gs);
      struct coi_snapshot_guard sg = { gs.known, gs.alive, gs.pid, gs.mode[0] ? gs.mode : NULL };
      if (coi_monitor_snapshot (c, name, &sg, &snap, err) < 0)
        return -1;
      if (json)
        return coi_print_json (snap, err);
      if (o.watch > 0 && isatty (STDOUT_FILENO))
        fputs ("\033[H\033[2J", stdout);
      print_text (snap);
      fflush (stdout);
      if (o.watch <= 0)
        return 0;
      sleep ((unsigned) o.watch);
    }
}
