#include "netpolicy/dns_msg.h"

#include <ctype.h>
#include <stdbool.h>
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

int coi_dns_foreach_a (const uint8_t *msg, size_t len,
                       int (*fn) (uint32_t addr, uint32_t ttl, void *data), void *data)
{
  if (len < HDR)
    return -1;
  size_t qd = rd16 (msg + 4), an = rd16 (msg + 6), pos = HDR;
  for (size_t i = 0; i < qd; i++)
    {
      if (read_name (msg, len, pos, NULL, 0, &pos) < 0 || pos + 4 > len)
        return -1;
      pos += 4;
    }
  for (size_t i = 0; i < an; i++)
    {
      if (read_name (msg, len, pos, NULL, 0, &pos) < 0 || pos + 10 > len)
        return -1;
      uint16_t type = rd16 (msg + pos), cls = rd16 (msg + pos + 2);
      uint32_t ttl = rd32 (msg + pos + 4);
      uint16_t rdlen = rd16 (msg + pos + 8);
      pos += 10;
      if (pos + rdlen > len)
        return -1;
      if (type == COI_DNS_TYPE_A && cls == 1 && rdlen == 4)
        {
          int r = fn (rd32 (msg + pos), ttl & 0x7fffffffu, data);
          if (r < 0)
            return r;
        }
      pos += rdlen;
    }
  return 0;
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
