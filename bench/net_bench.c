/* Costs of network isolation on this host: one nft transaction per apply,
 * teardown and learned address, and the latency the allowlist DNS filter
 * adds to a lookup.  The session is keyed to 198.51.100.250, an address no
 * packet here ever comes from, and the DNS traffic stays on loopback. */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netpolicy/backend.h"
#include "netpolicy/dns_filter.h"
#include "netpolicy/policy.h"
#include "netpolicy/render.h"
#include "util/cleanup.h"

#define KEY 0xc63364fau /* 198.51.100.250 */
#define LOOP 0x7f000001u
#define UP_PORT 20953
#define FILTER_PORT 20954
#define N_NFT 30
#define N_DNS 200

static double now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

static int cmp (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void report (const char *what, double *v, size_t n)
{
  qsort (v, n, sizeof *v, cmp);
  printf ("%-34s median %7.2f ms  p90 %7.2f ms  max %7.2f ms  (n=%zu)\n", what, v[n / 2],
          v[n * 9 / 10], v[n - 1], n);
}

static void die (const char *what, coi_error_t err)
{
  fprintf (stderr, "%s: %s\n", what, err ? err->msg : "failed");
  exit (1);
}

/* The upstream: answers every query with one A record. */
static void *upstream (void *arg)
{
  int fd = *(int *) arg;
  uint8_t m[512];
  while (1)
    {
      struct sockaddr_in from;
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom (fd, m, sizeof m - 16, 0, (struct sockaddr *) &from, &fl);
      if (n < 12)
        continue;
      m[2] = 0x81;
      m[3] = 0x80;
      m[7] = 1;
      uint8_t rr[16] = { 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, (uint8_t) (n & 0x7f) };
      memcpy (m + n, rr, 16);
      sendto (fd, m, (size_t) n + 16, 0, (struct sockaddr *) &from, fl);
    }
  return NULL;
}

static size_t make_query (uint8_t *q, uint16_t id, const char *name)
{
  uint8_t hdr[12] = { (uint8_t) (id >> 8), (uint8_t) id, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  memcpy (q, hdr, 12);
  size_t p = 12;
  while (*name)
    {
      size_t l = strcspn (name, ".");
      q[p++] = (uint8_t) l;
      memcpy (q + p, name, l);
      p += l;
      name += l + (name[l] == '.');
    }
  q[p++] = 0;
  q[p++] = 0;
  q[p++] = 1;
  q[p++] = 0;
  q[p++] = 1;
  return p;
}

static double lookup (uint16_t port, const char *name, int *rcode)
{
  uint8_t q[300], r[600];
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons (port) };
  sa.sin_addr.s_addr = htonl (LOOP);
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return -1;
  size_t n = make_query (q, (uint16_t) rand (), name);
  double t0 = now_ms ();
  struct pollfd p = { .fd = fd, .events = POLLIN };
  if (send (fd, q, n, 0) < 0 || poll (&p, 1, 3000) != 1 || recv (fd, r, sizeof r, 0) < 12)
    {
      close (fd);
      return -1;
    }
  double t = now_ms () - t0;
  *rcode = r[3] & 0x0f;
  close (fd);
  return t;
}

int main (void)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_net_backend_ struct coi_net_backend b = { 0 };
  double v[N_DNS];
  double load[3] = { 0 };
  if (getloadavg (load, 3) < 0)
    load[0] = -1;
  printf ("load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  /* Its own table and state, apart from any guard's. */
  struct coi_net_site site;
  if (coi_net_site_for (&site, "coi-bench-net", "/run/coi-bench/net", &err) < 0
      || coi_net_backend_open (&b, &site, &err) < 0 || b.ops->check (b.h, &err) < 0)
    die ("privileges", err);

  struct coi_net_target t = { .container = "coi-bench-net", .addr = KEY, .gateway = LOOP,
                              .subnet = { 0xc6336400u, 24 }, .dns_port = FILTER_PORT };
  _cleanup_net_policy_ struct coi_net_policy *r = coi_net_policy_new (COI_NET_RESTRICTED);
  _cleanup_net_policy_ struct coi_net_policy *a = coi_net_policy_new (COI_NET_ALLOWLIST);
  char entry[64];
  for (int i = 0; i < 20; i++)
    {
      snprintf (entry, sizeof entry, "198.18.%d.0/24:443", i);
      if (coi_net_policy_add_entry (a, entry, &err) < 0)
        die ("entry", err);
    }
  if (coi_net_policy_add_entry (a, "*.bench.test", &err) < 0)
    die ("entry", err);

  for (int i = 0; i < N_NFT; i++)
    {
      double t0 = now_ms ();
      if (b.ops->apply (b.h, &t, r, &err) < 0)
        die ("apply", err);
      v[i] = now_ms () - t0;
    }
  report ("apply restricted (replace)", v, N_NFT);
  for (int i = 0; i < N_NFT; i++)
    {
      double t0 = now_ms ();
      if (b.ops->apply (b.h, &t, a, &err) < 0)
        die ("apply", err);
      v[i] = now_ms () - t0;
    }
  report ("apply allowlist, 20 CIDR:port", v, N_NFT);
  for (int i = 0; i < N_NFT; i++)
    {
      double t0 = now_ms ();
      if (b.ops->allow_learned (b.h, KEY, 0xc6336401u + (uint32_t) i, NULL, 60, &err) < 0)
        die ("learn", err);
      v[i] = now_ms () - t0;
    }
  report ("learned address (set element)", v, N_NFT);
  for (int i = 0; i < N_NFT; i++)
    {
      double t0 = now_ms ();
      if (b.ops->teardown (b.h, KEY, &err) < 0)
        die ("teardown", err);
      v[i] = now_ms () - t0;
    }
  report ("teardown (idempotent)", v, N_NFT);

  /* DNS: direct to the upstream, then through the filter. */
  if (b.ops->apply (b.h, &t, a, &err) < 0)
    die ("apply", err);
  int ufd = socket (AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in us = { .sin_family = AF_INET, .sin_port = htons (UP_PORT) };
  us.sin_addr.s_addr = htonl (LOOP);
  pthread_t th;
  if (ufd < 0 || bind (ufd, (struct sockaddr *) &us, sizeof us) < 0
      || pthread_create (&th, NULL, upstream, &ufd) != 0)
    die ("upstream", NULL);
  struct coi_dns_filter_config cfg = { .listen_addr = LOOP, .listen_port = FILTER_PORT,
                                       .client_addr = LOOP, .set_addr = KEY, .upstream_addr = LOOP,
                                       .upstream_port = UP_PORT, .policy = a, .log_fd = -1, .site = &site,
                                       /* 200 names under one domain: the guard would refuse most */
                                       .new_names_per_min = 1000000, .subdomains = 1000000 };
  pid_t filter;
  if (coi_dns_filter_spawn (&cfg, &filter, &err) < 0)
    die ("filter", err);
  int rc = -1;
  char name[64];
  for (int i = 0; i < N_DNS; i++)
    {
      snprintf (name, sizeof name, "n%d.bench.test", i);
      v[i] = lookup (UP_PORT, name, &rc);
    }
  report ("lookup, upstream directly", v, N_DNS);
  for (int i = 0; i < N_DNS; i++)
    {
      snprintf (name, sizeof name, "n%d.bench.test", i);
      v[i] = lookup (FILTER_PORT, name, &rc);
      if (v[i] < 0 || rc != 0)
        die ("allowed lookup", NULL);
    }
  report ("lookup via filter, allowed (+nft)", v, N_DNS);
  for (int i = 0; i < N_DNS; i++)
    {
      snprintf (name, sizeof name, "n%d.other.test", i);
      v[i] = lookup (FILTER_PORT, name, &rc);
      if (v[i] < 0 || rc != 5)
        die ("denied lookup", NULL);
    }
  report ("lookup via filter, refused", v, N_DNS);
  kill (filter, SIGTERM);
  waitpid (filter, NULL, 0);
  if (b.ops->teardown (b.h, KEY, &err) < 0)
    die ("teardown", err);
  return 0;
}
