#include "netpolicy/dns_guard.h"

#include <math.h>
#include <string.h>

/* One name in bucket units: a minute's refill is per_min names. */
#define COST 60000u
#define PROBE 8

void coi_dns_guard_init (struct coi_dns_guard *g, unsigned new_names_per_min, unsigned subdomains,
                         uint64_t now_ms)
{
  memset (g, 0, sizeof *g);
  g->per_min = new_names_per_min ? new_names_per_min : COI_DNS_GUARD_NEW_NAMES_PER_MIN;
  g->subdomains = subdomains ? subdomains : COI_DNS_GUARD_SUBDOMAINS;
  g->tokens = (uint64_t) g->per_min * COST;
  g->last_ms = now_ms;
}

double coi_dns_entropy (const char *s, size_t n)
{
  unsigned counts[256] = { 0 };
  for (size_t i = 0; i < n; i++)
    counts[(unsigned char) s[i]]++;
  double h = 0;
  for (size_t c = 0; c < 256; c++)
    if (counts[c])
      {
        double p = (double) counts[c] / (double) n;
        h -= p * log2 (p);
      }
  return h;
}

static bool is_consonant (char c)
{
  return c >= 'a' && c <= 'z' && strchr ("aeiouy", c) == NULL;
}

bool coi_dns_segment_random (const char *s, size_t n)
{
  if (n < COI_DNS_GUARD_SEGMENT)
    return false;
  size_t digits = 0, run = 0, max_run = 0;
  bool hex = true;
  for (size_t i = 0; i < n; i++)
    {
      char c = s[i];
      digits += c >= '0' && c <= '9';
      hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
      run = is_consonant (c) ? run + 1 : 0;
      max_run = run > max_run ? run : max_run;
    }
  double h = coi_dns_entropy (s, n);
  /* Hex identifiers up to a UUID's 32 digits are common in real names
   * (storage accounts, endpoints); hex has at most 4 bits a character. */
  if (hex)
    return n > 32 && h >= 3.0;
  return h >= 4.2 || max_run >= 6 || (h >= 3.9 && digits * 100 >= n * 15);
}

static bool ldh (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

const char *coi_dns_name_looks_like_data (const char *name)
{
  size_t len = strlen (name);
  if (len >= COI_DNS_GUARD_LONG_NAME)
    return "long-name";
  for (const char *label = name; *label;)
    {
      size_t l = strcspn (label, ".");
      if (l >= COI_DNS_GUARD_LONG_LABEL)
        return "long-label";
      for (size_t i = 0; i < l; i++)
        if (!ldh (label[i]))
          return "binary-label";
      /* Words are joined by '-' or '_'; encoded data is one long run. */
      for (size_t i = 0; i < l;)
        {
          size_t seg = strcspn (label + i, "-_.");
          if (seg > l - i)
            seg = l - i;
          if (coi_dns_segment_random (label + i, seg))
            return "high-entropy";
          i += seg + 1;
        }
      label += l;
      if (*label == '.')
        label++;
    }
  return NULL;
}

/* Second-level labels under which registries sell names (co.uk, com.au). */
static bool registry_word (const char *s, size_t n)
{
  static const char *const words[] = { "co", "com", "net", "org", "gov", "edu", "ac",
                                       "or", "ne", "go", "ltd", "plc", "gob", "mil", "nic" };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    if (strlen (words[i]) == n && memcmp (words[i], s, n) == 0)
      return true;
  return false;
}

static bool ends_with (const char *s, size_t len, const char *suffix)
{
  size_t n = strlen (suffix);
  return len > n && memcmp (s + len - n, suffix, n) == 0;
}

void coi_dns_base_domain (const char *name, char out[256])
{
  size_t len = strnlen (name, 255);
  const char *base = name;
  if (ends_with (name, len, ".in-addr.arpa") || ends_with (name, len, ".ip6.arpa"))
    {
      /* Reverse lookups: the host is the first label, its network the rest. */
      const char *dot = memchr (name, '.', len);
      base = dot ? dot + 1 : name;
    }
  else
    {
      /* The last three dots, from the right. */
      const char *dots[3] = { NULL, NULL, NULL };
      size_t nd = 0;
      for (size_t i = len; i-- > 0 && nd < 3;)
        if (name[i] == '.')
          dots[nd++] = name + i;
      if (nd >= 1)
        {
          base = nd >= 2 ? dots[1] + 1 : name;
          const char *tld = dots[0] + 1;
          size_t sld = (size_t) (dots[0] - base);
          if (name + len - tld == 2 && registry_word (base, sld) && nd >= 2)
            base = nd >= 3 ? dots[2] + 1 : name;
        }
    }
  size_t n = (size_t) (name + len - base);
  memcpy (out, base, n);
  out[n] = '\0';
}

static uint64_t hash (const char *s)
{
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++)
    h = (h ^ (unsigned char) *s) * 1099511628211ull;
  return h ? h : 1;
}

static bool fresh (const struct coi_dns_guard_seen *e, uint64_t now_ms)
{
  return e->hash != 0 && now_ms - e->at_ms < COI_DNS_GUARD_SEEN_MS;
}

static bool seen_find (struct coi_dns_guard *g, uint64_t h, uint64_t now_ms)
{
  for (size_t i = 0; i < PROBE; i++)
    {
      struct coi_dns_guard_seen *e = &g->seen[(h + i) & (COI_DNS_GUARD_SEEN_SLOTS - 1)];
      if (e->hash == h && fresh (e, now_ms))
        return true;
    }
  return false;
}

static void seen_add (struct coi_dns_guard *g, uint64_t h, uint64_t now_ms)
{
  struct coi_dns_guard_seen *victim = NULL;
  for (size_t i = 0; i < PROBE; i++)
    {
      struct coi_dns_guard_seen *e = &g->seen[(h + i) & (COI_DNS_GUARD_SEEN_SLOTS - 1)];
      if (e->hash == h || !fresh (e, now_ms))
        {
          victim = e;
          break;
        }
      if (victim == NULL || e->at_ms < victim->at_ms)
        victim = e;
    }
  victim->hash = h;
  victim->at_ms = now_ms;
}

/* The domain's slot, its window restarted when over; for a new domain an
 * unused slot, else the least recently used one. */
static struct coi_dns_guard_domain *domain_slot (struct coi_dns_guard *g, const char *domain, uint64_t now_ms)
{
  struct coi_dns_guard_domain *d = NULL;
  for (size_t i = 0; i < COI_DNS_GUARD_DOMAINS && d == NULL; i++)
    if (g->domains[i].used && strcmp (g->domains[i].name, domain) == 0)
      d = &g->domains[i];
  if (d == NULL)
    {
      d = &g->domains[0];
      for (size_t i = 0; i < COI_DNS_GUARD_DOMAINS && d->used; i++)
        if (!g->domains[i].used || g->domains[i].last_ms < d->last_ms)
          d = &g->domains[i];
      memset (d, 0, sizeof *d);
      d->used = true;
      size_t n = strnlen (domain, sizeof d->name - 1);
      memcpy (d->name, domain, n);
      d->window_ms = now_ms;
    }
  if (now_ms - d->window_ms >= COI_DNS_GUARD_WINDOW_MS)
    {
      d->window_ms = now_ms;
      d->unique = 0;
      d->reported = false;
    }
  d->last_ms = now_ms;
  return d;
}

static void refill (struct coi_dns_guard *g, uint64_t now_ms)
{
  uint64_t cap = (uint64_t) g->per_min * COST;
  uint64_t dt = now_ms > g->last_ms ? now_ms - g->last_ms : 0;
  if (dt > COI_DNS_GUARD_WINDOW_MS)
    dt = COI_DNS_GUARD_WINDOW_MS; /* a full minute fills the bucket anyway */
  g->tokens += dt * g->per_min;
  if (g->tokens > cap)
    g->tokens = cap;
  g->last_ms = now_ms > g->last_ms ? now_ms : g->last_ms;
}

void coi_dns_guard_check (struct coi_dns_guard *g, const char *name, uint64_t now_ms,
                          struct coi_dns_guard_result *r)
{
  memset (r, 0, sizeof *r);
  r->verdict = COI_DNS_GUARD_PASS;
  coi_dns_base_domain (name, r->domain);
  uint64_t h = hash (name);
  refill (g, now_ms);
  if (seen_find (g, h, now_ms))
    {
      r->repeat = true;
      return;
    }
  if (g->tokens < COST)
    {
      r->verdict = COI_DNS_GUARD_RATE;
      r->why = "rate";
      r->count = ++g->rate_refused;
      if (!g->rate_reported || now_ms - g->rate_reported_ms >= COI_DNS_GUARD_WINDOW_MS)
        {
          r->report = true;
          g->rate_reported = true;
          g->rate_reported_ms = now_ms;
        }
      return;
    }
  g->tokens -= COST;
  g->rate_refused = 0;
  struct coi_dns_guard_domain *d = domain_slot (g, r->domain, now_ms);
  const char *why = coi_dns_name_looks_like_data (name);
  if (why == NULL && d->unique >= g->subdomains)
    why = "many-subdomains";
  if (why)
    {
      r->verdict = COI_DNS_GUARD_TUNNEL;
      r->why = why;
      r->count = d->unique;
      r->report = !d->reported;
      d->reported = true;
      return;
    }
  d->unique++;
  seen_add (g, h, now_ms);
}
