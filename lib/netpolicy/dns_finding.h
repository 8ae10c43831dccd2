/* The DNS filter's findings, as its supervisor reads them from a pipe
 * (dns_filter.h writes them).  Apart from the filter so that the monitor
 * can read them without the network policy's headers. */
#ifndef COI_NETPOLICY_DNS_FINDING_H
#define COI_NETPOLICY_DNS_FINDING_H

#include <stdint.h>

enum coi_dns_finding_kind
{
  COI_DNS_FINDING_TUNNEL = 1, /* a name that looks like data, or too many under a domain */
  COI_DNS_FINDING_RATE = 2,   /* the session's rate cap was reached */
};

/* What the filter tells its supervisor, one record per write: smaller than
 * PIPE_BUF, so records never interleave or split. */
struct coi_dns_finding
{
  uint32_t kind;
  uint32_t count;  /* tunnel: new names under domain this window; rate: refused in a row */
  uint32_t limit;  /* tunnel: the subdomain threshold; rate: new names a minute */
  uint16_t qtype;
  char why[24];    /* dns_guard.h's reason: "long-label", "many-subdomains", "rate", ... */
  char name[256];  /* printable: bytes other than [a-z0-9._-] as \xHH, cut to fit */
  char domain[256];
};

/* One record from the supervisor's end of the pipe: 1, 0 when none is
 * waiting (non-blocking), -1 at EOF (the filter is gone) or on error.  The
 * strings are NUL-terminated whatever the bytes were. */
int coi_dns_finding_read (int fd, struct coi_dns_finding *f);

#endif
