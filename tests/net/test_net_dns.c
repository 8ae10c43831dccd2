/* The DNS filter's pure parts: which A records of a crafted answer are
 * learned (only the question's name and its CNAME chain), and the guard
 * against tunnels (names that look like data, new names under one domain,
 * the rate cap). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <stdlib.h>

#include "netpolicy/dns_guard.h"
#include "netpolicy/dns_msg.h"

/* ---- building answers ---- */

struct msg
{
  uint8_t b[2048];
  size_t n;
  uint16_t an;
};

static void put (struct msg *m, const void *p, size_t n)
{
  assert_true (m->n + n <= sizeof m->b);
  memcpy (m->b + m->n, p, n);
  m->n += n;
}

static void put16 (struct msg *m, unsigned v)
{
  uint8_t b[2] = { (uint8_t) (v >> 8), (uint8_t) v };
  put (m, b, 2);
}

static void put32 (struct msg *m, uint32_t v)
{
  put16 (m, v >> 16);
  put16 (m, v & 0xffff);
}

/* Uncompressed, in the case given. */
static void name (struct msg *m, const char *dotted)
{
  for (const char *s = dotted; *s;)
    {
      size_t l = strcspn (s, ".");
      uint8_t len = (uint8_t) l;
      put (m, &len, 1);
      put (m, s, l);
      s += l;
      if (*s == '.')
        s++;
    }
  put (m, "", 1);
}

static void pointer (struct msg *m, unsigned off)
{
  put16 (m, 0xc000 | off);
}

/* A response to one question (type A) for qname. */
static void answer_to (struct msg *m, const char *qname)
{
  memset (m, 0, sizeof *m);
  put16 (m, 0x1234);
  put16 (m, 0x8180);
  put16 (m, 1);
  put16 (m, 0); /* ancount: filled in by done() */
  put16 (m, 0);
  put16 (m, 0);
  name (m, qname);
  put16 (m, 1);
  put16 (m, 1);
}

/* The record after its owner name: type, class, TTL; returns where RDLENGTH goes. */
static size_t rr (struct msg *m, uint16_t type, uint16_t cls)
{
  put16 (m, type);
  put16 (m, cls);
  put32 (m, 60);
  size_t at = m->n;
  put16 (m, 0);
  m->an++;
  return at;
}

static void rr_end (struct msg *m, size_t at)
{
  size_t len = m->n - at - 2;
  m->b[at] = (uint8_t) (len >> 8);
  m->b[at + 1] = (uint8_t) len;
}

static void a_rec (struct msg *m, const char *owner, uint32_t addr)
{
  if (owner)
    name (m, owner);
  else
    pointer (m, 12); /* the question's name */
  size_t at = rr (m, 1, 1);
  put32 (m, addr);
  rr_end (m, at);
}

static void cname_rec (struct msg *m, const char *owner, const char *target)
{
  if (owner)
    name (m, owner);
  else
    pointer (m, 12);
  size_t at = rr (m, 5, 1);
  name (m, target);
  rr_end (m, at);
}

static void done (struct msg *m)
{
  m->b[6] = (uint8_t) (m->an >> 8);
  m->b[7] = (uint8_t) m->an;
}

/* ---- collecting what would be learned ---- */

struct got
{
  uint32_t v[32];
  size_t n;
};

static int collect (uint32_t addr, uint32_t ttl, void *data)
{
  (void) ttl;
  struct got *g = data;
  if (g->n < 32)
    g->v[g->n++] = addr;
  return 0;
}

static int learn (const struct msg *m, struct got *g)
{
  memset (g, 0, sizeof *g);
  return coi_dns_foreach_a (m->b, m->n, collect, g);
}

#define IP(a, b, c, d) ((uint32_t) (a) << 24 | (uint32_t) (b) << 16 | (uint32_t) (c) << 8 | (uint32_t) (d))

static void test_owner_must_be_question (void **state)
{
  (void) state;
  struct msg m;
  struct got g;
  answer_to (&m, "api.example.com");
  a_rec (&m, NULL, IP (198, 51, 100, 1));
  a_rec (&m, "evil.example.net", IP (198, 51, 100, 66));      /* another name entirely */
  a_rec (&m, "x.api.example.com", IP (198, 51, 100, 67));     /* below the question */
  a_rec (&m, "example.com", IP (198, 51, 100, 68));           /* above it */
  a_rec (&m, "api.example.com", IP (198, 51, 100, 2));        /* uncompressed, same name */
  done (&m);
  assert_int_equal (learn (&m, &g), 0);
  assert_int_equal (g.n, 2);
  assert_int_equal (g.v[0], IP (198, 51, 100, 1));
  assert_int_equal (g.v[1], IP (198, 51, 100, 2));
  /* Without exactly one question there is no name to follow. */
  m.b[5] = 2;
  assert_int_equal (learn (&m, &g), -1);
  m.b[5] = 0;
  assert_int_equal (learn (&m, &g), -1);
  assert_int_equal (g.n, 0);
}

static void test_cname_chain (void **state)
{
  (void) state;
  struct msg m;
  struct got g;
  /* Out of order on purpose: the chain is followed from the question. */
  answer_to (&m, "www.example.com");
  a_rec (&m, "edge.cdn.test", IP (198, 51, 100, 10));
  a_rec (&m, "unrelated.test", IP (198, 51, 100, 66));
  cname_rec (&m, "alias.example.com", "edge.cdn.test");
  cname_rec (&m, NULL, "alias.example.com");
  /* A CNAME of a name off the chain leads nowhere we learn. */
  cname_rec (&m, "other.test", "side.test");
  a_rec (&m, "side.test", IP (198, 51, 100, 67));
  a_rec (&m, "alias.example.com", IP (198, 51, 100, 11)); /* on the chain (bogus, but named) */
  done (&m);
  assert_int_equal (learn (&m, &g), 0);
  assert_int_equal (g.n, 2);
  assert_int_equal (g.v[0], IP (198, 51, 100, 10));
  assert_int_equal (g.v[1], IP (198, 51, 100, 11));

  /* A chain longer than any resolver follows is not an answer. */
  answer_to (&m, "c0.test");
  char owner[16], target[16];
  for (int i = 0; i < 20; i++)
    {
      snprintf (owner, sizeof owner, "c%d.test", i);
      snprintf (target, sizeof target, "c%d.test", i + 1);
      cname_rec (&m, owner, target);
    }
  a_rec (&m, "c20.test", IP (198, 51, 100, 12));
  done (&m);
  assert_int_equal (learn (&m, &g), -1);
  assert_int_equal (g.n, 0);
  /* Eight links are fine. */
  answer_to (&m, "c0.test");
  for (int i = 0; i < 8; i++)
    {
      snprintf (owner, sizeof owner, "c%d.test", i);
      snprintf (target, sizeof target, "c%d.test", i + 1);
      cname_rec (&m, owner, target);
    }
  a_rec (&m, "c8.test", IP (198, 51, 100, 13));
  done (&m);
  assert_int_equal (learn (&m, &g), 0);
  assert_int_equal (g.n, 1);
  assert_int_equal (g.v[0], IP (198, 51, 100, 13));
}

static void test_cname_loop (void **state)
{
  (void) state;
  struct msg m;
  struct got g;
  answer_to (&m, "a.test");
  cname_rec (&m, NULL, "b.test");
  cname_rec (&m, "b.test", "c.test");
  cname_rec (&m, "c.test", "A.TEST"); /* back to the start, in other case */
  a_rec (&m, "d.test", IP (198, 51, 100, 66));
  done (&m);
  assert_int_equal (learn (&m, &g), -1);
  assert_int_equal (g.n, 0);
  /* A name that is its own alias. */
  answer_to (&m, "self.test");
  cname_rec (&m, NULL, "self.test");
  a_rec (&m, "x.test", IP (198, 51, 100, 66));
  done (&m);
  assert_int_equal (learn (&m, &g), -1);
  assert_int_equal (g.n, 0);
}

static void test_mixed_case (void **state)
{
  (void) state;
  struct msg m;
  struct got g;
  answer_to (&m, "Api.Example.COM");
  a_rec (&m, "API.EXAMPLE.com", IP (198, 51, 100, 1));
  cname_rec (&m, "api.example.COM", "Edge.CDN.test");
  a_rec (&m, "edge.cdn.TEST", IP (198, 51, 100, 2));
  a_rec (&m, "EDGE.CDN.TEST.evil", IP (198, 51, 100, 66));
  done (&m);
  assert_int_equal (learn (&m, &g), 0);
  assert_int_equal (g.n, 2);
  assert_int_equal (g.v[0], IP (198, 51, 100, 1));
  assert_int_equal (g.v[1], IP (198, 51, 100, 2));
}

static void test_compression_outside (void **state)
{
  (void) state;
  struct msg m;
  struct got g;
  /* A CNAME target that points past the end of the message. */
  answer_to (&m, "www.example.com");
  pointer (&m, 12);
  size_t at = rr (&m, 5, 1);
  pointer (&m, 0x3ff);
  rr_end (&m, at);
  a_rec (&m, "elsewhere.test", IP (198, 51, 100, 66));
  done (&m);
  assert_int_equal (learn (&m, &g), -1);
  assert_int_equal (g.n, 0);
  /* An owner name that points past the end. */
  answer_to (&m, "www.example.com");
  pointer (&m, 0x3ff);
  at = rr (&m, 1, 1);
  put32 (&m, IP (198, 51, 100, 66));
  rr_end (&m, at);
  done (&m);
  assert_int_equal (learn (&m, &g), -1);
  assert_int_equal (g.n, 0);
  /* A CNAME target whose labels run past its RDATA into the next record. */
  answer_to (&m, "www.example.com");
  pointer (&m, 12);
  at = rr (&m, 5, 1);
  put (&m, "\x04" "edge", 5);
  rr_end (&m, at); /* RDLENGTH 5: the name's end is outside it */
  name (&m, "test"); /* read as the rest of the target, and as the next owner */
  at = rr (&m, 1, 1);
  put32 (&m, IP (198, 51, 100, 66));
  rr_end (&m, at);
  done (&m);
  assert_int_equal (learn (&m, &g), -1);
  assert_int_equal (g.n, 0);
  /* The answer's class must be IN and the address 4 bytes. */
  answer_to (&m, "api.example.com");
  pointer (&m, 12);
  at = rr (&m, 1, 3); /* CH */
  put32 (&m, IP (198, 51, 100, 66));
  rr_end (&m, at);
  done (&m);
  assert_int_equal (learn (&m, &g), 0);
  assert_int_equal (g.n, 0);
}

/* Random damage to a chain answer: bytes flipped, lengths cut, each walked
 * from a buffer of exactly its length (ASan sees any overread).  Whatever
 * it is learned, an address never comes from outside the chain's records. */
static void test_damaged_answers (void **state)
{
  (void) state;
  struct msg m;
  answer_to (&m, "www.example.com");
  cname_rec (&m, NULL, "alias.example.com");
  cname_rec (&m, "alias.example.com", "edge.cdn.test");
  a_rec (&m, "edge.cdn.test", IP (198, 51, 100, 10));
  a_rec (&m, "unrelated.test", IP (10, 66, 66, 66)); /* 4 bytes from the chain's */
  done (&m);
  size_t full = m.n;
  srand (5353);
  for (int round = 0; round < 20000; round++)
    {
      uint8_t copy[sizeof m.b];
      memcpy (copy, m.b, full);
      int flips = 1 + rand () % 4;
      for (int i = 0; i < flips; i++)
        copy[(size_t) rand () % full] ^= (uint8_t) (1 + rand () % 255);
      size_t len = (size_t) rand () % (full + 1);
      uint8_t *exact = malloc (len ? len : 1);
      assert_non_null (exact);
      memcpy (exact, copy, len);
      struct got g = { 0 };
      int r = coi_dns_foreach_a (exact, len, collect, &g);
      assert_true (r == 0 || r == -1);
      for (size_t i = 0; i < g.n; i++)
        assert_int_not_equal (g.v[i], IP (10, 66, 66, 66));
      free (exact);
    }
}

/* ---- the guard ---- */

static void test_entropy (void **state)
{
  (void) state;
  assert_true (coi_dns_entropy ("aaaaaaaa", 8) == 0.0);
  double h = coi_dns_entropy ("abcdefghijklmnop", 16);
  assert_true (h > 3.999 && h < 4.001); /* 16 distinct symbols: 4 bits */
  /* Random-looking runs (base32, base36, hex past a UUID, letters only). */
  const char *data[] = {
    "cadzfdv5etmwcjwbljty3uggabd6sgbfm5ej5wspmhopvxd2sdbw7uxi2paj",
    "mzxw6ytboi4dknrqgq2tenzsgm4tgnjw",     /* base32, 32 */
    "k3j9x2m7q8w1z5v4b6n0c3x8",             /* base36, 24 */
    "5d41402abc4b2a76b9719d911017c592aa",   /* hex, 34 */
    "qwxzkjhgtrvbnmlpdfsxcvzwqrtyplkmnb",   /* consonants in a row */
    "jsrevglbofvizkucaziixnyhqycobkkw",     /* letters only, entropy alone */
    "tmouxtuftaqcbbghtayokosgqh",           /* 7 consonants in a row, 3.75 bits */
    "s5af3r09fquo6sbegzgsyebann",           /* 4.06 bits and 19% digits */
  };
  for (size_t i = 0; i < sizeof data / sizeof data[0]; i++)
    {
      printf ("# random: %s (%.2f bits)\n", data[i], coi_dns_entropy (data[i], strlen (data[i])));
      assert_true (coi_dns_segment_random (data[i], strlen (data[i])));
    }
  /* Words run together, identifiers real names carry, short runs. */
  const char *words[] = {
    "customerserviceportalauthentication", "objectsgithubusercontent",
    "developmentenvironmentconfiguration", "kubernetesclusterautoscaler",
    "5d41402abc4b2a76b9719d911017c592",     /* an MD5 in hex: 32 */
    "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d",
    "supercalifragilisticexpialidocious", "awesomeprojectstaging2024release",
    "k3j9x2m7q8w1z5v4b6n0c3x",              /* 23: too short to judge */
  };
  for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
    {
      printf ("# words: %s (%.2f bits)\n", words[i], coi_dns_entropy (words[i], strlen (words[i])));
      assert_false (coi_dns_segment_random (words[i], strlen (words[i])));
    }
}

static void test_data_names (void **state)
{
  (void) state;
  /* The 60-character label of the net test: long and random. */
  assert_string_equal (coi_dns_name_looks_like_data ("cadzfdv5etmwcjwbljty3uggabd6sgbfm5ej5wspmhopvxd2sdbw7uxi2paj.attacker.test"),
                       "long-label");
  assert_string_equal (coi_dns_name_looks_like_data ("mzxw6ytboi4dknrqgq2tenzsgm4tgnjw.t.example.com"),
                       "high-entropy");
  /* A random run between words is still found. */
  assert_string_equal (coi_dns_name_looks_like_data ("x-mzxw6ytboi4dknrqgq2tenzsgm4tgnjw-y.example.com"),
                       "high-entropy");
  /* 56 characters of words in one label are too long all the same. */
  char label[80];
  memset (label, 'a', 56);
  strcpy (label + 56, ".example.com");
  assert_string_equal (coi_dns_name_looks_like_data (label), "long-label");
  label[55] = '.';
  assert_null (coi_dns_name_looks_like_data (label)); /* 55 and "a": fine */
  /* Long names of short labels. */
  char name[200] = "";
  for (int i = 0; i < 16; i++)
    strcat (name, "abcdefghi.");
  strcat (name, "example.com");
  assert_string_equal (coi_dns_name_looks_like_data (name), "long-name");
  name[strlen (name) - 40] = '\0';
  assert_null (coi_dns_name_looks_like_data (name));
  /* Bytes outside host names (base128 encodings). */
  assert_string_equal (coi_dns_name_looks_like_data ("ab\xc3\xa9" "cd.example.com"), "binary-label");
  assert_string_equal (coi_dns_name_looks_like_data ("a b.example.com"), "binary-label");
  /* Real names. */
  const char *ok[] = { "api.anthropic.com", "registry.npmjs.org", "my-loadbalancer-1234567890.us-west-2.elb.amazonaws.com",
                       "vpce-0123456789abcdef0-abcd1234.s3.us-east-1.vpce.amazonaws.com",
                       "5d41402abc4b2a76b9719d911017c592.r2.cloudflarestorage.com", "_dmarc.example.com",
                       "xn--bcher-kva.example", "10.0.201.10.in-addr.arpa", "" };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    assert_null (coi_dns_name_looks_like_data (ok[i]));
}

static void test_base_domain (void **state)
{
  (void) state;
  char d[256];
  const char *cases[][2] = {
    { "abc.exfil.test", "exfil.test" },     { "a.b.c.exfil.test", "exfil.test" },
    { "exfil.test", "exfil.test" },         { "localhost", "localhost" },
    { "x.y.example.co.uk", "example.co.uk" }, { "www.example.com.au", "example.com.au" },
    { "data.ab.io", "ab.io" },              /* a short name under a ccTLD is not a suffix */
    { "4.3.2.1.in-addr.arpa", "3.2.1.in-addr.arpa" }, { "", "" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      coi_dns_base_domain (cases[i][0], d);
      assert_string_equal (d, cases[i][1]);
    }
}

static struct coi_dns_guard *guard_new (unsigned per_min, unsigned subdomains, uint64_t now)
{
  struct coi_dns_guard *g = malloc (sizeof *g);
  assert_non_null (g);
  coi_dns_guard_init (g, per_min, subdomains, now);
  return g;
}

static void test_subdomain_window (void **state)
{
  (void) state;
  uint64_t t = 1000000;
  struct coi_dns_guard *g = guard_new (1000, 0, t);
  struct coi_dns_guard_result r;
  char name[64];
  /* COI_DNS_GUARD_SUBDOMAINS new names pass, the next is a tunnel: reported once. */
  for (int i = 0; i < COI_DNS_GUARD_SUBDOMAINS; i++)
    {
      snprintf (name, sizeof name, "n%d.exfil.test", i);
      coi_dns_guard_check (g, name, t + (uint64_t) i, &r);
      assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
    }
  coi_dns_guard_check (g, "n-over.exfil.test", t + 100, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_TUNNEL);
  assert_string_equal (r.why, "many-subdomains");
  assert_string_equal (r.domain, "exfil.test");
  assert_int_equal (r.count, COI_DNS_GUARD_SUBDOMAINS);
  assert_true (r.report);
  coi_dns_guard_check (g, "n-over2.exfil.test", t + 101, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_TUNNEL);
  assert_false (r.report);
  /* Names already answered still pass; other domains are not affected. */
  coi_dns_guard_check (g, "n3.exfil.test", t + 102, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
  assert_true (r.repeat);
  coi_dns_guard_check (g, "n-over.other.test", t + 103, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
  /* The window ends a minute after its first name: new names pass again. */
  coi_dns_guard_check (g, "n-over.exfil.test", t + COI_DNS_GUARD_WINDOW_MS - 1, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_TUNNEL);
  coi_dns_guard_check (g, "n-over.exfil.test", t + COI_DNS_GUARD_WINDOW_MS, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
  /* A data-like name is reported under its domain, once a window. */
  coi_dns_guard_check (g, "mzxw6ytboi4dknrqgq2tenzsgm4tgnjw.t.evil.test", t + 70000, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_TUNNEL);
  assert_string_equal (r.why, "high-entropy");
  assert_string_equal (r.domain, "evil.test");
  assert_true (r.report);
  coi_dns_guard_check (g, "nbswy3dpeb3w64tmmqqhi2ltebuxgidbeb2gk43u.evil.test", t + 70001, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_TUNNEL);
  assert_false (r.report);
  free (g);
}

static void test_rate_cap (void **state)
{
  (void) state;
  uint64_t t = 5000000;
  struct coi_dns_guard *g = guard_new (20, 0, t);
  struct coi_dns_guard_result r;
  char name[64];
  /* A burst of 20 new names (each under its own domain), then refusals. */
  for (int i = 0; i < 20; i++)
    {
      snprintf (name, sizeof name, "n%d.test", i);
      coi_dns_guard_check (g, name, t, &r);
      assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
      assert_false (r.repeat);
    }
  coi_dns_guard_check (g, "n20.test", t, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_RATE);
  assert_string_equal (r.why, "rate");
  assert_int_equal (r.count, 1);
  assert_true (r.report);
  coi_dns_guard_check (g, "n21.test", t, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_RATE);
  assert_int_equal (r.count, 2);
  assert_false (r.report);
  /* Asking an answered name again is free, however often. */
  for (int i = 0; i < 1000; i++)
    {
      coi_dns_guard_check (g, "n7.test", t + 1, &r);
      assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
      assert_true (r.repeat);
    }
  /* 20 a minute: one new name every 3 s. */
  coi_dns_guard_check (g, "n22.test", t + 2999, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_RATE);
  coi_dns_guard_check (g, "n22.test", t + 3000, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
  coi_dns_guard_check (g, "n23.test", t + 3001, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_RATE);
  assert_int_equal (r.count, 1); /* a new run */
  assert_false (r.report);        /* but not a new finding within the minute */
  /* A quiet minute fills the bucket, not more. */
  t += 600000;
  for (int i = 0; i < 20; i++)
    {
      snprintf (name, sizeof name, "m%d.test", i);
      coi_dns_guard_check (g, name, t, &r);
      assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
    }
  coi_dns_guard_check (g, "m20.test", t, &r);
  assert_int_equal (r.verdict, COI_DNS_GUARD_RATE);
  assert_true (r.report); /* a minute after the last finding */
  /* An answered name is new again after COI_DNS_GUARD_SEEN_MS. */
  coi_dns_guard_check (g, "m1.test", t + COI_DNS_GUARD_SEEN_MS, &r);
  assert_false (r.repeat);
  /* Refused names are no free repeats later. */
  coi_dns_guard_check (g, "m20.test", t + COI_DNS_GUARD_SEEN_MS + 1, &r);
  assert_false (r.repeat);
  free (g);
}

static void test_guard_defaults (void **state)
{
  (void) state;
  struct coi_dns_guard *g = guard_new (0, 0, 0);
  assert_int_equal (g->per_min, COI_DNS_GUARD_NEW_NAMES_PER_MIN);
  assert_int_equal (g->subdomains, COI_DNS_GUARD_SUBDOMAINS);
  /* The net test's burst: 200 new names under one domain at once. */
  struct coi_dns_guard_result r;
  int pass = 0, tunnel = 0, rate = 0, first_refused = 0;
  char name[64];
  for (int i = 0; i < 200; i++)
    {
      snprintf (name, sizeof name, "k%03dqx7.exfil.test", i);
      coi_dns_guard_check (g, name, 1000, &r);
      pass += r.verdict == COI_DNS_GUARD_PASS;
      tunnel += r.verdict == COI_DNS_GUARD_TUNNEL;
      rate += r.verdict == COI_DNS_GUARD_RATE;
      if (r.verdict != COI_DNS_GUARD_PASS && first_refused == 0)
        first_refused = i + 1;
    }
  assert_int_equal (pass, COI_DNS_GUARD_SUBDOMAINS);
  assert_int_equal (first_refused, COI_DNS_GUARD_SUBDOMAINS + 1);
  assert_int_equal (tunnel, COI_DNS_GUARD_NEW_NAMES_PER_MIN - COI_DNS_GUARD_SUBDOMAINS);
  assert_int_equal (rate, 200 - COI_DNS_GUARD_NEW_NAMES_PER_MIN);
  /* Many domains: the table recycles its least recently used slot. */
  for (int i = 0; i < 3 * COI_DNS_GUARD_DOMAINS; i++)
    {
      snprintf (name, sizeof name, "a.d%d.test", i);
      coi_dns_guard_check (g, name, 200000 + (uint64_t) i * 1000, &r);
      assert_int_equal (r.verdict, COI_DNS_GUARD_PASS);
    }
  free (g);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_owner_must_be_question),
    cmocka_unit_test (test_cname_chain),
    cmocka_unit_test (test_cname_loop),
    cmocka_unit_test (test_mixed_case),
    cmocka_unit_test (test_compression_outside),
    cmocka_unit_test (test_damaged_answers),
    cmocka_unit_test (test_entropy),
    cmocka_unit_test (test_data_names),
    cmocka_unit_test (test_base_domain),
    cmocka_unit_test (test_subdomain_window),
    cmocka_unit_test (test_rate_cap),
    cmocka_unit_test (test_guard_defaults),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
