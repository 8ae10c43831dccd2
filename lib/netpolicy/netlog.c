#include "netpolicy/netlog.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netpolicy/addr.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/clock.h"

int coi_netlog_open_fd (const char *path, int *out, coi_error_t *err)
{
  if (path == NULL || path[0] != '/')
    return coi_error_make (err, EINVAL, "open network log: \"%s\" is not an absolute path", path ? path : "");
  _cleanup_free_ char *dir = strdup (path);
  if (dir == NULL)
    return coi_error_errno (err, ENOMEM, "open network log %s", path);
  char *slash = strrchr (dir, '/');
  if (slash != dir)
    {
      *slash = '\0';
      if (coi_mkdir_p (dir, 0700, err) < 0)
        return coi_error_prefix (err, "open network log %s", path);
    }
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return coi_error_errno (err, errno, "open network log %s", path);
  *out = fd;
  return 0;
}

/* "<timestamp> <container> <text>\n" in one write(). */
static int vwrite_line (int fd, const char *container, const char *fmt, va_list ap)
{
  struct timespec now;
  char ts[32], text[384];
  clock_gettime (CLOCK_REALTIME, &now);
  coi_iso8601_ms (ts, &now);
  int tn = vsnprintf (text, sizeof text, fmt, ap);
  if (tn < 0)
    return -1;
  char line[512];
  int len = snprintf (line, sizeof line, "%s %s %s\n", ts, container, text);
  if (len < 0)
    return -1;
  if ((size_t) len >= sizeof line)
    {
      len = (int) sizeof line - 1;
      line[len - 1] = '\n';
    }
  ssize_t w;
  do
    w = write (fd, line, (size_t) len);
  while (w < 0 && errno == EINTR);
  return w == len ? 0 : -1;
}

static int write_line (int fd, const char *container, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
static int write_line (int fd, const char *container, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int r = vwrite_line (fd, container, fmt, ap);
  va_end (ap);
  return r;
}

int coi_netlog_write (int fd, const char *container, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int r = vwrite_line (fd, container, fmt, ap);
  va_end (ap);
  return r;
}

int coi_netlog_append (const char *path, const char *container, const char *fmt, ...)
{
  _cleanup_error_ coi_error_t ignored = NULL;
  _cleanup_close_ int fd = -1;
  if (coi_netlog_open_fd (path, &fd, &ignored) < 0)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  int r = vwrite_line (fd, container, fmt, ap);
  va_end (ap);
  return r;
}

void coi_netlog_init (struct coi_netlog *l, int fd, const char *container)
{
  memset (l, 0, sizeof *l);
  l->fd = fd;
  snprintf (l->container, sizeof l->container, "%s", container);
}

static int event_port (const struct coi_nflog_event *ev)
{
  if (ev->has_ports)
    return ev->dport;
  return ev->icmp_type;
}

/* "reason=R proto=P dst=A[:port]" (ICMP: " icmp_type=T"). */
static void describe (char *out, size_t len, const char *reason, uint8_t proto, uint32_t dst, int port)
{
  char a[COI_IPV4_STRLEN], pb[8];
  const char *pn = coi_nflog_proto_name (proto, pb, sizeof pb);
  coi_ipv4_str (dst, a);
  if (port < 0)
    snprintf (out, len, "reason=%s proto=%s dst=%s", reason, pn, a);
  else if (proto == IPPROTO_ICMP)
    snprintf (out, len, "reason=%s proto=%s dst=%s icmp_type=%d", reason, pn, a, port);
  else
    snprintf (out, len, "reason=%s proto=%s dst=%s:%d", reason, pn, a, port);
}

/* Whether the window's budget (all destinations) allows one more line;
 * if not, `count` attempts go into the all-destinations count. */
static bool take_budget (struct coi_netlog *l, uint64_t now_ms, unsigned count)
{
  if (now_ms - l->window_ms >= COI_NETLOG_WINDOW_MS)
    {
      l->window_ms = now_ms;
      l->lines = 0;
    }
  if (l->lines >= COI_NETLOG_TOTAL)
    {
      l->dropped += count;
      return false;
    }
  l->lines++;
  return true;
}

static int flush_slot (struct coi_netlog *l, struct coi_netlog_slot *s, uint64_t now_ms)
{
  unsigned n = s->suppressed;
  s->suppressed = 0;
  if (n == 0 || !take_budget (l, now_ms, n))
    return 0;
  char what[160];
  describe (what, sizeof what, s->reason, s->proto, s->dst, s->port);
  return write_line (l->fd, l->container, "suppressed count=%u %s", n, what);
}

/* The end of a destination's window: its "suppressed" line.  A flood that
 * goes on gets longer windows without "blocked" lines (hot), so it costs
 * one line a minute at most; a quiet window cools the destination down. */
static int roll_slot (struct coi_netlog *l, struct coi_netlog_slot *s, uint64_t now_ms)
{
  bool flooded = s->suppressed > 0;
  int r = flush_slot (l, s, now_ms);
  s->hot = flooded;
  s->span_ms = flooded ? (s->span_ms * 2 > COI_NETLOG_HOT_MS ? COI_NETLOG_HOT_MS : s->span_ms * 2)
                       : COI_NETLOG_WINDOW_MS;
  s->window_ms = now_ms;
  s->lines = 0;
  return r;
}

static struct coi_netlog_slot *find_slot (struct coi_netlog *l, const struct coi_nflog_event *ev, uint64_t now_ms)
{
  int port = event_port (ev);
  struct coi_netlog_slot *oldest = NULL;
  for (size_t i = 0; i < COI_NETLOG_SLOTS; i++)
    {
      struct coi_netlog_slot *s = &l->slots[i];
      if (s->used && s->dst == ev->dst && s->port == port && s->proto == ev->proto && strcmp (s->reason, ev->reason) == 0)
        return s;
      if (oldest == NULL || !s->used || (oldest->used && s->last_ms < oldest->last_ms))
        oldest = s;
    }
  /* Full: the least recent destination makes room; what it had not yet
   * reported goes into the all-destinations count (no line of its own,
   * so a scan over many destinations stays within the total). */
  if (oldest->used)
    l->dropped += oldest->suppressed;
  memset (oldest, 0, sizeof *oldest);
  oldest->used = true;
  snprintf (oldest->reason, sizeof oldest->reason, "%s", ev->reason);
  oldest->proto = ev->proto;
  oldest->dst = ev->dst;
  oldest->port = port;
  oldest->window_ms = now_ms;
  oldest->span_ms = COI_NETLOG_WINDOW_MS;
  return oldest;
}

int coi_netlog_blocked (struct coi_netlog *l, const struct coi_nflog_event *ev, uint64_t now_ms)
{
  if (l->fd < 0)
    return 0;
  struct coi_netlog_slot *s = find_slot (l, ev, now_ms);
  int r = 0;
  if (now_ms - s->window_ms >= s->span_ms)
    r = roll_slot (l, s, now_ms);
  s->last_ms = now_ms;
  if (s->hot || s->lines >= COI_NETLOG_PER_DEST)
    {
      s->suppressed++;
      return r;
    }
  if (!take_budget (l, now_ms, 1))
    return r;
  s->lines++;
  char what[160];
  describe (what, sizeof what, ev->reason, ev->proto, ev->dst, event_port (ev));
  return write_line (l->fd, l->container, "blocked %s", what) < 0 ? -1 : r;
}

int coi_netlog_flush (struct coi_netlog *l, uint64_t now_ms, bool all)
{
  if (l->fd < 0)
    return 0;
  int r = 0;
  for (size_t i = 0; i < COI_NETLOG_SLOTS; i++)
    {
      struct coi_netlog_slot *s = &l->slots[i];
      if (!s->used || (!all && now_ms - s->window_ms < s->span_ms))
        continue;
      if (roll_slot (l, s, now_ms) < 0)
        r = -1;
      if (now_ms - s->last_ms >= COI_NETLOG_IDLE_MS)
        s->used = false;
    }
  if (l->dropped > 0 && (all || now_ms - l->window_ms >= COI_NETLOG_WINDOW_MS))
    {
      /* Beyond the budget on purpose: one line a window at most. */
      if (write_line (l->fd, l->container, "suppressed count=%u dst=*", l->dropped) < 0)
        r = -1;
      l->dropped = 0;
      l->window_ms = now_ms;
      l->lines = 0;
    }
  return r;
}

void coi_netlog_close (struct coi_netlog *l)
{
  if (l->fd >= 0)
    close (l->fd);
  l->fd = -1;
}
