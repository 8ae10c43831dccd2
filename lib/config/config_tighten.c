/* "Stricter" for the tighten-only keys (CFG_TIGHTEN_*): an untrusted
 * project file may make a limit stricter, never looser.  A value that
 * cannot be read or compared with the current one is not stricter. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_private.h"

static double number (const struct toml_value *v)
{
  return v->type == TOML_INTEGER ? (double) v->u.i : v->u.f;
}

static int choice_index (const char *choices, const char *s)
{
  int i = 0;
  size_t n = strlen (s);
  for (const char *p = choices; p && *p; i++)
    {
      const char *bar = strchr (p, '|');
      size_t len = bar ? (size_t) (bar - p) : strlen (p);
      if (len == n && !strncmp (p, s, n))
        return i;
      if (!bar)
        break;
      p = bar + 1;
    }
  return -1;
}

static bool array_has (const struct toml_value *a, const struct toml_value *x)
{
  for (size_t i = 0; a && i < a->u.arr.n; i++)
    if (toml_equal (a->u.arr.items[i], x))
      return true;
  return false;
}

/* Digits filling [s, s+n): false when empty, too long or not digits. */
static bool digits (const char *s, size_t n, double *out)
{
  if (n == 0 || n > 18)
    return false;
  double v = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (!isdigit ((unsigned char) s[i]))
        return false;
      v = v * 10 + (s[i] - '0');
    }
  *out = v;
  return true;
}

/* Values compare only within one kind. */
enum kind
{
  K_NONE,   /* "": no limit */
  K_AMOUNT, /* bytes ("4GiB"), CPUs, seconds */
  K_SHARE,  /* "50%" */
  K_QUOTA,  /* "25ms/100ms" */
  K_IOPS,   /* "100iops" */
  K_BAD,
};

/* An Incus byte size: an integer and one of its units. */
static enum kind byte_size (const char *s, double *out)
{
  static const struct
  {
    const char *unit;
    double mult;
  } units[] = {
    { "", 1 },       { "B", 1 },       { "kB", 1e3 },          { "MB", 1e6 },          { "GB", 1e9 },
    { "TB", 1e12 },  { "PB", 1e15 },   { "EB", 1e18 },         { "KiB", 1024.0 },      { "MiB", 1048576.0 },
    { "GiB", 1073741824.0 }, { "TiB", 1099511627776.0 }, { "PiB", 1125899906842624.0 },
    { "EiB", 1152921504606846976.0 },
  };
  size_t n = strspn (s, "0123456789");
  double v;
  if (!digits (s, n, &v) || v == 0)
    return K_BAD;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (!strcmp (s + n, units[i].unit))
      {
        *out = v * units[i].mult;
        return K_AMOUNT;
      }
  return K_BAD;
}

static enum kind percent (const char *s, double *out)
{
  size_t n = strlen (s);
  double v;
  if (n < 2 || s[n - 1] != '%' || !digits (s, n - 1, &v) || v < 1 || v > 100)
    return K_BAD;
  *out = v / 100;
  return K_SHARE;
}

/* limits.memory.limit, limits.disk.tmpfs_size */
static enum kind size_or_share (const char *s, double *out)
{
  if (*s == '\0')
    return K_NONE;
  return s[strlen (s) - 1] == '%' ? percent (s, out) : byte_size (s, out);
}

/* "2" is a count; "0-3,6" a set, as many CPUs as it names. */
static enum kind cpus (const char *s, double *out)
{
  if (*s == '\0')
    return K_NONE;
  double v;
  if (digits (s, strlen (s), &v))
    {
      *out = v;
      return v >= 1 ? K_AMOUNT : K_BAD;
    }
  double total = 0;
  for (const char *p = s;;)
    {
      size_t n = strcspn (p, ",");
      const char *dash = memchr (p, '-', n);
      double a, b;
      if (dash ? !digits (p, (size_t) (dash - p), &a) || !digits (dash + 1, n - (size_t) (dash + 1 - p), &b) || a > b
               : !digits (p, n, &a))
        return K_BAD;
      total += dash ? b - a + 1 : 1;
      if (p[n] == '\0')
        break;
      p += n + 1;
    }
  *out = total;
  return K_AMOUNT;
}

/* "50%" (a share of the host) or "25ms/100ms" (a quota): the fraction. */
static enum kind allowance (const char *s, double *out)
{
  if (*s == '\0')
    return K_NONE;
  const char *slash = strchr (s, '/');
  if (slash == NULL)
    return percent (s, out);
  size_t rest = strlen (slash + 1);
  double a, b;
  if (slash - s < 3 || strncmp (slash - 2, "ms", 2) != 0 || rest < 3 || strcmp (slash + 1 + rest - 2, "ms") != 0
      || !digits (s, (size_t) (slash - 2 - s), &a) || !digits (slash + 1, rest - 2, &b) || a == 0 || b == 0)
    return K_BAD;
  *out = a / b;
  return K_QUOTA;
}

static enum kind rate (const char *s, double *out)
{
  if (*s == '\0')
    return K_NONE;
  size_t n = strlen (s);
  if (n > 4 && !strcmp (s + n - 4, "iops"))
    return digits (s, n - 4, out) && *out > 0 ? K_IOPS : K_BAD;
  return byte_size (s, out);
}

/* Go's time.ParseDuration, unsigned; "0" alone is allowed. */
static enum kind duration (const char *s, double *out)
{
  static const struct
  {
    const char *unit;
    double sec;
  } units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 } };
  if (*s == '\0' || !strcmp (s, "0"))
    return K_NONE;
  double total = 0;
  while (*s)
    {
      char *end = NULL;
      if (!isdigit ((unsigned char) *s) && *s != '.')
        return K_BAD;
      double v = strtod (s, &end);
      if (end == s || !isfinite (v))
        return K_BAD;
      s = end;
      size_t best = 0;
      double mult = 0;
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen (units[i].unit) > best && !strncmp (s, units[i].unit, strlen (units[i].unit)))
          {
            best = strlen (units[i].unit);
            mult = units[i].sec;
          }
      if (best == 0)
        return K_BAD;
      s += best;
      total += v * mult;
    }
  *out = total;
  return total > 0 ? K_AMOUNT : K_NONE;
}

/* "false" < a size < "true" (no limit on swap). */
static int swap_rank (const char *s, double *size)
{
  static const char *const yes[] = { "true", "yes", "on", "1" }, *const no[] = { "false", "no", "off", "0" };
  for (size_t i = 0; i < 4; i++)
    {
      if (!strcasecmp (s, no[i]))
        return 0;
      if (!strcasecmp (s, yes[i]))
        return 2;
    }
  return byte_size (s, size) == K_AMOUNT ? 1 : -1;
}

/* v is at most cur, both read by parse; "" (no limit) is the loosest. */
static bool smaller (enum kind (*parse) (const char *, double *), const struct toml_value *cur,
                     const struct toml_value *v)
{
  double a = 0, b = 0;
  enum kind kv = parse (v->u.s.ptr, &a);
  enum kind kc = cur ? parse (cur->u.s.ptr, &b) : K_NONE;
  if (kv == K_BAD)
    return false;
  if (kc == K_NONE || kc == K_BAD)
    return kv != K_NONE || kc == K_NONE;
  return kv == kc && a <= b;
}

bool config_tighten_ok (const struct coi_config_key *k, const struct toml_value *cur, const struct toml_value *v)
{
  switch (k->trust)
    {
    case CFG_TIGHTEN_ON:
      return v->u.b || (cur && !cur->u.b);
    case CFG_TIGHTEN_OFF:
      return !v->u.b || (cur && cur->u.b);
    case CFG_TIGHTEN_ORDER:
      {
        int want = choice_index (k->stricter, v->u.s.ptr);
        return want >= 0 && (cur == NULL || want <= choice_index (k->stricter, cur->u.s.ptr));
      }
    case CFG_TIGHTEN_SUBSET:
      for (size_t i = 0; i < v->u.arr.n; i++)
        if (!array_has (cur, v->u.arr.items[i]))
          return false;
      return true;
    case CFG_TIGHTEN_SUPERSET:
      for (size_t i = 0; cur && i < cur->u.arr.n; i++)
        if (!array_has (v, cur->u.arr.items[i]))
          return false;
      return true;
    case CFG_TIGHTEN_ADD:
      return true; /* a union: layers only add */
    case CFG_TIGHTEN_LOWER:
      return cur == NULL || number (v) <= number (cur);
    case CFG_TIGHTEN_NONZERO:
      if (number (v) <= 0)
        return cur != NULL && number (cur) == 0 && number (v) == 0;
      return cur == NULL || number (cur) <= 0 || number (v) <= number (cur);
    case CFG_TIGHTEN_SIZE:
      return smaller (size_or_share, cur, v);
    case CFG_TIGHTEN_CPUS:
      return smaller (cpus, cur, v);
    case CFG_TIGHTEN_ALLOWANCE:
      return smaller (allowance, cur, v);
    case CFG_TIGHTEN_RATE:
      return smaller (rate, cur, v);
    case CFG_TIGHTEN_DURATION:
      return smaller (duration, cur, v);
    case CFG_TIGHTEN_SWAP:
      {
        double a = 0, b = 0;
        int rv = swap_rank (v->u.s.ptr, &a), rc = cur ? swap_rank (cur->u.s.ptr, &b) : 2;
        if (rv < 0)
          return false;
        if (rc < 0)
          return true;
        return rv < rc || (rv == rc && (rv != 1 || a <= b));
      }
    default:
      return false;
    }
}
