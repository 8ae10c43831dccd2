/* Run the DNS filter (allowlist mode) by hand, outside a session:
 *   coi-dns-filter-driver LISTEN_IP PORT CLIENT_IP UPSTREAM_IP[:PORT] ENTRY...
 * Network log lines ("driver dns name=N qtype=T verdict=V") go to stderr.  Learned addresses
 * go into the nft sets of the session keyed to CLIENT_IP, which must exist
 * (apply an allowlist policy for it first).  Stops on SIGTERM or SIGINT. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "netpolicy/dns_filter.h"
#include "util/cleanup.h"

int main (int argc, char **argv)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_policy_ struct coi_net_policy *p = coi_net_policy_new (COI_NET_ALLOWLIST);
  struct coi_net_site site;
  coi_net_site_default (&site);
  struct coi_dns_filter_config cfg = { .policy = p, .container = "driver", .log_fd = 2, .findings_fd = -1,
                                       .upstream_port = 53, .site = &site };
  if (argc < 5 || !coi_ipv4_parse (argv[1], &cfg.listen_addr) || !coi_ipv4_parse (argv[3], &cfg.client_addr))
    {
      fprintf (stderr, "usage: %s LISTEN_IP PORT CLIENT_IP UPSTREAM_IP[:PORT] ENTRY...\n", argv[0]);
      return 2;
    }
  cfg.listen_port = (uint16_t) atoi (argv[2]);
  char *colon = strchr (argv[4], ':');
  if (colon)
    {
      *colon = '\0';
      cfg.upstream_port = (uint16_t) atoi (colon + 1);
    }
  if (!coi_ipv4_parse (argv[4], &cfg.upstream_addr))
    return fprintf (stderr, "bad upstream %s\n", argv[4]), 2;
  for (int i = 5; i < argc; i++)
    if (coi_net_policy_add_entry (p, argv[i], &err) < 0)
      return coi_error_report (&err, stderr);
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  _cleanup_close_ int sfd = -1;
  struct coi_dns_filter *f = NULL;
  if (sigprocmask (SIG_BLOCK, &set, NULL) < 0 || (sfd = signalfd (-1, &set, SFD_CLOEXEC)) < 0)
    return perror ("signalfd"), 1;
  if (coi_dns_filter_open (&cfg, &f, &err) < 0)
    return coi_error_report (&err, stderr);
  fprintf (stderr, "listening on %s:%u\n", argv[1], cfg.listen_port);
  int r = coi_dns_filter_run (f, sfd, &err);
  coi_dns_filter_free (f);
  return r < 0 ? coi_error_report (&err, stderr) : 0;
}
