/* The DNS filter's guard against tunnels: a DNS name is a channel out of
 * the session (whoever runs the authoritative server of a domain reads
 * every name asked under it), so the filter refuses names that look like
 * data and caps how many new names a session may ask.  Pure: no I/O, the
 * time is passed in, so every rule is unit-tested.
 *
 * For each query name, in order:
 *   1. a name answered within COI_DNS_GUARD_SEEN_MS passes and costs
 *      nothing: asking it again carries no new data (resolvers repeat
 *      names all the time: A and AAAA, every new connection);
 *   2. the rate cap: a token bucket of new names, `new_names_per_min` a
 *      minute with as many in a burst ([monitoring.nft] dns_query_threshold);
 *      an empty bucket refuses ("rate");
 *   3. names that look like data: a label of COI_DNS_GUARD_LONG_LABEL
 *      characters or more ("long-label"), a name of COI_DNS_GUARD_LONG_NAME
 *      or more ("long-name"), a byte outside letters, digits, '-' and '_'
 *      ("binary-label"), a random-looking run of 24 or more letters and
 *      digits ("high-entropy": see coi_dns_segment_random);
 *   4. more than `subdomains` new names under one domain within
 *      COI_DNS_GUARD_WINDOW_MS ("many-subdomains"): the new ones are refused
 *      until the window ends, names already answered keep working.
 * 3 and 4 are a tunnel attempt.  Each refusal says whether it is the first
 * of its kind in its window (report), so a flood is one finding. */
#ifndef COI_NETPOLICY_DNS_GUARD_H
#define COI_NETPOLICY_DNS_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COI_DNS_GUARD_NEW_NAMES_PER_MIN 100 /* COI's dns_query_threshold default */
#define COI_DNS_GUARD_SUBDOMAINS 50
#define COI_DNS_GUARD_WINDOW_MS 60000
#define COI_DNS_GUARD_SEEN_MS 600000
#define COI_DNS_GUARD_LONG_LABEL 56
#define COI_DNS_GUARD_LONG_NAME 160
#define COI_DNS_GUARD_SEGMENT 24 /* shortest run judged for randomness */
#define COI_DNS_GUARD_DOMAINS 64
#define COI_DNS_GUARD_SEEN_SLOTS 4096 /* a power of two */

enum coi_dns_guard_verdict
{
  COI_DNS_GUARD_PASS,
  COI_DNS_GUARD_RATE,   /* over the rate cap */
  COI_DNS_GUARD_TUNNEL, /* looks like data, or too many names under its domain */
};

struct coi_dns_guard_result
{
  enum coi_dns_guard_verdict verdict;
  const char *why;  /* static, for refusals: "rate", "long-label", ... */
  char domain[256]; /* the domain the name is counted under */
  unsigned count;   /* rate: refused in a row; tunnel: new names under domain this window */
  bool report;      /* the first refusal of its kind in its window: a finding */
  bool repeat;      /* passed as a name answered recently */
};

struct coi_dns_guard_seen
{
  uint64_t hash; /* 0: empty */
  uint64_t at_ms;
};

struct coi_dns_guard_domain
{
  bool used, reported;
  char name[256];
  uint64_t window_ms, last_ms;
  unsigned unique; /* new names passed in the window */
};

struct coi_dns_guard
{
  unsigned per_min, subdomains;
  uint64_t tokens; /* in 1/60000 of a name: a minute's refill is per_min names */
  uint64_t last_ms;
  unsigned rate_refused; /* in a row, since the last new name passed */
  bool rate_reported;
  uint64_t rate_reported_ms;
  struct coi_dns_guard_seen seen[COI_DNS_GUARD_SEEN_SLOTS];
  struct coi_dns_guard_domain domains[COI_DNS_GUARD_DOMAINS];
};

/* 0 for either limit means its default.  The bucket starts full. */
void coi_dns_guard_init (struct coi_dns_guard *g, unsigned new_names_per_min, unsigned subdomains,
                         uint64_t now_ms);
/* Judge one query name (lower case, no trailing dot) at now_ms. */
void coi_dns_guard_check (struct coi_dns_guard *g, const char *name, uint64_t now_ms,
                          struct coi_dns_guard_result *r);

/* The parts, for tests. */
/* NULL, or why the name looks like data (see above). */
const char *coi_dns_name_looks_like_data (const char *name);
/* Whether a run of letters and digits looks random: 24 or more characters
 * and, when it is all hex digits, 33 or more of them (longer than an MD5 or
 * a UUID) with an entropy of 3 bits a character; otherwise a Shannon
 * entropy of 4.2 bits a character, or 6 consonants in a row, or an entropy
 * of 3.9 with 15% digits.  Words run together stay below these. */
bool coi_dns_segment_random (const char *s, size_t n);
/* Shannon entropy in bits per character of s[0..n). */
double coi_dns_entropy (const char *s, size_t n);
/* The domain a name is counted under: its last two labels, three when the
 * second-level label is a common registry word below a two-letter country
 * code (example.co.uk), the /24 of an in-addr.arpa name. */
void coi_dns_base_domain (const char *name, char out[256]);

#endif
