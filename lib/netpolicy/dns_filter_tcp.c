/* DNS over TCP for the filter.  Resolvers switch to TCP when a UDP answer
 * is truncated, so without it large answers would fail.  One query per
 * connection, served inline with short timeouts: a session has a single
 * client, and a slow upstream delays it by at most the timeout. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "netpolicy/dns_filter_private.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define TCP_MAX 65535

int coi_dns_filter_tcp_open (struct coi_dns_filter *f, coi_error_t *err)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (f->cfg.listen_port) };
  sa.sin_addr.s_addr = htonl (f->cfg.listen_addr);
  int one = 1;
  f->tcp_fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (f->tcp_fd < 0 || setsockopt (f->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0
      || bind (f->tcp_fd, (struct sockaddr *) &sa, sizeof sa) < 0 || listen (f->tcp_fd, 16) < 0)
    return coi_error_errno (err, errno, "DNS filter: cannot listen on TCP port %u",
                            f->cfg.listen_port);
  return 0;
}

static int set_timeouts (int fd, unsigned ms)
{
  struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (long) (ms % 1000) * 1000 };
  return setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0
                 || setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0
             ? -1
             : 0;
}

static int read_all (int fd, uint8_t *p, size_t n)
{
  while (n > 0)
    {
      ssize_t r = read (fd, p, n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return -1;
      p += r;
      n -= (size_t) r;
    }
  return 0;
}

/* One length-prefixed message; *len must be <= cap. */
static int read_msg (int fd, uint8_t *buf, size_t cap, size_t *len)
{
  uint8_t l[2];
  if (read_all (fd, l, 2) < 0)
    return -1;
  *len = (size_t) (l[0] << 8 | l[1]);
  if (*len < 12 || *len > cap)
    return -1;
  return read_all (fd, buf, *len);
}

static int write_msg (int fd, const uint8_t *buf, size_t len)
{
  uint8_t l[2] = { (uint8_t) (len >> 8), (uint8_t) len };
  return coi_write_all (fd, l, 2) < 0 || coi_write_all (fd, buf, len) < 0 ? -1 : 0;
}

/* Ask upstream over TCP with a fresh random ID; the answer must echo it
 * and the question, as over UDP. */
static uint8_t *ask_upstream (struct coi_dns_filter *f, const uint8_t *query, size_t qlen,
                              const struct coi_dns_question *q, size_t *alen)
{
  struct sockaddr_in up = { .sin_family = AF_INET, .sin_port = htons (f->cfg.upstream_port) };
  up.sin_addr.s_addr = htonl (f->cfg.upstream_addr);
  _cleanup_close_ int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  _cleanup_free_ uint8_t *msg = malloc (qlen);
  uint8_t *ans = malloc (TCP_MAX);
  uint16_t id;
  if (fd < 0 || msg == NULL || ans == NULL || set_timeouts (fd, f->cfg.upstream_timeout_ms) < 0
      || getrandom (&id, sizeof id, 0) != sizeof id
      || connect (fd, (struct sockaddr *) &up, sizeof up) < 0)
    goto fail;
  memcpy (msg, query, qlen);
  coi_dns_set_id (msg, id);
  if (write_msg (fd, msg, qlen) < 0 || read_msg (fd, ans, TCP_MAX, alen) < 0
      || *alen < q->end || coi_dns_id (ans) != id || !(ans[2] & 0x80)
      || memcmp (ans + 12, query + 12, q->end - 12) != 0)
    goto fail;
  coi_dns_set_id (ans, coi_dns_id (query));
  return ans;
fail:
  free (ans);
  return NULL;
}

void coi_dns_filter_tcp_serve (struct coi_dns_filter *f)
{
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  _cleanup_close_ int fd = accept4 (f->tcp_fd, (struct sockaddr *) &from, &flen, SOCK_CLOEXEC);
  if (fd < 0 || flen != sizeof from || ntohl (from.sin_addr.s_addr) != f->cfg.client_addr
      || set_timeouts (fd, 2000) < 0)
    return;
  uint8_t query[COI_DNS_MAX_UDP], out[COI_DNS_MAX_UDP];
  size_t qlen, out_len = 0;
  struct coi_dns_question q;
  struct coi_port_list ports = { 0 };
  bool all_ports = false;
  if (read_msg (fd, query, sizeof query, &qlen) < 0)
    return;
  enum coi_dns_verdict v = coi_dns_filter_decide (f, query, qlen, &q, out, &out_len, &ports, &all_ports);
  if (v == COI_DNS_REPLY)
    (void) write_msg (fd, out, out_len); /* the client retries on failure */
  else if (v == COI_DNS_FORWARD)
    {
      size_t alen = 0;
      _cleanup_free_ uint8_t *ans = ask_upstream (f, query, qlen, &q, &alen);
      /* No answer, or one whose addresses could not be allowed: SERVFAIL. */
      if (ans && coi_dns_filter_learn (f, ans, alen, &q, &ports, all_ports) == 0)
        (void) write_msg (fd, ans, alen);
      else if ((out_len = coi_dns_make_error (query, &q, COI_DNS_RCODE_SERVFAIL, out, sizeof out)))
        (void) write_msg (fd, out, out_len);
    }
  coi_port_list_clear (&ports);
}
