#include "netpolicy/nflog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netpolicy/render.h"
#include "util/cleanup.h"
#include "util/nlread.h"

/* Batch up to this many packets, for at most 0.1 s: a flood costs one
 * wake-up per batch, a single attempt is seen within 0.1 s. */
#define NFLOG_QTHRESH 16
#define NFLOG_TIMEOUT_CS 10
#define NFLOG_ACK_WAIT_MS 2000

struct cfg_msg
{
  char buf[256] __attribute__ ((aligned (NLMSG_ALIGNTO)));
  size_t len;
};

static void put_attr (struct cfg_msg *m, uint16_t type, const void *data, size_t len)
{
  struct nlattr *a = (struct nlattr *) (m->buf + m->len);
  a->nla_type = type;
  a->nla_len = (uint16_t) (NLA_HDRLEN + len);
  memcpy ((char *) a + NLA_HDRLEN, data, len);
  m->len += NLA_ALIGN (a->nla_len);
}

/* Wait for the kernel's answer to request `seq`: 0, or -errno. */
static int await_ack (int fd, uint32_t seq)
{
  char buf[4096] __attribute__ ((aligned (NLMSG_ALIGNTO)));
  for (;;)
    {
      struct pollfd p = { .fd = fd, .events = POLLIN };
      int r = poll (&p, 1, NFLOG_ACK_WAIT_MS);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return r == 0 ? -ETIMEDOUT : -errno;
      ssize_t n = recv (fd, buf, sizeof buf, 0);
      if (n < 0)
        {
          if (errno == EINTR || errno == EAGAIN)
            continue;
          return -errno;
        }
      for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK (h, (size_t) n); h = NLMSG_NEXT (h, n))
        if (h->nlmsg_type == NLMSG_ERROR && h->nlmsg_seq == seq
            && h->nlmsg_len >= NLMSG_LENGTH (sizeof (struct nlmsgerr)))
          return ((const struct nlmsgerr *) NLMSG_DATA (h))->error;
    }
}

int coi_nflog_open (uint16_t group, int *out, coi_error_t *err)
{
  if (group == 0)
    return coi_error_make (err, EINVAL, "bind nflog group: no group");
  _cleanup_close_ int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
  if (fd < 0)
    return coi_error_errno (err, errno, "open nflog socket");
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return coi_error_errno (err, errno, "bind nflog socket");
  /* A burst of rejects must not overflow the queue at once. */
  int rcv = 1 << 20;
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);

  struct cfg_msg m = { .len = NLMSG_LENGTH (sizeof (struct nfgenmsg)) };
  struct nlmsghdr *h = (struct nlmsghdr *) m.buf;
  h->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  h->nlmsg_seq = 1;
  struct nfgenmsg *g = NLMSG_DATA (h);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons (group);
  struct nfulnl_msg_config_cmd cmd = { .command = NFULNL_CFG_CMD_BIND };
  struct nfulnl_msg_config_mode mode = { .copy_range = htonl (COI_NFLOG_COPY_RANGE),
                                         .copy_mode = NFULNL_COPY_PACKET };
  uint32_t qthresh = htonl (NFLOG_QTHRESH), timeout = htonl (NFLOG_TIMEOUT_CS);
  put_attr (&m, NFULA_CFG_CMD, &cmd, sizeof cmd);
  put_attr (&m, NFULA_CFG_MODE, &mode, sizeof mode);
  put_attr (&m, NFULA_CFG_QTHRESH, &qthresh, sizeof qthresh);
  put_attr (&m, NFULA_CFG_TIMEOUT, &timeout, sizeof timeout);
  h->nlmsg_len = (uint32_t) m.len;
  struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
  if (sendto (fd, m.buf, m.len, 0, (struct sockaddr *) &kernel, sizeof kernel) < 0)
    return coi_error_errno (err, errno, "bind nflog group %u", group);
  int r = await_ack (fd, h->nlmsg_seq);
  if (r == -EPERM || r == -EBUSY)
    return coi_error_make (err, EBUSY, "bind nflog group %u: the group is bound by another process", group);
  if (r < 0)
    return coi_error_errno (err, -r, "bind nflog group %u", group);
  *out = steal_fd (&fd);
  return 0;
}

static bool reason_ok (const char *s, size_t n)
{
  if (n == 0 || n >= sizeof ((struct coi_nflog_event *) 0)->reason)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '-'))
      return false;
  return true;
}

/* "coi:<container> <reason> " (the trailing space optional). */
static bool parse_prefix (const char *p, size_t plen, struct coi_nflog_event *ev)
{
  size_t n = strnlen (p, plen);
  if (n < 4 || memcmp (p, "coi:", 4) != 0)
    return false;
  const char *name = p + 4, *end = p + n;
  const char *sp = memchr (name, ' ', (size_t) (end - name));
  if (sp == NULL || (size_t) (sp - name) >= sizeof ev->container)
    return false;
  memcpy (ev->container, name, (size_t) (sp - name));
  ev->container[sp - name] = '\0';
  if (!coi_net_container_name_ok (ev->container))
    return false;
  const char *reason = sp + 1;
  const char *rend = memchr (reason, ' ', (size_t) (end - reason));
  if (rend == NULL)
    rend = end;
  else if (rend + 1 != end)
    return false; /* more words than ours */
  if (!reason_ok (reason, (size_t) (rend - reason)))
    return false;
  memcpy (ev->reason, reason, (size_t) (rend - reason));
  ev->reason[rend - reason] = '\0';
  return true;
}

static uint16_t be16 (const uint8_t *p)
{
  return (uint16_t) ((p[0] << 8) | p[1]);
}

static uint32_t be32 (const uint8_t *p)
{
  return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

static bool parse_ipv4 (const uint8_t *p, size_t n, struct coi_nflog_event *ev)
{
  if (n < 20 || (p[0] >> 4) != 4)
    return false;
  size_t ihl = (size_t) (p[0] & 0x0f) * 4;
  if (ihl < 20 || ihl > n)
    return false;
  ev->proto = p[9];
  ev->src = be32 (p + 12);
  ev->dst = be32 (p + 16);
  /* Only the first fragment carries the L4 header. */
  if ((be16 (p + 6) & 0x1fff) != 0)
    return true;
  const uint8_t *l4 = p + ihl;
  size_t l4n = n - ihl;
  switch (ev->proto)
    {
    case IPPROTO_TCP:
    case IPPROTO_UDP:
    case IPPROTO_UDPLITE:
    case IPPROTO_SCTP:
      if (l4n >= 4)
        {
          ev->has_ports = true;
          ev->sport = be16 (l4);
          ev->dport = be16 (l4 + 2);
        }
      break;
    case IPPROTO_ICMP:
      if (l4n >= 2)
        {
          ev->icmp_type = l4[0];
          ev->icmp_code = l4[1];
        }
      break;
    default:
      break;
    }
  return true;
}

int coi_nflog_parse (const struct nlmsghdr *h, size_t len, struct coi_nflog_event *ev)
{
  memset (ev, 0, sizeof *ev);
  ev->icmp_type = ev->icmp_code = -1;
  if (len < NLMSG_HDRLEN)
    return -1;
  if (h->nlmsg_type != ((NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_PACKET))
    return 0;
  size_t hdr = NLMSG_LENGTH (NLMSG_ALIGN (sizeof (struct nfgenmsg)));
  if (h->nlmsg_len > len || h->nlmsg_len < hdr)
    return -1;
  const uint8_t *p = (const uint8_t *) h + hdr, *end = (const uint8_t *) h + h->nlmsg_len;
  const char *prefix = NULL;
  const uint8_t *payload = NULL;
  size_t prefix_len = 0, payload_len = 0;
  while ((size_t) (end - p) >= NLA_HDRLEN)
    {
      struct nlattr a;
      memcpy (&a, p, sizeof a); /* the buffer may be unaligned when crafted */
      if (a.nla_len < NLA_HDRLEN || a.nla_len > (size_t) (end - p))
        return -1;
      const uint8_t *data = p + NLA_HDRLEN;
      size_t dlen = a.nla_len - NLA_HDRLEN;
      switch (a.nla_type & NLA_TYPE_MASK)
        {
        case NFULA_PREFIX:
          prefix = (const char *) data;
          prefix_len = dlen;
          break;
        case NFULA_PAYLOAD:
          payload = data;
          payload_len = dlen;
          break;
        default:
          break;
        }
      size_t step = NLA_ALIGN (a.nla_len);
      if (step >= (size_t) (end - p))
        break;
      p += step;
    }
  if (prefix == NULL || payload == NULL || !parse_prefix (prefix, prefix_len, ev)
      || !parse_ipv4 (payload, payload_len, ev))
    return -1;
  return 1;
}

struct read_ctx
{
  void (*fn) (const struct coi_nflog_event *ev, void *data);
  void *data;
};

static void on_message (const struct nlmsghdr *h, void *data)
{
  const struct read_ctx *r = data;
  struct coi_nflog_event ev;
  /* coi_nl_drain only hands over messages that fit their datagram. */
  if (coi_nflog_parse (h, h->nlmsg_len, &ev) == 1)
    r->fn (&ev, r->data);
}

int coi_nflog_read (int fd, void (*fn) (const struct coi_nflog_event *ev, void *data), void *data,
                    bool *lost)
{
  struct read_ctx r = { fn, data };
  return coi_nl_drain (fd, on_message, &r, lost);
}

const char *coi_nflog_proto_name (uint8_t proto, char *buf, size_t len)
{
  switch (proto)
    {
    case IPPROTO_TCP:
      return "tcp";
    case IPPROTO_UDP:
      return "udp";
    case IPPROTO_ICMP:
      return "icmp";
    case IPPROTO_SCTP:
      return "sctp";
    case IPPROTO_UDPLITE:
      return "udplite";
    default:
      snprintf (buf, len, "%u", proto);
      return buf;
    }
}
