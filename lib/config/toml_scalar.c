/* TOML scalars that are not strings: booleans, integers, floats, datetimes. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml_private.h"
#include "util/cleanup.h"

static bool is_digit (int c)
{
  return c >= '0' && c <= '9';
}

static bool is_token_char (int c)
{
  return tp_is_bare_key_char (c) || c == '+' || c == '.' || c == ':';
}

static int digits (const char *s, size_t n)
{
  int v = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (!is_digit ((unsigned char) s[i]))
        return -1;
      v = v * 10 + (s[i] - '0');
    }
  return v;
}

static int days_in_month (int y, int m)
{
  static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    return 29;
  return d[m - 1];
}

/* HH:MM:SS[.frac] at s; returns bytes used or -1. */
static int parse_time (const char *s, size_t len, struct toml_datetime *dt)
{
  if (len < 8 || s[2] != ':' || s[5] != ':')
    return -1;
  dt->hour = digits (s, 2);
  dt->minute = digits (s + 3, 2);
  dt->second = digits (s + 6, 2);
  if (dt->hour < 0 || dt->minute < 0 || dt->second < 0 || dt->hour > 23 || dt->minute > 59
      || dt->second > 60)
    return -1;
  size_t i = 8;
  if (i < len && s[i] == '.')
    {
      i++;
      size_t start = i;
      int ns = 0, nd = 0;
      while (i < len && is_digit ((unsigned char) s[i]))
        {
          if (nd < 9)
            {
              ns = ns * 10 + (s[i] - '0');
              nd++;
            }
          i++;
        }
      if (i == start)
        return -1;
      dt->frac_digits = nd;
      for (int k = nd; k < 9; k++)
        ns *= 10;
      dt->nanosecond = ns;
    }
  return (int) i;
}

int toml_datetime_parse (const char *s, size_t len, struct toml_datetime *dt)
{
  memset (dt, 0, sizeof *dt);
  if (len >= 3 && s[2] == ':')
    return parse_time (s, len, dt) == (int) len ? TOML_TIME_LOCAL : -1;
  if (len < 10 || s[4] != '-' || s[7] != '-')
    return -1;
  dt->year = digits (s, 4);
  dt->month = digits (s + 5, 2);
  dt->day = digits (s + 8, 2);
  if (dt->year < 0 || dt->month < 1 || dt->month > 12 || dt->day < 1
      || dt->day > days_in_month (dt->year, dt->month))
    return -1;
  if (len == 10)
    return TOML_DATE_LOCAL;
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
    return -1;
  int n = parse_time (s + 11, len - 11, dt);
  if (n < 0)
    return -1;
  size_t i = 11 + (size_t) n;
  if (i == len)
    return TOML_DATETIME_LOCAL;
  if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len)
    {
      dt->offset_z = true;
      return TOML_DATETIME;
    }
  if ((s[i] != '+' && s[i] != '-') || len - i != 6 || s[i + 3] != ':')
    return -1;
  int oh = digits (s + i + 1, 2), om = digits (s + i + 4, 2);
  if (oh < 0 || om < 0 || oh > 23 || om > 59)
    return -1;
  dt->offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
  return TOML_DATETIME;
}

int toml_datetime_format (enum toml_type t, const struct toml_datetime *dt, char *buf, size_t size)
{
  size_t n = 0;
#define PUT(...) \
  do { \
    int w_ = snprintf (buf + n, n < size ? size - n : 0, __VA_ARGS__); \
    if (w_ < 0) \
      return -1; \
    n += (size_t) w_; \
  } while (0)
  if (t != TOML_TIME_LOCAL)
    PUT ("%04d-%02d-%02d", dt->year, dt->month, dt->day);
  if (t == TOML_DATE_LOCAL)
    return n < size ? 0 : -1;
  if (t != TOML_TIME_LOCAL)
    PUT ("T");
  PUT ("%02d:%02d:%02d", dt->hour, dt->minute, dt->second);
  if (dt->frac_digits > 0)
    {
      int div = 1;
      for (int k = dt->frac_digits; k < 9; k++)
        div *= 10;
      PUT (".%0*d", dt->frac_digits, dt->nanosecond / div);
    }
  if (t == TOML_DATETIME)
    {
      if (dt->offset_z)
        PUT ("Z");
      else
        {
          int o = dt->offset_min < 0 ? -dt->offset_min : dt->offset_min;
          PUT ("%c%02d:%02d", dt->offset_min < 0 ? '-' : '+', o / 60, o % 60);
        }
    }
#undef PUT
  return n < size ? 0 : -1;
}

void toml_float_format (double f, char *buf, size_t size)
{
  if (isnan (f))
    {
      snprintf (buf, size, "nan");
      return;
    }
  if (isinf (f))
    {
      snprintf (buf, size, f < 0 ? "-inf" : "inf");
      return;
    }
  /* Shortest text that reads back to the same double, in the C locale. */
  locale_t c = newlocale (LC_NUMERIC_MASK, "C", (locale_t) 0);
  locale_t old = c ? uselocale (c) : (locale_t) 0;
  for (int prec = 1; prec <= 17; prec++)
    {
      snprintf (buf, size, "%.*g", prec, f);
      if (strtod (buf, NULL) == f)
        break;
    }
  if (c)
    {
      uselocale (old);
      freelocale (c);
    }
  if (strpbrk (buf, ".eni") == NULL && strlen (buf) + 3 <= size)
    strcat (buf, ".0");
}

/* Digits in the given base with '_' only between digits.  Returns the
 * number of characters used; *ok is false on a misplaced underscore. */
static size_t scan_digits (const char *s, size_t len, int base, bool *ok)
{
  size_t i = 0;
  *ok = true;
  while (i < len)
    {
      int c = (unsigned char) s[i];
      int d = is_digit (c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : 99;
      if (c == '_')
        {
          if (i == 0 || i + 1 >= len || s[i - 1] == '_')
            *ok = false;
          i++;
          continue;
        }
      if (d >= base)
        break;
      i++;
    }
  if (i > 0 && s[i - 1] == '_')
    *ok = false;
  return i;
}

static int parse_integer (struct tp *tp, const char *s, size_t len, int64_t *out)
{
  const char *at = s;
  int base = 10;
  bool neg = false;
  if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b'))
    {
      base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
      s += 2, len -= 2;
    }
  else if (len > 0 && (s[0] == '+' || s[0] == '-'))
    {
      neg = s[0] == '-';
      s++, len--;
    }
  bool ok;
  size_t n = scan_digits (s, len, base, &ok);
  if (n == 0 || n != len || !ok || s[0] == '_')
    return tp_error (tp, at, "invalid integer \"%.*s\"", (int) (len + (size_t) (s - at)), at);
  if (base == 10 && s[0] == '0' && len > 1)
    return tp_error (tp, at, "leading zeros are not allowed in \"%.*s\"", (int) (len + (size_t) (s - at)), at);
  uint64_t v = 0, limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
  for (size_t i = 0; i < len; i++)
    {
      if (s[i] == '_')
        continue;
      int c = (unsigned char) s[i];
      unsigned d = is_digit (c) ? (unsigned) (c - '0') : (unsigned) ((c | 0x20) - 'a' + 10);
      if (v > (limit - d) / (uint64_t) base)
        return tp_error (tp, at, "integer \"%.*s\" does not fit in 64 bits", (int) (len + (size_t) (s - at)), at);
      v = v * (uint64_t) base + d;
    }
  *out = neg ? (int64_t) (0 - v) : (int64_t) v;
  return 0;
}

static int parse_float (struct tp *tp, const char *s, size_t len, double *out)
{
  _cleanup_free_ char *digits_only = NULL;
  const char *at = s;
  size_t i = 0;
  if (i < len && (s[i] == '+' || s[i] == '-'))
    i++;
  if (len - i == 3 && (!memcmp (s + i, "inf", 3) || !memcmp (s + i, "nan", 3)))
    {
      *out = s[i] == 'i' ? INFINITY : NAN;
      if (s[0] == '-')
        *out = -*out;
      return 0;
    }
  bool ok;
  size_t n = scan_digits (s + i, len - i, 10, &ok);
  if (n == 0 || !ok || s[i] == '_')
    goto bad;
  if (s[i] == '0' && n > 1)
    return tp_error (tp, at, "leading zeros are not allowed in \"%.*s\"", (int) len, at);
  i += n;
  bool frac_or_exp = false;
  if (i < len && s[i] == '.')
    {
      i++;
      n = scan_digits (s + i, len - i, 10, &ok);
      if (n == 0 || !ok || s[i] == '_')
        goto bad;
      i += n;
      frac_or_exp = true;
    }
  if (i < len && (s[i] == 'e' || s[i] == 'E'))
    {
      i++;
      if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
      n = scan_digits (s + i, len - i, 10, &ok);
      if (n == 0 || !ok || s[i] == '_')
        goto bad;
      i += n;
      frac_or_exp = true;
    }
  if (i != len || !frac_or_exp)
    goto bad;
  /* Without the underscores, read in the C locale whatever LC_NUMERIC says. */
  digits_only = malloc (len + 1);
  locale_t c = newlocale (LC_NUMERIC_MASK, "C", (locale_t) 0);
  if (digits_only == NULL || c == (locale_t) 0)
    {
      if (c != (locale_t) 0)
        freelocale (c);
      return coi_error_make (tp->err, 0, "out of memory");
    }
  size_t k = 0;
  for (size_t j = 0; j < len; j++)
    if (s[j] != '_')
      digits_only[k++] = s[j];
  digits_only[k] = '\0';
  *out = strtod_l (digits_only, NULL, c);
  freelocale (c);
  return 0;
bad:
  return tp_error (tp, at, "invalid number \"%.*s\"", (int) len, at);
}

static bool looks_like_datetime (const char *s, size_t len)
{
  return (len >= 5 && is_digit ((unsigned char) s[0]) && is_digit ((unsigned char) s[1])
          && is_digit ((unsigned char) s[2]) && is_digit ((unsigned char) s[3]) && s[4] == '-')
         || (len >= 3 && is_digit ((unsigned char) s[0]) && is_digit ((unsigned char) s[1]) && s[2] == ':');
}

struct toml_value *tp_parse_scalar (struct tp *tp)
{
  const char *s = tp->p;
  while (tp->p < tp->end && is_token_char ((unsigned char) *tp->p))
    tp->p++;
  size_t len = (size_t) (tp->p - s);
  /* A date may be followed by a space and a time. */
  if (len == 10 && looks_like_datetime (s, len) && tp_peek (tp, 0) == ' ' && is_digit (tp_peek (tp, 1))
      && is_digit (tp_peek (tp, 2)) && tp_peek (tp, 3) == ':')
    {
      tp->p++;
      while (tp->p < tp->end && is_token_char ((unsigned char) *tp->p))
        tp->p++;
      len = (size_t) (tp->p - s);
    }
  if (len == 0)
    {
      int c = tp_peek (tp, 0);
      if (c < 0)
        tp_error (tp, s, "expected a value, found end of file");
      else if (c == '\n' || c == '\r' || c == '#')
        tp_error (tp, s, "expected a value, found end of line");
      else
        {
          int n = (c & 0x80) == 0 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
          tp_error (tp, s, "expected a value, found '%.*s'", n, s);
        }
      return NULL;
    }
  struct toml_value *v = NULL;
  if ((len == 4 && !memcmp (s, "true", 4)) || (len == 5 && !memcmp (s, "false", 5)))
    {
      v = toml_new_bool (len == 4);
      goto done;
    }
  if (looks_like_datetime (s, len))
    {
      struct toml_datetime dt;
      int t = toml_datetime_parse (s, len, &dt);
      if (t < 0)
        {
          tp_error (tp, s, "invalid date or time \"%.*s\"", (int) len, s);
          return NULL;
        }
      v = toml_new ((enum toml_type) t);
      if (v)
        v->u.dt = dt;
      goto done;
    }
  size_t sign = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  bool special = len - sign == 3 && (!memcmp (s + sign, "inf", 3) || !memcmp (s + sign, "nan", 3));
  if ((sign >= len || !is_digit ((unsigned char) s[sign])) && !special)
    {
      tp_error (tp, s, "invalid value \"%.*s\" (strings need quotes)", (int) len, s);
      return NULL;
    }
  bool is_float = special;
  bool prefixed = len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b');
  for (size_t i = 0; i < len && !prefixed; i++)
    if (s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == 'i' || s[i] == 'n')
      is_float = true;
  if (is_float)
    {
      double f = 0;
      if (parse_float (tp, s, len, &f) < 0)
        return NULL;
      v = toml_new_float (f);
    }
  else
    {
      int64_t i = 0;
      if (parse_integer (tp, s, len, &i) < 0)
        return NULL;
      v = toml_new_int (i);
    }
done:
  if (v == NULL)
    coi_error_make (tp->err, 0, "out of memory");
  return v;
}
