#include "monitor/ctevents.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/nlread.h"
#include "util/cleanup.h"

int coi_ctevents_open (int *out, coi_error_t *err)
{
  _cleanup_close_ int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER);
  if (fd < 0)
    return coi_error_errno (err, errno, "open conntrack events");
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1U << (NFNLGRP_CONNTRACK_NEW - 1) };
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return coi_error_errno (err, errno, "bind conntrack events");
  int rcv = 1 << 20;
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  *out = steal_fd (&fd);
  return 0;
}

struct nested
{
  const struct nlattr *tb[CTA_MAX + 1 > CTA_IP_MAX + 1 ? CTA_MAX + 1 : CTA_IP_MAX + 1];
  int max;
};

static int collect (const struct nlattr *a, void *data)
{
  struct nested *n = data;
  int type = mnl_attr_get_type (a);
  if (type <= n->max)
    n->tb[type] = a;
  return MNL_CB_OK;
}

static bool parse_nested (const struct nlattr *a, int max, struct nested *out)
{
  memset (out, 0, sizeof *out);
  out->max = max;
  return a && mnl_attr_parse_nested (a, collect, out) >= 0;
}

static bool u32_attr (const struct nlattr *a, uint32_t *v)
{
  if (a == NULL || mnl_attr_validate (a, MNL_TYPE_U32) < 0)
    return false;
  *v = ntohl (mnl_attr_get_u32 (a));
  return true;
}

static bool u16_attr (const struct nlattr *a, uint16_t *v)
{
  if (a == NULL || mnl_attr_validate (a, MNL_TYPE_U16) < 0)
    return false;
  *v = ntohs (mnl_attr_get_u16 (a));
  return true;
}

static void handle (const struct nlmsghdr *h, void (*fn) (const struct coi_flow *f, void *data), void *data)
{
  if (NFNL_SUBSYS_ID (h->nlmsg_type) != NFNL_SUBSYS_CTNETLINK || NFNL_MSG_TYPE (h->nlmsg_type) != IPCTNL_MSG_CT_NEW)
    return;
  const struct nfgenmsg *g = mnl_nlmsg_get_payload (h);
  if (g->nfgen_family != AF_INET)
    return;
  struct nested top = { .max = CTA_MAX };
  if (mnl_attr_parse (h, sizeof *g, collect, &top) < 0)
    return;
  struct nested tuple, ip, proto;
  if (!parse_nested (top.tb[CTA_TUPLE_ORIG], CTA_TUPLE_MAX, &tuple)
      || !parse_nested (tuple.tb[CTA_TUPLE_IP], CTA_IP_MAX, &ip)
      || !parse_nested (tuple.tb[CTA_TUPLE_PROTO], CTA_PROTO_MAX, &proto))
    return;
  struct coi_flow f = { 0 };
  if (!u32_attr (ip.tb[CTA_IP_V4_SRC], &f.src) || !u32_attr (ip.tb[CTA_IP_V4_DST], &f.dst))
    return;
  const struct nlattr *num = proto.tb[CTA_PROTO_NUM];
  if (num == NULL || mnl_attr_validate (num, MNL_TYPE_U8) < 0)
    return;
  f.protocol = mnl_attr_get_u8 (num);
  u16_attr (proto.tb[CTA_PROTO_SRC_PORT], &f.sport);
  u16_attr (proto.tb[CTA_PROTO_DST_PORT], &f.dport);
  fn (&f, data);
}

struct flow_sink
{
  void (*fn) (const struct coi_flow *f, void *data);
  void *data;
};

static void on_message (const struct nlmsghdr *h, void *data)
{
  struct flow_sink *sink = data;
  handle (h, sink->fn, sink->data);
}

int coi_ctevents_read (int fd, void (*fn) (const struct coi_flow *f, void *data), void *data, bool *lost)
{
  struct flow_sink sink = { fn, data };
  return coi_nl_drain (fd, on_message, &sink, lost);
}
