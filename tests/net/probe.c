/* coi-probe: one network check from inside a test container, pushed there
 * as a static binary (the image has no curl, dig or ping).  It prints one
 * word (ok, refused, unreach, timeout, rcode=N, error) and details, and
 * always exits 0 when it could run, so the test reads the verdict.
 *   coi-probe tcp IP PORT | udp IP PORT | icmp IP | dns SERVER NAME | dnstcp SERVER NAME
 *   coi-probe dnsburst SERVER SUFFIX COUNT   (COUNT A queries for distinct
 *     random-looking names LABEL.SUFFIX, one after the other: "ok=N
 *     refused=N other=N first_refused=I first=NAME", I counting from 1)
 *   coi-probe icmp6 IFACE   (echo to ff02::1; "ok SRC" for a reply from another host) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT_MS 2500

static int verdict_errno (int e)
{
  if (e == ECONNREFUSED)
    printf ("refused\n");
  else if (e == EHOSTUNREACH || e == ENETUNREACH || e == EACCES || e == EPERM)
    printf ("unreach\n");
  else if (e == ETIMEDOUT)
    printf ("timeout\n");
  else
    printf ("error %s\n", strerror (e));
  return 0;
}

static struct sockaddr_in addr_of (const char *ip, int port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons ((uint16_t) port) };
  if (inet_pton (AF_INET, ip, &sa.sin_addr) != 1)
    {
      printf ("error bad address\n");
      exit (2);
    }
  return sa;
}

static int wait_in (int fd, int ms)
{
  struct pollfd p = { .fd = fd, .events = POLLIN };
  return poll (&p, 1, ms);
}

/* Wait for input until TIMEOUT_MS after start: other hosts' replies may
 * arrive first, so the caller loops with one overall deadline. */
static bool wait_until (int fd, const struct timespec *start)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  int left = TIMEOUT_MS - (int) ((now.tv_sec - start->tv_sec) * 1000
                                 + (now.tv_nsec - start->tv_nsec) / 1000000);
  return left > 0 && wait_in (fd, left) > 0;
}

static int do_tcp (const char *ip, int port)
{
  struct sockaddr_in sa = addr_of (ip, port);
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return verdict_errno (errno);
  if (connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0 && errno != EINPROGRESS)
    return verdict_errno (errno);
  struct pollfd p = { .fd = fd, .events = POLLOUT };
  if (poll (&p, 1, TIMEOUT_MS) == 0)
    return verdict_errno (ETIMEDOUT);
  int e = 0;
  socklen_t l = sizeof e;
  getsockopt (fd, SOL_SOCKET, SO_ERROR, &e, &l);
  if (e)
    return verdict_errno (e);
  char buf[128] = "";
  if (wait_in (fd, TIMEOUT_MS) > 0)
    {
      ssize_t n = read (fd, buf, sizeof buf - 1);
      buf[n > 0 ? n : 0] = '\0';
      buf[strcspn (buf, "\n")] = '\0';
    }
  printf ("ok %s\n", buf);
  return 0;
}

static int do_udp (const char *ip, int port)
{
  struct sockaddr_in sa = addr_of (ip, port);
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return verdict_errno (errno);
  if (send (fd, "ping", 4, 0) < 0)
    return verdict_errno (errno);
  if (wait_in (fd, TIMEOUT_MS) == 0)
    return verdict_errno (ETIMEDOUT);
  char buf[128];
  ssize_t n = recv (fd, buf, sizeof buf - 1, 0);
  if (n < 0)
    return verdict_errno (errno);
  buf[n] = '\0';
  printf ("ok %s\n", buf);
  return 0;
}

static uint16_t csum (const void *data, size_t len)
{
  const uint16_t *p = data;
  uint32_t s = 0;
  for (; len > 1; len -= 2)
    s += *p++;
  if (len)
    s += *(const uint8_t *) p;
  while (s >> 16)
    s = (s & 0xffff) + (s >> 16);
  return (uint16_t) ~s;
}

static int do_icmp (const char *ip)
{
  struct sockaddr_in sa = addr_of (ip, 0);
  int fd = socket (AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0)
    return verdict_errno (errno);
  uint16_t id = (uint16_t) getpid ();
  struct icmphdr h = { .type = ICMP_ECHO };
  h.un.echo.id = htons (id);
  h.un.echo.sequence = htons (1);
  h.checksum = csum (&h, sizeof h);
  if (sendto (fd, &h, sizeof h, 0, (struct sockaddr *) &sa, sizeof sa) < 0)
    return verdict_errno (errno);
  struct timespec start;
  clock_gettime (CLOCK_MONOTONIC, &start);
  while (1)
    {
      if (!wait_until (fd, &start))
        return verdict_errno (ETIMEDOUT);
      uint8_t buf[1500];
      ssize_t n = recv (fd, buf, sizeof buf, 0);
      if (n < (ssize_t) sizeof (struct iphdr))
        continue;
      struct iphdr *iph = (struct iphdr *) buf;
      size_t hl = (size_t) iph->ihl * 4;
      if ((size_t) n < hl + sizeof (struct icmphdr))
        continue;
      struct icmphdr *r = (struct icmphdr *) (buf + hl);
      if (r->type == ICMP_ECHOREPLY && ntohs (r->un.echo.id) == id && iph->saddr == sa.sin_addr.s_addr)
        {
          printf ("ok\n");
          return 0;
        }
      /* An error quotes our packet: IP header + our echo header. */
      if (r->type == ICMP_DEST_UNREACH && (size_t) n >= hl + 8 + 20 + 8)
        {
          struct iphdr *q = (struct iphdr *) (buf + hl + 8);
          struct icmphdr *qe = (struct icmphdr *) (buf + hl + 8 + (size_t) q->ihl * 4);
          if ((uint8_t *) (qe + 1) <= buf + n && ntohs (qe->un.echo.id) == id)
            {
              printf ("unreach code=%d\n", r->code);
              return 0;
            }
        }
    }
}

static int do_dns (const char *server, const char *name, bool tcp)
{
  uint8_t q[512], *p = q;
  uint16_t id = (uint16_t) (getpid () ^ time (NULL));
  uint8_t hdr[12] = { (uint8_t) (id >> 8), (uint8_t) id, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  memcpy (p, hdr, 12);
  p += 12;
  const char *s = name;
  while (*s)
    {
      size_t l = strcspn (s, ".");
      if (l == 0 || l > 63 || (size_t) (p - q) + l + 6 > sizeof q)
        {
          printf ("error bad name\n");
          return 0;
        }
      *p++ = (uint8_t) l;
      memcpy (p, s, l);
      p += l;
      s += l;
      if (*s == '.')
        s++;
    }
  *p++ = 0;
  *p++ = 0;
  *p++ = 1; /* A */
  *p++ = 0;
  *p++ = 1; /* IN */
  struct sockaddr_in sa = addr_of (server, 53);
  int fd = socket (AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return verdict_errno (errno);
  size_t qlen = (size_t) (p - q);
  uint8_t lenp[2] = { (uint8_t) (qlen >> 8), (uint8_t) qlen };
  if ((tcp && send (fd, lenp, 2, MSG_MORE) < 0) || send (fd, q, qlen, 0) < 0)
    return verdict_errno (errno);
  if (wait_in (fd, TIMEOUT_MS) == 0)
    return verdict_errno (ETIMEDOUT);
  uint8_t r[1500];
  ssize_t n;
  if (tcp)
    {
      /* Length prefix, then the message (small: one read each suffices here). */
      n = recv (fd, lenp, 2, MSG_WAITALL);
      if (n == 2)
        n = recv (fd, r, (size_t) (lenp[0] << 8 | lenp[1]) < sizeof r ? (size_t) (lenp[0] << 8 | lenp[1]) : sizeof r, MSG_WAITALL);
      else if (n >= 0)
        {
          printf ("closed\n");
          return 0;
        }
    }
  else
    n = recv (fd, r, sizeof r, 0);
  if (n < 0)
    return verdict_errno (errno);
  if (n < 12 || r[0] != q[0] || r[1] != q[1])
    {
      printf ("error bad reply\n");
      return 0;
    }
  int rcode = r[3] & 0x0f;
  if (rcode != 0)
    {
      printf ("rcode=%d\n", rcode);
      return 0;
    }
  /* Answers follow the echoed question; collect A records (names compressed or not). */
  size_t pos = (size_t) (p - q);
  int an = r[6] << 8 | r[7];
  printf ("ok");
  for (int i = 0; i < an && pos < (size_t) n; i++)
    {
      while (pos < (size_t) n && r[pos] != 0 && (r[pos] & 0xc0) != 0xc0)
        pos += 1 + r[pos];
      pos += (pos < (size_t) n && (r[pos] & 0xc0) == 0xc0) ? 2 : 1;
      if (pos + 10 > (size_t) n)
        break;
      int type = r[pos] << 8 | r[pos + 1];
      int rdlen = r[pos + 8] << 8 | r[pos + 9];
      pos += 10;
      if (type == 1 && rdlen == 4 && pos + 4 <= (size_t) n)
        printf (" %u.%u.%u.%u", r[pos], r[pos + 1], r[pos + 2], r[pos + 3]);
      pos += (size_t) rdlen;
    }
  printf ("\n");
  return 0;
}

/* A query for name (dotted) with this id into q; its length, 0 if it does not fit. */
static size_t make_query (const char *name, uint16_t id, uint8_t *q, size_t cap)
{
  uint8_t *p = q;
  uint8_t hdr[12] = { (uint8_t) (id >> 8), (uint8_t) id, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
  memcpy (p, hdr, 12);
  p += 12;
  for (const char *s = name; *s;)
    {
      size_t l = strcspn (s, ".");
      if (l == 0 || l > 63 || (size_t) (p - q) + l + 6 > cap)
        return 0;
      *p++ = (uint8_t) l;
      memcpy (p, s, l);
      p += l;
      s += l;
      if (*s == '.')
        s++;
    }
  *p++ = 0;
  *p++ = 0;
  *p++ = 1; /* A */
  *p++ = 0;
  *p++ = 1; /* IN */
  return (size_t) (p - q);
}

static int do_dnsburst (const char *server, const char *suffix, int count)
{
  struct sockaddr_in sa = addr_of (server, 53);
  int fd = socket (AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return verdict_errno (errno);
  int ok = 0, refused = 0, other = 0, first_refused = 0;
  char first[128] = "";
  uint32_t x = (uint32_t) getpid () * 2654435761u ^ (uint32_t) time (NULL);
  for (int i = 0; i < count; i++)
    {
      /* 12 letters and digits: random-looking, each name new, short enough
       * that only their number can give them away. */
      char label[13], name[256];
      for (int j = 0; j < 12; j++)
        {
          x = x * 1103515245u + 12345u;
          label[j] = "abcdefghijklmnopqrstuvwxyz0123456789"[(x >> 16) % 36];
        }
      label[12] = '\0';
      snprintf (name, sizeof name, "%s.%s", label, suffix);
      if (i == 0)
        snprintf (first, sizeof first, "%s", name);
      uint8_t q[512], r[1500];
      uint16_t id = (uint16_t) (i + 1);
      size_t qlen = make_query (name, id, q, sizeof q);
      if (qlen == 0 || send (fd, q, qlen, 0) < 0)
        {
          other++;
          continue;
        }
      ssize_t n = -1;
      /* Skip stray late replies to earlier queries. */
      while (wait_in (fd, TIMEOUT_MS) > 0 && (n = recv (fd, r, sizeof r, 0)) >= 12
             && (r[0] != q[0] || r[1] != q[1]))
        n = -1;
      if (n < 12)
        other++;
      else if ((r[3] & 0x0f) == 5)
        {
          refused++;
          if (first_refused == 0)
            first_refused = i + 1;
        }
      else
        ok++;
    }
  printf ("ok=%d refused=%d other=%d first_refused=%d first=%s\n", ok, refused, other, first_refused, first);
  return 0;
}

static bool own_address (const struct in6_addr *a)
{
  struct ifaddrs *ifa = NULL, *i;
  bool own = false;
  if (getifaddrs (&ifa) < 0)
    return false;
  for (i = ifa; i; i = i->ifa_next)
    if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6
        && memcmp (&((struct sockaddr_in6 *) i->ifa_addr)->sin6_addr, a, sizeof *a) == 0)
      own = true;
  freeifaddrs (ifa);
  return own;
}

static int do_icmp6 (const char *iface)
{
  int fd = socket (AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
  if (fd < 0)
    return verdict_errno (errno);
  struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_scope_id = if_nametoindex (iface) };
  inet_pton (AF_INET6, "ff02::1", &sa.sin6_addr);
  struct icmp6_hdr h = { .icmp6_type = ICMP6_ECHO_REQUEST };
  h.icmp6_id = htons ((uint16_t) getpid ());
  h.icmp6_seq = htons (1);
  if (sendto (fd, &h, sizeof h, 0, (struct sockaddr *) &sa, sizeof sa) < 0)
    return verdict_errno (errno);
  struct timespec start;
  clock_gettime (CLOCK_MONOTONIC, &start);
  while (1)
    {
      if (!wait_until (fd, &start))
        return verdict_errno (ETIMEDOUT);
      uint8_t buf[1500];
      struct sockaddr_in6 from;
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom (fd, buf, sizeof buf, 0, (struct sockaddr *) &from, &fl);
      struct icmp6_hdr *r = (struct icmp6_hdr *) buf;
      if (n >= (ssize_t) sizeof *r && r->icmp6_type == ICMP6_ECHO_REPLY && r->icmp6_id == h.icmp6_id
          && !own_address (&from.sin6_addr))
        {
          char s[INET6_ADDRSTRLEN];
          printf ("ok %s\n", inet_ntop (AF_INET6, &from.sin6_addr, s, sizeof s));
          return 0;
        }
    }
}

int main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc == 4 && strcmp (argv[1], "tcp") == 0)
    return do_tcp (argv[2], atoi (argv[3]));
  if (argc == 4 && strcmp (argv[1], "udp") == 0)
    return do_udp (argv[2], atoi (argv[3]));
  if (argc == 3 && strcmp (argv[1], "icmp") == 0)
    return do_icmp (argv[2]);
  if (argc == 3 && strcmp (argv[1], "icmp6") == 0)
    return do_icmp6 (argv[2]);
  if (argc == 4 && strcmp (argv[1], "dns") == 0)
    return do_dns (argv[2], argv[3], false);
  if (argc == 4 && strcmp (argv[1], "dnstcp") == 0)
    return do_dns (argv[2], argv[3], true);
  if (argc == 5 && strcmp (argv[1], "dnsburst") == 0)
    return do_dnsburst (argv[2], argv[3], atoi (argv[4]));
  fprintf (stderr, "usage: coi-probe tcp IP PORT | udp IP PORT | icmp IP | dns SERVER NAME\n");
  return 2;
}
