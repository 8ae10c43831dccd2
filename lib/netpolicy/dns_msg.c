#include "netpolicy/dns_msg.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define HDR 12

static uint16_t rd16 (const uint8_t *p)
{
  return (uint16_t) (p[0] << 8 | p[1]);
}

static uint32_t rd32 (const uint8_t *p)
{
  return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}

/* Decode a (possibly compressed) name starting at off.  *next is the offset
 * after the name in the record.  out may be NULL to only skip. */
static int read_name (const uint8_t *msg, size_t len, size_t off, char *out, size_t outlen,
                      size_t *next)
{
  size_t pos = off, w = 0;
  int jumps = 0;
  bool jumped = false;
  while (1)
    {
      if (pos >= len)
        return -1;
      uint8_t l = msg[pos];
      if ((l & 0xc0) == 0xc0)
        {
          if (pos + 1 >= len || ++jumps > 32)
            return -1; /* loops of pointers */
          if (!jumped)
            *next = pos + 2;
          jumped = true;
          pos = (size_t) ((l & 0x3f) << 8 | msg[pos + 1]);
          continue;
        }
      if (l & 0xc0)
        return -1;
      if (l == 0)
        {
          if (!jumped)
            *next = pos + 1;
          break;
        }
      if (pos + 1 + l > len)
        return -1;
      if (out)
        {
          if (w + l + 2 > outlen)
            return -1;
          if (w)
            out[w++] = '.';
          for (size_t i = 0; i < l; i++)
            {
              unsigned char c = msg[pos + 1 + i];
              /* Dots or NULs inside a label would make two names look alike. */
              if (c == '.' || c == '\0')
                return -1;
              out[w++] = (char) tolower (c);
            }
        }
      pos += 1 + l;
    }
  if (out)
    out[w] = '\0';
  return 0;
}

int coi_dns_parse_query (const uint8_t *msg, size_t len, struct coi_dns_question *q)
{
  if (len < HDR)
    return -1;
  uint8_t flags1 = msg[2];
  if ((flags1 & 0x80) || ((flags1 >> 3) & 0xf) != 0)
    return -1; /* a response, or not a standard query */
  if (rd16 (msg + 4) != 1 || rd16 (msg + 6) != 0 || rd16 (msg + 8) != 0)
    return -1;
  size_t next = 0;
  if (read_name (msg, len, HDR, q->name, sizeof q->name, &next) < 0 || next + 4 > len)
    return -1;
  /* Queries never need compression; refusing it keeps the copy in replies exact. */
  for (size_t i = HDR; i < next - 1;)
    {
      if (msg[i] & 0xc0)
        return -1;
      i += 1 + msg[i];
    }
  q->qtype = rd16 (msg + next);
  q->qclass = rd16 (msg + next + 2);
  q->end = next + 4;
  return 0;
}

/* One resource record of a message, its owner name decoded. */
struct rr
{
  char owner[256];
  uint16_t type, cls;
  uint32_t ttl;
  size_t rdata, rdlen;
};

/* The record at *pos; *pos moves past it. */
static int read_rr (const uint8_t *msg, size_t len, size_t *pos, struct rr *r)
{
  if (read_name (msg, len, *pos, r->owner, sizeof r->owner, pos) < 0 || *pos + 10 > len)
    return -1;
  r->type = rd16 (msg + *pos);
  r->cls = rd16 (msg + *pos + 2);
  r->ttl = rd32 (msg + *pos + 4) & 0x7fffffffu;
  r->rdlen = rd16 (msg + *pos + 8);
  r->rdata = *pos + 10;
  if (r->rdata + r->rdlen > len)
    return -1;
  *pos = r->rdata + r->rdlen;
  return 0;
}

/* The answer section's offset; the question's name into qname. */
static int answer_start (const uint8_t *msg, size_t len, char *qname, size_t *pos)
{
  if (len < HDR || rd16 (msg + 4) != 1)
    return -1;
  if (read_name (msg, len, HDR, qname, 256, pos) < 0 || *pos + 4 > len)
    return -1;
  *pos += 4;
  return 0;
}

/* The target of the CNAME owned by `owner` in the answer section: 1 with
 * target filled, 0 when there is none, -1 on a malformed message. */
static int find_cname (const uint8_t *msg, size_t len, size_t pos, size_t an, const char *owner,
                       char *target)
{
  for (size_t i = 0; i < an; i++)
    {
      struct rr r;
      if (read_rr (msg, len, &pos, &r) < 0)
        return -1;
      if (r.type != COI_DNS_TYPE_CNAME || r.cls != 1 || strcmp (r.owner, owner) != 0)
        continue;
      size_t end = 0;
      /* The target is the whole RDATA: a name running past it is forged. */
      if (read_name (msg, len, r.rdata, target, 256, &end) < 0 || end != r.rdata + r.rdlen)
        return -1;
      return 1;
    }
  return 0;
}

int coi_dns_foreach_a (const uint8_t *msg, size_t len,
                       int (*fn) (uint32_t addr, uint32_t ttl, void *data), void *data)
{
  /* The question's name and the aliases it leads to, in order: only A
   * records of these names are what the client asked for.  Anything else
   * in the answer (a hostile upstream may add records for other names) is
   * never learned. */
  char chain[COI_DNS_MAX_CHAIN + 1][256];
  size_t n = 1, start = 0;
  if (answer_start (msg, len, chain[0], &start) < 0)
    return -1;
  size_t an = rd16 (msg + 6);
  for (;;)
    {
      char target[256];
      int r = find_cname (msg, len, start, an, chain[n - 1], target);
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      for (size_t i = 0; i < n; i++)
        if (strcmp (chain[i], target) == 0)
          return -1; /* a loop: no answer at all */
      if (n == COI_DNS_MAX_CHAIN + 1)
        return -1;
      memcpy (chain[n++], target, sizeof target);
    }
  size_t pos = start;
  for (size_t i = 0; i < an; i++)
    {
      struct rr r;
      if (read_rr (msg, len, &pos, &r) < 0)
        return -1;
      if (r.type != COI_DNS_TYPE_A || r.cls != 1 || r.rdlen != 4)
        continue;
      bool on_chain = false;
      for (size_t j = 0; j < n && !on_chain; j++)
        on_chain = strcmp (chain[j], r.owner) == 0;
      if (!on_chain)
        continue;
      int ret = fn (rd32 (msg + r.rdata), r.ttl, data);
      if (ret < 0)
        return ret;
    }
  return 0;
}

const char *coi_dns_qtype_name (uint16_t qtype, char buf[12])
{
  static const struct
  {
    uint16_t type;
    const char *name;
  } names[] = { { 1, "A" },    { 2, "NS" },     { 5, "CNAME" }, { 6, "SOA" }, { 10, "NULL" },
                { 12, "PTR" }, { 15, "MX" },    { 16, "TXT" },  { 28, "AAAA" }, { 33, "SRV" },
                { 64, "SVCB" }, { 65, "HTTPS" }, { 255, "ANY" } };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (names[i].type == qtype)
      return names[i].name;
  snprintf (buf, 12, "TYPE%u", qtype);
  return buf;
}

static size_t reply_header (const uint8_t *query, const struct coi_dns_question *q, uint8_t rcode,
                            uint16_t ancount, uint8_t *out, size_t outlen)
{
  if (q->end > outlen)
    return 0;
  memcpy (out, query, q->end);
  out[2] = (uint8_t) (0x80 | (query[2] & 0x01)); /* QR, keep RD */
  out[3] = (uint8_t) (0x80 | (rcode & 0x0f));    /* RA */
  out[6] = (uint8_t) (ancount >> 8);
  out[7] = (uint8_t) ancount;
  memset (out + 8, 0, 4); /* no authority, no additional (drops the client's OPT) */
  return q->end;
}

size_t coi_dns_make_error (const uint8_t *query, const struct coi_dns_question *q, uint8_t rcode,
                           uint8_t *out, size_t outlen)
{
  return reply_header (query, q, rcode, 0, out, outlen);
}

size_t coi_dns_make_a (const uint8_t *query, const struct coi_dns_question *q, uint32_t addr,
                       uint32_t ttl, uint8_t *out, size_t outlen)
{
  bool a = q->qtype == COI_DNS_TYPE_A && q->qclass == 1;
  size_t n = reply_header (query, q, 0, a ? 1 : 0, out, outlen);
  if (n == 0 || !a)
    return n;
  if (n + 16 > outlen)
    return 0;
  uint8_t rr[16] = { 0xc0, HDR, 0, COI_DNS_TYPE_A, 0, 1, (uint8_t) (ttl >> 24), (uint8_t) (ttl >> 16),
                     (uint8_t) (ttl >> 8), (uint8_t) ttl, 0, 4, (uint8_t) (addr >> 24),
                     (uint8_t) (addr >> 16), (uint8_t) (addr >> 8), (uint8_t) addr };
  memcpy (out + n, rr, sizeof rr);
  return n + sizeof rr;
}
