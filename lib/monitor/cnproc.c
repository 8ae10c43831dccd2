#include "monitor/cnproc.h"

#include <errno.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/nlread.h"
#include "util/cleanup.h"

int coi_cnproc_open (int *out, bool *filtered, coi_error_t *err)
{
  _cleanup_close_ int fd = socket (AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_CONNECTOR);
  if (fd < 0)
    return coi_error_errno (err, errno, "open proc connector");
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = CN_IDX_PROC, .nl_pid = 0 };
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    return coi_error_errno (err, errno, "bind proc connector");
  /* A fork storm must not overflow the queue quickly: ask for a larger buffer. */
  int rcv = 4 << 20;
  if (setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
    (void) setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  /* Linux >= 6.6 filters events in the kernel (struct proc_input): only
   * execs then wake us, not every fork and exit of the host.  Older kernels
   * ignore a LISTEN of that size, so they get the plain one. */
  struct utsname u;
  int major = 0, minor = 0;
  bool filter = uname (&u) == 0 && sscanf (u.release, "%d.%d", &major, &minor) == 2
                && (major > 6 || (major == 6 && minor >= 6));
  struct __attribute__ ((aligned (NLMSG_ALIGNTO)))
  {
    struct nlmsghdr nlh;
    struct __attribute__ ((packed))
    {
      struct cn_msg cn;
      uint32_t op;         /* enum proc_cn_mcast_op */
      uint32_t event_type; /* enum proc_cn_event mask (filtered form only) */
    } body;
  } msg;
  memset (&msg, 0, sizeof msg);
  size_t len = filter ? sizeof msg : NLMSG_LENGTH (sizeof (struct cn_msg) + sizeof (uint32_t));
  msg.nlh.nlmsg_len = (uint32_t) len;
  msg.nlh.nlmsg_type = NLMSG_DONE;
  msg.body.cn.id.idx = CN_IDX_PROC;
  msg.body.cn.id.val = CN_VAL_PROC;
  msg.body.cn.len = filter ? 2 * sizeof (uint32_t) : sizeof (uint32_t);
  msg.body.op = PROC_CN_MCAST_LISTEN;
  msg.body.event_type = PROC_EVENT_EXEC;
  if (send (fd, &msg, len, 0) < 0)
    return coi_error_errno (err, errno, "subscribe to proc connector");
  *filtered = filter;
  *out = steal_fd (&fd);
  return 0;
}

struct pev_sink
{
  void (*fn) (const struct coi_pev *ev, void *data);
  void *data;
};

static void on_message (const struct nlmsghdr *h, void *data)
{
  struct pev_sink *sink = data;
  if (h->nlmsg_type == NLMSG_ERROR || h->nlmsg_type == NLMSG_NOOP)
    return;
  if (h->nlmsg_len < NLMSG_LENGTH (sizeof (struct cn_msg) + sizeof (struct proc_event)))
    return;
  const struct cn_msg *cn = NLMSG_DATA (h);
  if (cn->id.idx != CN_IDX_PROC || cn->id.val != CN_VAL_PROC)
    return;
  /* cn_msg data is only 4-byte aligned; proc_event holds a u64. */
  struct proc_event pe;
  memcpy (&pe, cn->data, sizeof pe);
  struct coi_pev ev;
  switch (pe.what)
    {
    case PROC_EVENT_FORK:
      ev = (struct coi_pev) { COI_PEV_FORK, pe.event_data.fork.child_pid, pe.event_data.fork.child_tgid,
                              pe.event_data.fork.parent_tgid };
      break;
    case PROC_EVENT_EXEC:
      ev = (struct coi_pev) { COI_PEV_EXEC, pe.event_data.exec.process_pid, pe.event_data.exec.process_tgid, 0 };
      break;
    case PROC_EVENT_EXIT:
      ev = (struct coi_pev) { COI_PEV_EXIT, pe.event_data.exit.process_pid, pe.event_data.exit.process_tgid, 0 };
      break;
    default:
      return;
    }
  sink->fn (&ev, sink->data);
}

int coi_cnproc_read (int fd, void (*fn) (const struct coi_pev *ev, void *data), void *data, bool *lost)
{
  struct pev_sink sink = { fn, data };
  return coi_nl_drain (fd, on_message, &sink, lost);
}
