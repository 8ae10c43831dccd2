#include "netpolicy/dns_filter.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netpolicy/backend.h"
#include "netpolicy/dns_filter_private.h"
#include "netpolicy/dns_msg.h"
#include "netpolicy/netlog.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/fs.h"

/* Learned addresses live clamp(TTL, 30 s, refresh interval or a day): a
 * TTL of 0 or 1 must not make the firewall race the client's connect. */
#define MIN_TTL_S 30u
#define DAY_S 86400u

void coi_dns_filter_config_for (const struct coi_net_session *s, struct coi_dns_filter_config *cfg)
{
  const struct coi_net_target *t = coi_net_session_target (s);
  const struct coi_net_policy *p = coi_net_session_policy (s);
  memset (cfg, 0, sizeof *cfg);
  cfg->listen_addr = t->gateway;
  cfg->listen_port = t->dns_port;
  cfg->client_addr = t->addr;
  cfg->upstream_addr = p->n_dns_servers ? p->dns_servers[0] : t->gateway;
  cfg->upstream_port = 53;
  cfg->policy = p;
  cfg->max_ttl = coi_dns_filter_max_ttl (p);
  cfg->container = t->container;
  cfg->log_fd = -1;
  cfg->findings_fd = -1;
  cfg->site = coi_net_session_site (s);
}

unsigned coi_dns_filter_max_ttl (const struct coi_net_policy *p)
{
  if (p->refresh_interval_minutes <= 0 || (unsigned) p->refresh_interval_minutes >= DAY_S / 60)
    return DAY_S;
  return (unsigned) p->refresh_interval_minutes * 60u;
}

unsigned coi_dns_filter_timeout (const struct coi_dns_filter_config *c, uint32_t ttl)
{
  unsigned lo = c->min_ttl ? c->min_ttl : MIN_TTL_S, hi = c->max_ttl ? c->max_ttl : DAY_S;
  unsigned t = ttl < lo ? lo : ttl;
  return t > hi ? hi : t;
}

static struct sockaddr_in sin_of (uint32_t addr, uint16_t port)
{
  struct sockaddr_in sa = { .sin_family = AF_INET };
  sa.sin_addr.s_addr = htonl (addr);
  sa.sin_port = htons (port);
  return sa;
}

int coi_dns_filter_open (const struct coi_dns_filter_config *cfg, struct coi_dns_filter **out,
                         coi_error_t *err)
{
  if (cfg->policy == NULL || cfg->listen_port == 0)
    return coi_error_make (err, EINVAL, "DNS filter: no policy or port");
  struct coi_dns_filter *f = calloc (1, sizeof *f);
  if (f == NULL)
    return coi_error_errno (err, ENOMEM, "DNS filter");
  f->cfg = *cfg;
  if (f->cfg.upstream_port == 0)
    f->cfg.upstream_port = 53;
  if (f->cfg.min_ttl == 0)
    f->cfg.min_ttl = MIN_TTL_S;
  if (f->cfg.max_ttl == 0)
    f->cfg.max_ttl = DAY_S;
  if (f->cfg.set_addr == 0)
    f->cfg.set_addr = f->cfg.client_addr;
  if (f->cfg.upstream_timeout_ms == 0)
    f->cfg.upstream_timeout_ms = 3000;
  for (size_t i = 0; i < MAX_PENDING; i++)
    f->pend[i].fd = -1;
  f->tcp_fd = -1;
  f->fd = -1;
  snprintf (f->container, sizeof f->container, "%s", cfg->container ? cfg->container : "-");
  f->cfg.container = f->container;
  /* Only an allowlist's answers open the firewall; restricted needs no nft. */
  f->learns = cfg->policy->mode == COI_NET_ALLOWLIST;
  coi_dns_guard_init (&f->guard, cfg->new_names_per_min, cfg->subdomains, (uint64_t) coi_now_ms ());
  if (f->learns && cfg->site == NULL)
    {
      coi_dns_filter_free (f);
      return coi_error_make (err, EINVAL, "DNS filter: no network site to put learned addresses in");
    }
  if (f->learns && coi_net_backend_open (&f->backend, cfg->site, err) < 0)
    {
      coi_dns_filter_free (f);
      return -1;
    }
  f->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = sin_of (cfg->listen_addr, cfg->listen_port);
  if (f->fd < 0 || bind (f->fd, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      char a[COI_IPV4_STRLEN];
      int e = errno;
      coi_dns_filter_free (f);
      return coi_error_errno (err, e, "DNS filter: cannot listen on %s:%u",
                              coi_ipv4_str (cfg->listen_addr, a), cfg->listen_port);
    }
  if (coi_dns_filter_tcp_open (f, err) < 0)
    {
      coi_dns_filter_free (f);
      return -1;
    }
  *out = f;
  return 0;
}

static void pending_clear (struct pending *p)
{
  if (p->fd >= 0)
    close (p->fd);
  p->fd = -1;
  coi_port_list_clear (&p->ports);
  p->all_ports = false;
}

void coi_dns_filter_free (struct coi_dns_filter *f)
{
  if (f == NULL)
    return;
  for (size_t i = 0; i < MAX_PENDING; i++)
    pending_clear (&f->pend[i]);
  if (f->fd >= 0)
    close (f->fd);
  if (f->tcp_fd >= 0)
    close (f->tcp_fd);
  cleanup_net_backendp (&f->backend);
  free (f);
}

/* The name as it may appear in a log line or a finding: lower-case
 * letters, digits, '.', '-' and '_' as they are, any other byte as \xHH
 * (a label may hold any byte, a log line must stay one line); cut with
 * "..." when out is too small. */
static void printable (const char *name, char *out, size_t len)
{
  size_t w = 0;
  if (name[0] == '\0')
    name = ".";
  for (const unsigned char *p = (const unsigned char *) name; *p; p++)
    {
      bool plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_';
      size_t need = plain ? 1 : 4;
      if (w + need + 4 > len)
        {
          memcpy (out + w, "...", 4);
          return;
        }
      if (plain)
        out[w++] = (char) *p;
      else
        w += (size_t) snprintf (out + w, len - w, "\\x%02x", *p);
    }
  out[w] = '\0';
}

/* Lines not written (over the budget, or a run of rate refusals after its
 * first) become one count, written before the next line or, while nothing
 * else is logged, at most every SUMMARY_MS. */
#define SUMMARY_MS 10000

static void log_flush (struct coi_dns_filter *f, uint64_t now)
{
  if (f->cfg.log_fd < 0 || f->log_dropped == 0)
    return;
  /* Best effort: a full log must not stop name resolution. */
  (void) coi_netlog_write (f->cfg.log_fd, f->container, "dns suppressed count=%u", f->log_dropped);
  f->log_dropped = 0;
  f->log_summary_ms = now;
}

static void log_query (struct coi_dns_filter *f, const char *verdict, const struct coi_dns_question *q,
                       const char *why)
{
  if (f->cfg.log_fd < 0)
    return;
  uint64_t now = (uint64_t) coi_now_ms ();
  if (now - f->log_window_ms >= COI_NETLOG_WINDOW_MS)
    {
      log_flush (f, now);
      f->log_window_ms = now;
      f->log_lines = 0;
    }
  if (f->log_lines >= COI_NETLOG_TOTAL)
    {
      f->log_dropped++;
      return;
    }
  f->log_lines++;
  char name[300], tb[12];
  printable (q->name, name, sizeof name);
  (void) coi_netlog_write (f->cfg.log_fd, f->container, "dns name=%s qtype=%s verdict=%s%s%s", name,
                           coi_dns_qtype_name (q->qtype, tb), verdict, why ? " why=" : "", why ? why : "");
}

/* A refusal of the guard to the supervisor.  Non-blocking: when nobody
 * reads, findings are lost, never the answer. */
static void report (struct coi_dns_filter *f, const struct coi_dns_question *q,
                    const struct coi_dns_guard_result *r)
{
  if (f->cfg.findings_fd <= 0 || !r->report)
    return;
  struct coi_dns_finding fd = { 0 };
  fd.kind = r->verdict == COI_DNS_GUARD_RATE ? COI_DNS_FINDING_RATE : COI_DNS_FINDING_TUNNEL;
  fd.count = r->count;
  fd.limit = r->verdict == COI_DNS_GUARD_RATE ? f->guard.per_min : f->guard.subdomains;
  fd.qtype = q->qtype;
  snprintf (fd.why, sizeof fd.why, "%s", r->why);
  printable (q->name, fd.name, sizeof fd.name);
  printable (r->domain, fd.domain, sizeof fd.domain);
  ssize_t n;
  do
    n = write (f->cfg.findings_fd, &fd, sizeof fd);
  while (n < 0 && errno == EINTR);
}

int coi_dns_finding_read (int fd, struct coi_dns_finding *f)
{
  ssize_t n;
  do
    n = read (fd, f, sizeof *f);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  if (n != (ssize_t) sizeof *f)
    return -1; /* EOF, an error, or a writer that is not the filter */
  f->why[sizeof f->why - 1] = '\0';
  f->name[sizeof f->name - 1] = '\0';
  f->domain[sizeof f->domain - 1] = '\0';
  return 1;
}

static void reply (struct coi_dns_filter *f, const struct sockaddr_in *to, const uint8_t *msg, size_t len)
{
  /* UDP: a lost reply is retried by the client; nothing to do on error. */
  (void) sendto (f->fd, msg, len, 0, (const struct sockaddr *) to, sizeof *to);
}

static void reply_error (struct coi_dns_filter *f, const struct sockaddr_in *to, const uint8_t *query,
                         const struct coi_dns_question *q, uint8_t rcode)
{
  uint8_t out[COI_DNS_MAX_UDP];
  size_t n = coi_dns_make_error (query, q, rcode, out, sizeof out);
  if (n)
    reply (f, to, out, n);
}

static struct timespec deadline_in (unsigned ms)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  t.tv_sec += ms / 1000;
  t.tv_nsec += (long) (ms % 1000) * 1000000L;
  if (t.tv_nsec >= 1000000000L)
    {
      t.tv_sec++;
      t.tv_nsec -= 1000000000L;
    }
  return t;
}

static void forward (struct coi_dns_filter *f, const struct sockaddr_in *from, uint8_t *msg,
                     size_t len, const struct coi_dns_question *q, struct coi_port_list *ports,
                     bool all_ports)
{
  struct pending *p = NULL;
  for (size_t i = 0; i < MAX_PENDING && p == NULL; i++)
    if (f->pend[i].fd < 0)
      p = &f->pend[i];
  if (p == NULL)
    {
      reply_error (f, from, msg, q, COI_DNS_RCODE_SERVFAIL);
      return;
    }
  /* A fresh socket (random source port) and a random ID per query: an
   * off-path attacker must guess both to inject an answer, and an injected
   * answer would open the firewall. */
  struct sockaddr_in up = sin_of (f->cfg.upstream_addr, f->cfg.upstream_port);
  uint16_t id;
  p->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0 || connect (p->fd, (struct sockaddr *) &up, sizeof up) < 0
      || getrandom (&id, sizeof id, 0) != sizeof id)
    {
      pending_clear (p);
      reply_error (f, from, msg, q, COI_DNS_RCODE_SERVFAIL);
      return;
    }
  p->client_id = coi_dns_id (msg);
  p->upstream_id = id;
  p->client = *from;
  p->q = *q;
  p->ports = *ports;
  *ports = (struct coi_port_list){ 0 };
  p->all_ports = all_ports;
  memcpy (p->query, msg, len);
  p->query_len = len;
  coi_dns_set_id (msg, id);
  if (send (p->fd, msg, len, 0) < 0)
    {
      reply_error (f, from, p->query, q, COI_DNS_RCODE_SERVFAIL);
      pending_clear (p);
      return;
    }
  p->deadline = deadline_in (f->cfg.upstream_timeout_ms);
}

enum coi_dns_verdict coi_dns_filter_decide (struct coi_dns_filter *f, const uint8_t *msg, size_t n,
                                            struct coi_dns_question *q, uint8_t *out,
                                            size_t *out_len, struct coi_port_list *ports,
                                            bool *all_ports)
{
  *out_len = 0;
  *all_ports = false;
  if (coi_dns_parse_query (msg, n, q) < 0)
    return COI_DNS_DROP; /* not a query we understand: silence, like a firewall */
  /* The guard first: a name that carries data must not leave, whatever the
   * mode and whether or not the policy would allow it. */
  struct coi_dns_guard_result g;
  coi_dns_guard_check (&f->guard, q->name, (uint64_t) coi_now_ms (), &g);
  if (g.verdict != COI_DNS_GUARD_PASS)
    {
      /* A run of rate refusals is one line and a count. */
      if (g.verdict == COI_DNS_GUARD_RATE && g.count > 1)
        f->log_dropped += f->cfg.log_fd >= 0;
      else
        log_query (f, g.verdict == COI_DNS_GUARD_RATE ? "rate" : "tunnel", q,
                   g.verdict == COI_DNS_GUARD_RATE ? NULL : g.why);
      report (f, q, &g);
      *out_len = coi_dns_make_error (msg, q, COI_DNS_RCODE_REFUSED, out, COI_DNS_MAX_UDP);
      return *out_len ? COI_DNS_REPLY : COI_DNS_DROP;
    }
  const struct coi_net_host *h = coi_net_policy_find_host (f->cfg.policy, q->name);
  if (h)
    {
      log_query (f, "host", q, NULL);
      *out_len = coi_dns_make_a (msg, q, h->addr, 300, out, COI_DNS_MAX_UDP);
      return *out_len ? COI_DNS_REPLY : COI_DNS_DROP;
    }
  if (!f->learns)
    {
      /* Restricted allows the internet: every other name resolves. */
      log_query (f, "allow", q, NULL);
      return COI_DNS_FORWARD;
    }
  if (!coi_net_policy_match_name (f->cfg.policy, q->name, ports, all_ports))
    {
      coi_port_list_clear (ports);
      log_query (f, "deny", q, NULL);
      *out_len = coi_dns_make_error (msg, q, COI_DNS_RCODE_REFUSED, out, COI_DNS_MAX_UDP);
      return *out_len ? COI_DNS_REPLY : COI_DNS_DROP;
    }
  /* An entry without ports opens every port, as the static sets do;
   * allowed_ports narrows entries that name none. */
  if (*all_ports && f->cfg.policy->allowed_ports.n > 0)
    {
      *all_ports = false;
      coi_port_list_clear (ports);
      if (coi_port_list_extend (ports, &f->cfg.policy->allowed_ports) < 0)
        {
          *out_len = coi_dns_make_error (msg, q, COI_DNS_RCODE_SERVFAIL, out, COI_DNS_MAX_UDP);
          return *out_len ? COI_DNS_REPLY : COI_DNS_DROP;
        }
    }
  if (*all_ports)
    coi_port_list_clear (ports);
  coi_port_list_merge (ports);
  log_query (f, "allow", q, NULL);
  return COI_DNS_FORWARD;
}

static void on_query (struct coi_dns_filter *f)
{
  uint8_t msg[COI_DNS_MAX_UDP], out[COI_DNS_MAX_UDP];
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom (f->fd, msg, sizeof msg, 0, (struct sockaddr *) &from, &flen);
  if (n <= 0 || flen != sizeof from || from.sin_family != AF_INET)
    return;
  /* Only the session's container; anyone else learns nothing from us. */
  if (ntohl (from.sin_addr.s_addr) != f->cfg.client_addr)
    return;
  struct coi_dns_question q;
  struct coi_port_list ports = { 0 };
  bool all_ports = false;
  size_t out_len = 0;
  switch (coi_dns_filter_decide (f, msg, (size_t) n, &q, out, &out_len, &ports, &all_ports))
    {
    case COI_DNS_DROP:
      break;
    case COI_DNS_REPLY:
      reply (f, &from, out, out_len);
      break;
    case COI_DNS_FORWARD:
      forward (f, &from, msg, (size_t) n, &q, &ports, all_ports);
      break;
    }
  coi_port_list_clear (&ports);
}

struct learn
{
  struct coi_dns_filter *f;
  const struct coi_dns_question *q;
  const struct coi_port_list *ports; /* NULL: every port */
  int failed;
};

static int learn_a (uint32_t addr, uint32_t ttl, void *data)
{
  struct learn *l = data;
  const struct coi_dns_filter_config *c = &l->f->cfg;
  unsigned t = coi_dns_filter_timeout (c, ttl);
  _cleanup_error_ coi_error_t err = NULL;
  const struct coi_net_backend *b = &l->f->backend;
  if (b->ops->allow_learned (b->h, c->set_addr, addr, l->ports, t, &err) < 0)
    {
      l->failed = 1;
      if (c->log_fd >= 0)
        {
          char name[300];
          printable (l->q->name, name, sizeof name);
          (void) coi_netlog_write (c->log_fd, l->f->container, "dns name=%s error=%s", name, err->msg);
        }
      return -1;
    }
  return 0;
}

int coi_dns_filter_learn (struct coi_dns_filter *f, const uint8_t *answer, size_t n,
                          const struct coi_dns_question *q, const struct coi_port_list *ports,
                          bool all_ports)
{
  if (!f->learns)
    return 0;
  struct learn l = { .f = f, .q = q, .ports = all_ports ? NULL : ports };
  if (coi_dns_foreach_a (answer, n, learn_a, &l) < 0 || l.failed)
    {
      log_query (f, "fail", q, NULL);
      return -1;
    }
  return 0;
}

static void on_answer (struct coi_dns_filter *f, struct pending *p)
{
  uint8_t msg[COI_DNS_MAX_UDP];
  ssize_t n = recv (p->fd, msg, sizeof msg, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  /* Anything that is not the answer to our question is dropped; the
   * deadline then ends the wait. */
  if (n < (ssize_t) p->q.end || coi_dns_id (msg) != p->upstream_id || !(msg[2] & 0x80)
      || memcmp (msg + 12, p->query + 12, p->q.end - 12) != 0)
    {
      if (n < 0)
        {
          reply_error (f, &p->client, p->query, &p->q, COI_DNS_RCODE_SERVFAIL);
          pending_clear (p);
        }
      return;
    }
  /* The set is updated before the answer is sent: when the client has the
   * address, the firewall already lets it through. */
  if (coi_dns_filter_learn (f, msg, (size_t) n, &p->q, &p->ports, p->all_ports) < 0)
    reply_error (f, &p->client, p->query, &p->q, COI_DNS_RCODE_SERVFAIL);
  else
    {
      coi_dns_set_id (msg, p->client_id);
      reply (f, &p->client, msg, (size_t) n);
    }
  pending_clear (p);
}

static int ms_until (const struct timespec *t)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  long ms = (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec) / 1000000;
  return ms < 0 ? 0 : ms > 60000 ? 60000 : (int) ms;
}

int coi_dns_filter_run (struct coi_dns_filter *f, int stop_fd, coi_error_t *err)
{
  while (1)
    {
      struct pollfd pfd[MAX_PENDING + 3];
      struct pending *owner[MAX_PENDING + 3];
      nfds_t n = 0;
      int timeout = -1;
      pfd[n] = (struct pollfd){ .fd = f->fd, .events = POLLIN };
      owner[n++] = NULL;
      /* stop_fd -1 is ignored by poll */
      pfd[n] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
      owner[n++] = NULL;
      pfd[n] = (struct pollfd){ .fd = f->tcp_fd, .events = POLLIN };
      owner[n++] = NULL;
      for (size_t i = 0; i < MAX_PENDING; i++)
        if (f->pend[i].fd >= 0)
          {
            int ms = ms_until (&f->pend[i].deadline);
            if (ms == 0)
              {
                reply_error (f, &f->pend[i].client, f->pend[i].query, &f->pend[i].q,
                             COI_DNS_RCODE_SERVFAIL);
                pending_clear (&f->pend[i]);
                continue;
              }
            timeout = timeout < 0 || ms < timeout ? ms : timeout;
            pfd[n] = (struct pollfd){ .fd = f->pend[i].fd, .events = POLLIN };
            owner[n++] = &f->pend[i];
          }
      /* Counted lines are written even when nothing else comes. */
      if (f->log_dropped > 0 && (timeout < 0 || timeout > SUMMARY_MS))
        timeout = SUMMARY_MS;
      int r = poll (pfd, n, timeout);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          log_flush (f, (uint64_t) coi_now_ms ());
          return coi_error_errno (err, errno, "DNS filter: poll");
        }
      uint64_t now = (uint64_t) coi_now_ms ();
      if (now - f->log_summary_ms >= SUMMARY_MS)
        log_flush (f, now);
      if (stop_fd >= 0 && pfd[1].revents)
        {
          log_flush (f, now);
          return 0;
        }
      if (pfd[2].revents & POLLIN)
        coi_dns_filter_tcp_serve (f);
      for (nfds_t i = 0; i < n; i++)
        if (owner[i] && pfd[i].revents && owner[i]->fd == pfd[i].fd)
          on_answer (f, owner[i]);
      if (pfd[0].revents & POLLIN)
        for (int i = 0; i < 32; i++) /* drain a burst, but keep answers flowing */
          {
            struct pollfd one = { .fd = f->fd, .events = POLLIN };
            if (poll (&one, 1, 0) <= 0 || !(one.revents & POLLIN))
              break;
            on_query (f);
          }
    }
}

static int child_main (const struct coi_dns_filter_config *cfg, int ready_fd)
{
  _cleanup_error_ coi_error_t err = NULL;
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGTERM);
  sigaddset (&set, SIGINT);
  /* The filter must not outlive whoever owns the session. */
  if (prctl (PR_SET_PDEATHSIG, SIGTERM) < 0 || sigprocmask (SIG_BLOCK, &set, NULL) < 0)
    return 1;
  _cleanup_close_ int sfd = signalfd (-1, &set, SFD_CLOEXEC);
  struct coi_dns_filter *f = NULL;
  if (sfd < 0 || coi_dns_filter_open (cfg, &f, &err) < 0)
    {
      const char *m = err ? err->msg : "signalfd failed";
      (void) coi_write_all (ready_fd, m, strlen (m));
      return 1;
    }
  if (coi_write_all (ready_fd, "", 1) < 0)
    {
      coi_dns_filter_free (f);
      return 1;
    }
  close (ready_fd);
  int r = coi_dns_filter_run (f, sfd, &err);
  coi_dns_filter_free (f);
  return r < 0 ? 1 : 0;
}

int coi_dns_filter_spawn (const struct coi_dns_filter_config *cfg, pid_t *pid, coi_error_t *err)
{
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return coi_error_errno (err, errno, "DNS filter: pipe");
  pid_t child = fork ();
  if (child < 0)
    {
      int e = errno;
      close (p[0]);
      close (p[1]);
      return coi_error_errno (err, e, "DNS filter: fork");
    }
  if (child == 0)
    {
      close (p[0]);
      _exit (child_main (cfg, p[1]));
    }
  close (p[1]);
  char buf[512];
  ssize_t n;
  do
    n = read (p[0], buf, sizeof buf - 1);
  while (n < 0 && errno == EINTR);
  close (p[0]);
  /* One NUL byte means listening; text is the child's error; EOF is a crash. */
  if (n == 1 && buf[0] == '\0')
    {
      *pid = child;
      return 0;
    }
  int status;
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  buf[n > 0 ? n : 0] = '\0';
  return coi_error_make (err, EIO, "DNS filter did not start: %s", n > 0 ? buf : "it exited");
}
