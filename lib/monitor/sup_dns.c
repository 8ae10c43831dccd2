/* What the session's DNS filter refused: a name that looks like data (or
 * too many new names under one domain) is a DNS tunnel attempt, a high
 * finding; the session's rate cap reached is a warning.  The filter runs
 * in its own process and sends one record per finding down a pipe. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "monitor/supervisor_private.h"
#include "netpolicy/dns_finding.h"
#include "netpolicy/dns_msg.h"
#include "util/cleanup.h"

void sup_dns_open (struct sup *s)
{
  if (s->dns_fd < 0)
    return;
  _cleanup_json_ json_t *d = json_pack ("{s:b}", "running", 1);
  sup_lifecycle (s, "dns_filter", d);
}

static void report (struct sup *s, const struct coi_dns_finding *f)
{
  bool tunnel = f->kind == COI_DNS_FINDING_TUNNEL;
  char tb[12];
  json_t *e = json_pack ("{s:{s:o, s:s, s:s, s:o, s:i, s:i}}", "dns", "name",
                         coi_json_text (f->name, strlen (f->name), sizeof f->name), "qtype",
                         coi_dns_qtype_name (f->qtype, tb), "reason", f->why, "domain",
                         coi_json_text (f->domain, strlen (f->domain), sizeof f->domain), "count",
                         (int) f->count, "limit", (int) f->limit);
  struct coi_threat t;
  int r;
  /* One finding per domain (a tunnel) or per session (the cap) within the
   * dedupe window; the filter already sends only the first of a window. */
  if (tunnel)
    {
      char detail[300];
      snprintf (detail, sizeof detail, "dns:%s", f->domain);
      r = coi_threat_set (&t, COI_LEVEL_HIGH, "network", "dns-tunnel", e, detail,
                          "DNS tunnel attempt refused: %s (%s)", f->domain, f->why);
    }
  else
    r = coi_threat_set (&t, COI_LEVEL_WARNING, "network", "dns-rate", e, "dns-rate",
                        "DNS lookups of new names over the session's cap (%u a minute): refused", f->limit);
  if (r == 0)
    sup_report (s, &t);
}

void sup_on_dns (struct sup *s)
{
  struct coi_dns_finding f;
  int r;
  while ((r = coi_dns_finding_read (s->dns_fd, &f)) == 1)
    if (!s->done && (f.kind == COI_DNS_FINDING_TUNNEL || f.kind == COI_DNS_FINDING_RATE))
      report (s, &f);
  if (r < 0)
    {
      /* The filter is gone: its sessions' names now fail closed. */
      _cleanup_json_ json_t *d = json_pack ("{s:b}", "running", 0);
      sup_lifecycle (s, "dns_filter", d);
      epoll_ctl (s->epfd, EPOLL_CTL_DEL, s->dns_fd, NULL);
      close (s->dns_fd);
      s->dns_fd = -1;
    }
}
