#include "monitor/sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"

void coi_socktab_free (struct coi_socktab *t)
{
  free (t->v);
  memset (t, 0, sizeof *t);
}

const struct coi_sock *coi_socktab_find (const struct coi_socktab *t, unsigned long ino)
{
  for (size_t i = 0; i < t->n; i++)
    if (t->v[i].ino == ino)
      return &t->v[i];
  return NULL;
}

/* A socket keeps the network namespace it was made in: a child enters the
 * container's, makes it and hands it back, so this process never leaves
 * its own (a failed return would point every later socket the wrong way). */
int coi_sockdiag_open (pid_t pid, int *out, coi_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/ns/net", (int) pid);
  _cleanup_close_ int target = open (path, O_RDONLY | O_CLOEXEC);
  if (target < 0)
    return coi_error_errno (err, errno, "open network namespace of pid %d", (int) pid);
  int sv[2];
  if (socketpair (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
    return coi_error_errno (err, errno, "open sock_diag socket");
  _cleanup_close_ int mine = sv[0];
  _cleanup_close_ int theirs = sv[1];
  pid_t child = fork ();
  if (child < 0)
    return coi_error_errno (err, errno, "open sock_diag socket");
  if (child == 0)
    {
      int e = 0;
      int fd = -1;
      if (setns (target, CLONE_NEWNET) < 0)
        e = errno;
      else if ((fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG)) < 0)
        e = errno;
      _exit (coi_fd_send (theirs, fd, &e, sizeof e) < 0 ? 1 : 0);
    }
  int e = EPROTO, fd = -1;
  long n = coi_fd_recv (mine, &fd, &e, sizeof e);
  int saved = errno;
  while (waitpid (child, NULL, 0) < 0 && errno == EINTR)
    ;
  if (n != (long) sizeof e)
    return coi_error_errno (err, n < 0 ? saved : EPROTO, "open sock_diag socket in pid %d's namespace", (int) pid);
  if (fd < 0)
    return coi_error_errno (err, e ? e : EPROTO, "open sock_diag socket in pid %d's namespace", (int) pid);
  *out = fd;
  return 0;
}

static int push (struct coi_socktab *t, const struct coi_sock *s)
{
  if (t->n == t->cap)
    {
      size_t nc = t->cap ? t->cap * 2 : 64;
      struct coi_sock *nv = realloc (t->v, nc * sizeof *nv);
      if (nv == NULL)
        return -1;
      t->v = nv;
      t->cap = nc;
    }
  t->v[t->n++] = *s;
  return 0;
}

static void to_in6 (uint8_t family, const __be32 *addr, struct in6_addr *out)
{
  memset (out, 0, sizeof *out);
  if (family == AF_INET6)
    memcpy (out, addr, 16);
  else
    {
      out->s6_addr[10] = 0xff;
      out->s6_addr[11] = 0xff;
      memcpy (&out->s6_addr[12], addr, 4);
    }
}

static int dump_one (int fd, uint8_t family, uint8_t protocol, uint32_t states, struct coi_socktab *t,
                     coi_error_t *err)
{
  struct
  {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg = {
    .nlh = { .nlmsg_len = sizeof msg, .nlmsg_type = SOCK_DIAG_BY_FAMILY,
             .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
    .req = { .sdiag_family = family, .sdiag_protocol = protocol, .idiag_states = states },
  };
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  if (sendto (fd, &msg, sizeof msg, 0, (struct sockaddr *) &sa, sizeof sa) < 0)
    return coi_error_errno (err, errno, "sock_diag request");
  char buf[32768] __attribute__ ((aligned (NLMSG_ALIGNTO)));
  for (;;)
    {
      ssize_t n = recv (fd, buf, sizeof buf, 0);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return coi_error_errno (err, errno, "sock_diag reply");
        }
      for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK (h, (size_t) n); h = NLMSG_NEXT (h, n))
        {
          if (h->nlmsg_type == NLMSG_DONE)
            return 0;
          if (h->nlmsg_type == NLMSG_ERROR)
            {
              struct nlmsgerr *e = NLMSG_DATA (h);
              /* No IPv6 (or no UDP diag module): nothing to list. */
              if (-e->error == ENOENT || -e->error == EOPNOTSUPP)
                return 0;
              return coi_error_errno (err, -e->error, "sock_diag reply");
            }
          if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY || h->nlmsg_len < NLMSG_LENGTH (sizeof (struct inet_diag_msg)))
            continue;
          const struct inet_diag_msg *m = NLMSG_DATA (h);
          struct coi_sock s = {
            .ino = m->idiag_inode,
            .family = m->idiag_family,
            .protocol = protocol,
            .state = m->idiag_state,
            .sport = ntohs (m->id.idiag_sport),
            .dport = ntohs (m->id.idiag_dport),
            .uid = m->idiag_uid,
          };
          to_in6 (m->idiag_family, m->id.idiag_src, &s.src);
          to_in6 (m->idiag_family, m->id.idiag_dst, &s.dst);
          if (push (t, &s) < 0)
            return coi_error_errno (err, ENOMEM, "sock_diag reply");
        }
    }
}

int coi_sockdiag_dump (int fd, uint32_t states, struct coi_socktab *t, coi_error_t *err)
{
  t->n = 0;
  static const uint8_t fams[] = { AF_INET, AF_INET6 };
  static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
  for (size_t f = 0; f < 2; f++)
    for (size_t p = 0; p < 2; p++)
      if (dump_one (fd, fams[f], protos[p], states, t, err) < 0)
        return -1;
  return 0;
}

bool coi_sock_v4 (const struct in6_addr *a, uint32_t *v4)
{
  if (!IN6_IS_ADDR_V4MAPPED (a))
    return false;
  uint32_t be;
  memcpy (&be, &a->s6_addr[12], 4);
  *v4 = ntohl (be);
  return true;
}

bool coi_sock_is_loopback (const struct in6_addr *a)
{
  uint32_t v4;
  if (coi_sock_v4 (a, &v4))
    return (v4 >> 24) == 127;
  return IN6_IS_ADDR_LOOPBACK (a);
}

static bool is_unspecified (const struct in6_addr *a)
{
  uint32_t v4;
  if (coi_sock_v4 (a, &v4))
    return v4 == 0;
  return IN6_IS_ADDR_UNSPECIFIED (a);
}

bool coi_sock_is_remote (const struct coi_sock *s)
{
  return !is_unspecified (&s->dst) && !coi_sock_is_loopback (&s->dst);
}

void coi_sock_format (const struct in6_addr *a, uint16_t port, char *buf, size_t len)
{
  char ip[INET6_ADDRSTRLEN];
  uint32_t v4;
  if (coi_sock_v4 (a, &v4))
    {
      struct in_addr in = { htonl (v4) };
      inet_ntop (AF_INET, &in, ip, sizeof ip);
      snprintf (buf, len, "%s:%u", ip, port);
    }
  else
    {
      inet_ntop (AF_INET6, a, ip, sizeof ip);
      snprintf (buf, len, "[%s]:%u", ip, port);
    }
}

const char *coi_sock_state_name (const struct coi_sock *s)
{
  static const char *const tcp[] = { "UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
                                     "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
                                     "LISTEN", "CLOSING", "NEW_SYN_RECV" };
  if (s->protocol == IPPROTO_UDP)
    return s->state == 1 ? "CONNECTED" : "UNCONNECTED";
  return s->state < sizeof tcp / sizeof tcp[0] ? tcp[s->state] : "UNKNOWN";
}
