#include "netpolicy/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool coi_ipv4_parse (const char *s, uint32_t *out)
{
  struct in_addr in;
  if (s == NULL || inet_pton (AF_INET, s, &in) != 1)
    return false;
  *out = ntohl (in.s_addr);
  return true;
}

int coi_ipv4_net_parse (const char *s, struct coi_ipv4_net *out, coi_error_t *err)
{
  char buf[32];
  if (s == NULL || strlen (s) >= sizeof buf)
    return coi_error_make (err, EINVAL, "invalid IPv4 address or CIDR '%s'", s ? s : "");
  strcpy (buf, s);
  long prefix = 32;
  char *slash = strchr (buf, '/');
  if (slash)
    {
      char *end = NULL;
      *slash = '\0';
      if (slash[1] < '0' || slash[1] > '9')
        return coi_error_make (err, EINVAL, "invalid prefix length in '%s'", s);
      prefix = strtol (slash + 1, &end, 10);
      if (*end != '\0' || prefix < 0 || prefix > 32)
        return coi_error_make (err, EINVAL, "invalid prefix length in '%s'", s);
    }
  uint32_t a;
  if (!coi_ipv4_parse (buf, &a))
    return coi_error_make (err, EINVAL, "invalid IPv4 address '%s'", s);
  /* A CIDR with host bits set is almost always a typo; refuse it rather than guess. */
  if ((a & ~coi_ipv4_mask ((uint8_t) prefix)) != 0)
    return coi_error_make (err, EINVAL, "'%s' has host bits set beyond its prefix", s);
  out->addr = a;
  out->prefix = (uint8_t) prefix;
  return 0;
}

const char *coi_ipv4_str (uint32_t a, char buf[COI_IPV4_STRLEN])
{
  snprintf (buf, COI_IPV4_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
            a & 0xff);
  return buf;
}

const char *coi_ipv4_cidr_str (uint32_t a, unsigned prefix, char buf[COI_IPV4_CIDR_STRLEN])
{
  char s[COI_IPV4_STRLEN];
  snprintf (buf, COI_IPV4_CIDR_STRLEN, "%s/%u", coi_ipv4_str (a, s), prefix > 32 ? 32 : prefix);
  return buf;
}

const char *coi_ipv4_key (uint32_t a, char buf[COI_IPV4_STRLEN])
{
  snprintf (buf, COI_IPV4_STRLEN, "%u_%u_%u_%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
            a & 0xff);
  return buf;
}

bool coi_ipv4_key_parse (const char *key, uint32_t *out)
{
  char buf[COI_IPV4_STRLEN];
  if (key == NULL || strlen (key) >= sizeof buf)
    return false;
  for (size_t i = 0; key[i]; i++)
    {
      if (key[i] == '_')
        buf[i] = '.';
      else if (key[i] >= '0' && key[i] <= '9')
        buf[i] = key[i];
      else
        return false;
    }
  buf[strlen (key)] = '\0';
  uint32_t a;
  char back[COI_IPV4_STRLEN];
  /* Round-trip so that "010_1_1_1" and friends are not accepted as keys. */
  if (!coi_ipv4_parse (buf, &a) || strcmp (coi_ipv4_key (a, back), key) != 0)
    return false;
  *out = a;
  return true;
}

static const struct coi_ipv4_net private_nets[] = {
  { 0x0a000000u, 8 },  /* 10/8 */
  { 0xac100000u, 12 }, /* 172.16/12 */
  { 0xc0a80000u, 16 }, /* 192.168/16 */
  { 0x64400000u, 10 }, /* 100.64/10 CGNAT */
};

bool coi_ipv4_is_private (uint32_t a)
{
  for (size_t i = 0; i < sizeof private_nets / sizeof private_nets[0]; i++)
    if (coi_ipv4_net_contains (&private_nets[i], a))
      return true;
  return false;
}

bool coi_ipv4_is_link_local (uint32_t a)
{
  return (a & 0xffff0000u) == 0xa9fe0000u;
}

bool coi_ipv4_net_touches_local (const struct coi_ipv4_net *n)
{
  static const struct coi_ipv4_net ll = { 0xa9fe0000u, 16 };
  const struct coi_ipv4_net *all[] = { &private_nets[0], &private_nets[1], &private_nets[2],
                                       &private_nets[3], &ll };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    {
      /* Two prefixes overlap iff one contains the other's network address. */
      uint8_t p = n->prefix < all[i]->prefix ? n->prefix : all[i]->prefix;
      if ((n->addr & coi_ipv4_mask (p)) == (all[i]->addr & coi_ipv4_mask (p)))
        return true;
    }
  return false;
}
