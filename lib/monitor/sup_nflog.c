/* What the firewall blocked: the session's rejects, read from its own nflog
 * group (rejected packets never reach conntrack), go to the network log and
 * become findings. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "monitor/supervisor_private.h"
#include "netpolicy/nflog.h"
#include "util/cleanup.h"
#include "util/sink.h"
#include "util/clock.h"

/* A scan over many hosts is one story: at most this many findings a minute
 * from rejects (every attempt is still in the network log). */
#define NFLOG_FINDINGS_PER_MIN 20


void sup_nflog_open (struct sup *s)
{
  const struct coi_guard_spec *g = s->spec;
  coi_netlog_init (&s->netlog, -1, g->container);
  if (g->log_group <= 0 || g->network_mode == NULL || strcmp (g->network_mode, "open") == 0)
    return;
  _cleanup_error_ coi_error_t err = NULL;
  const char *why = NULL;
  int log_fd = -1;
  if (g->log_path && sup_open_user_file (s, g->log_path, &log_fd, &err) < 0)
    {
      coi_warn (s->sink, "%s", err->msg);
      coi_error_release (&err);
    }
  coi_netlog_init (&s->netlog, log_fd, g->container);
  if (!s->host_local)
    why = "the Incus server is remote: its firewall log is not here";
  else if (!s->privileged)
    why = "not root: cannot read the firewall log";
  /* The launcher bound it before start and handed it over: nothing lost. */
  bool inherited = s->nf_fd >= 0;
  if (why == NULL && !inherited && coi_nflog_open ((uint16_t) g->log_group, &s->nf_fd, &err) < 0)
    why = err->msg;
  _cleanup_json_ json_t *d = json_pack ("{s:i, s:s?, s:b, s:b, s:s?}", "group", g->log_group, "log_path",
                                        g->log_path, "bound", why == NULL, "inherited", inherited, "error", why);
  sup_lifecycle (s, "nflog", d);
}

static void report (struct sup *s, const struct coi_nflog_event *ev, struct coi_verdict v)
{
  uint64_t now = (uint64_t) coi_now_ms ();
  if (now - s->nf_window_ms >= 60000)
    {
      s->nf_window_ms = now;
      s->nf_findings = 0;
    }
  if (s->nf_findings >= NFLOG_FINDINGS_PER_MIN && v.level < COI_LEVEL_CRITICAL)
    {
      s->nf_unreported++;
      return;
    }
  s->nf_findings++;
  char dst[INET_ADDRSTRLEN], remote[64], pb[8];
  struct in_addr a = { htonl (ev->dst) };
  inet_ntop (AF_INET, &a, dst, sizeof dst);
  if (ev->has_ports)
    snprintf (remote, sizeof remote, "%s:%u", dst, ev->dport);
  else
    snprintf (remote, sizeof remote, "%s", dst);
  json_t *e = json_pack ("{s:{s:s, s:s, s:s}, s:s, s:s, s:s}", "connection", "protocol",
                         coi_nflog_proto_name (ev->proto, pb, sizeof pb), "remote", remote, "state", "BLOCKED",
                         "reason", v.reason, "remote_host", remote, "firewall_rule", ev->reason);
  if (e && ev->icmp_type >= 0)
    json_object_set_new (e, "icmp_type", json_integer (ev->icmp_type));
  if (e && s->nf_unreported > 0)
    json_object_set_new (e, "unreported_before", json_integer ((json_int_t) s->nf_unreported));
  s->nf_unreported = 0;
  /* One finding per host and rule: a port scan of one host is one. */
  char detail[96];
  snprintf (detail, sizeof detail, "blocked:%s", dst);
  struct coi_threat t;
  if (coi_threat_set (&t, (enum coi_level) v.level, "network", v.rule, e, detail, "Blocked connection to %s: %s",
                      remote, v.reason)
      < 0)
    return;
  sup_report (s, &t);
}

static void on_blocked (const struct coi_nflog_event *ev, void *data)
{
  struct sup *s = data;
  /* Another session's rejects (a group reused across bridges) are not ours. */
  if (strcmp (ev->container, s->spec->container) != 0 || (s->net.self && ev->src != s->net.self))
    return;
  if (coi_netlog_blocked (&s->netlog, ev, (uint64_t) coi_now_ms ()) < 0 && !s->netlog_failed)
    {
      coi_warn (s->sink, "network log: %s", strerror (errno));
      s->netlog_failed = true;
    }
  if (s->done)
    return; /* the last drain at the end: the log only */
  struct coi_verdict v = coi_judge_blocked (&s->net, ev->reason, ev->proto, ev->dst, ev->has_ports ? ev->dport : 0);
  if (v.level >= 0)
    report (s, ev, v);
}

void sup_on_nflog (struct sup *s)
{
  bool lost = false;
  if (coi_nflog_read (s->nf_fd, on_blocked, s, &lost) < 0)
    coi_warn (s->sink, "firewall log: %s", strerror (errno));
  if (lost)
    coi_warn (s->sink, "firewall log: the kernel dropped messages (queue full)");
}

void sup_nflog_flush (struct sup *s, bool all)
{
  if (coi_netlog_flush (&s->netlog, (uint64_t) coi_now_ms (), all) < 0 && !s->netlog_failed)
    {
      coi_warn (s->sink, "network log: %s", strerror (errno));
      s->netlog_failed = true;
    }
}

void sup_nflog_close (struct sup *s)
{
  /* What the socket still holds, then the counts of the last windows. */
  if (s->nf_fd >= 0)
    sup_on_nflog (s);
  sup_nflog_flush (s, true);
  coi_netlog_close (&s->netlog);
}
