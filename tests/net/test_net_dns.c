/* The DNS filter's pure parts on crafted messages: which A records of an
 * answer are learned (only the question's name and its CNAME chain). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

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

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_owner_must_be_question),
    cmocka_unit_test (test_cname_chain),
    cmocka_unit_test (test_cname_loop),
    cmocka_unit_test (test_mixed_case),
    cmocka_unit_test (test_compression_outside),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
