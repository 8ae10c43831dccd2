/* TOML lexing: encoding, whitespace, comments, strings and keys. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml_private.h"
#include "util/cleanup.h"

int tp_col (struct tp *tp, const char *at)
{
  if (tp->colc_ptr == NULL || tp->colc_ptr < tp->line_start || tp->colc_ptr > at)
    {
      tp->colc_ptr = tp->line_start;
      tp->colc = 1;
    }
  for (const char *q = tp->colc_ptr; q < at; q++)
    if (((unsigned char) *q & 0xC0) != 0x80)
      tp->colc++;
  tp->colc_ptr = at;
  return tp->colc;
}

int tp_error (struct tp *tp, const char *at, const char *fmt, ...)
{
  if (at > tp->end)
    at = tp->end;
  /* Errors are rare: count lines and characters from the start. */
  int line = 1, col = 1;
  for (const char *q = tp->start; q < at; q++)
    {
      if (*q == '\n')
        {
          line++;
          col = 1;
        }
      else if (((unsigned char) *q & 0xC0) != 0x80)
        col++;
    }
  va_list ap;
  va_start (ap, fmt);
  _cleanup_free_ char *what = NULL;
  if (vasprintf (&what, fmt, ap) < 0)
    what = NULL;
  va_end (ap);
  return coi_error_make (tp->err, 0, "%s:%d:%d: %s", tp->src->name, line, col,
                         what ? what : "out of memory");
}

/* Rejects overlong forms, surrogates and code points above U+10FFFF. */
int tp_validate_utf8 (struct tp *tp)
{
  const unsigned char *s = (const unsigned char *) tp->start, *e = (const unsigned char *) tp->end;
  while (s < e)
    {
      unsigned c = *s;
      size_t n;
      unsigned cp;
      if (c < 0x80)
        {
          s++;
          continue;
        }
      else if ((c & 0xE0) == 0xC0)
        n = 1, cp = c & 0x1F;
      else if ((c & 0xF0) == 0xE0)
        n = 2, cp = c & 0x0F;
      else if ((c & 0xF8) == 0xF0)
        n = 3, cp = c & 0x07;
      else
        return tp_error (tp, (const char *) s, "invalid UTF-8");
      if ((size_t) (e - s) <= n)
        return tp_error (tp, (const char *) s, "invalid UTF-8");
      for (size_t i = 1; i <= n; i++)
        {
          if ((s[i] & 0xC0) != 0x80)
            return tp_error (tp, (const char *) s, "invalid UTF-8");
          cp = (cp << 6) | (s[i] & 0x3F);
        }
      static const unsigned min[] = { 0, 0x80, 0x800, 0x10000 };
      if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return tp_error (tp, (const char *) s, "invalid UTF-8");
      s += n + 1;
    }
  return 0;
}

void tp_skip_ws (struct tp *tp)
{
  while (tp->p < tp->end && (*tp->p == ' ' || *tp->p == '\t'))
    tp->p++;
}

static bool is_control (unsigned char c)
{
  return (c < 0x20 && c != '\t') || c == 0x7F;
}

int tp_skip_comment (struct tp *tp)
{
  if (tp_eof (tp) || *tp->p != '#')
    return 0;
  for (; tp->p < tp->end && *tp->p != '\n'; tp->p++)
    {
      unsigned char c = (unsigned char) *tp->p;
      if (c == '\r' && tp_peek (tp, 1) == '\n')
        break;
      if (is_control (c))
        return tp_error (tp, tp->p, "control character U+%04X not allowed in a comment", c);
    }
  return 0;
}

static void count_line (struct tp *tp)
{
  tp->line++;
  tp->line_start = tp->p;
  tp->colc_ptr = NULL;
}

int tp_newline (struct tp *tp)
{
  if (tp_eof (tp))
    return 0;
  if (*tp->p == '\n')
    {
      tp->p++;
      count_line (tp);
      return 1;
    }
  if (*tp->p == '\r')
    {
      if (tp_peek (tp, 1) != '\n')
        return tp_error (tp, tp->p, "carriage return not followed by a newline");
      tp->p += 2;
      count_line (tp);
      return 1;
    }
  return 0;
}

int tp_skip_ws_nl_comments (struct tp *tp)
{
  for (;;)
    {
      tp_skip_ws (tp);
      if (tp_skip_comment (tp) < 0)
        return -1;
      int r = tp_newline (tp);
      if (r < 0)
        return -1;
      if (r == 0)
        return 0;
    }
}

static int put_utf8 (struct buf *b, unsigned cp)
{
  char s[4];
  size_t n;
  if (cp < 0x80)
    s[0] = (char) cp, n = 1;
  else if (cp < 0x800)
    s[0] = (char) (0xC0 | (cp >> 6)), s[1] = (char) (0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    s[0] = (char) (0xE0 | (cp >> 12)), s[1] = (char) (0x80 | ((cp >> 6) & 0x3F)),
    s[2] = (char) (0x80 | (cp & 0x3F)), n = 3;
  else
    s[0] = (char) (0xF0 | (cp >> 18)), s[1] = (char) (0x80 | ((cp >> 12) & 0x3F)),
    s[2] = (char) (0x80 | ((cp >> 6) & 0x3F)), s[3] = (char) (0x80 | (cp & 0x3F)), n = 4;
  return buf_append (b, s, n);
}

static int hexval (int c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* At the character after a backslash. */
static int parse_escape (struct tp *tp, struct buf *out)
{
  const char *at = tp->p - 1;
  if (tp_eof (tp))
    return tp_error (tp, at, "unterminated string");
  char c = *tp->p++;
  const char *simple = "b\bt\tn\nf\fr\r\"\"\\\\";
  for (const char *s = simple; *s; s += 2)
    if (c == s[0])
      return buf_append (out, &s[1], 1);
  if (c != 'u' && c != 'U')
    {
      if ((unsigned char) c < 0x20 || c == 0x7F)
        return tp_error (tp, at, "invalid escape sequence");
      return tp_error (tp, at, "invalid escape sequence \"\\%c\"", c);
    }
  int n = c == 'u' ? 4 : 8;
  unsigned cp = 0;
  for (int i = 0; i < n; i++)
    {
      int h = tp_eof (tp) ? -1 : hexval (*tp->p);
      if (h < 0)
        return tp_error (tp, at, "expected %d hex digits after \"\\%c\"", n, c);
      cp = cp << 4 | (unsigned) h;
      tp->p++;
    }
  if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return tp_error (tp, at, "escape \"\\%c%.*s\" is not a Unicode scalar value", c, n, tp->p - n);
  return put_utf8 (out, cp);
}

static int control_error (struct tp *tp)
{
  unsigned char c = (unsigned char) *tp->p;
  if (c == '\n' || c == '\r')
    return tp_error (tp, tp->p, "unterminated string: newline before the closing quote");
  return tp_error (tp, tp->p, "control character U+%04X not allowed in a string", c);
}

static int parse_single_line (struct tp *tp, char q, const char *open, struct buf *out)
{
  for (;;)
    {
      if (tp_eof (tp))
        return tp_error (tp, open, "unterminated string");
      unsigned char c = (unsigned char) *tp->p;
      if (c == (unsigned char) q)
        {
          tp->p++;
          return 0;
        }
      if (is_control (c))
        return control_error (tp);
      if (c == '\\' && q == '"')
        {
          tp->p++;
          if (parse_escape (tp, out) < 0)
            return -1;
          continue;
        }
      const char *run = tp->p;
      while (tp->p < tp->end && *tp->p != q && !(q == '"' && *tp->p == '\\')
             && !is_control ((unsigned char) *tp->p))
        tp->p++;
      if (buf_append (out, run, (size_t) (tp->p - run)) < 0)
        return coi_error_make (tp->err, 0, "out of memory");
    }
}

static int parse_multi_line (struct tp *tp, char q, const char *open, struct buf *out)
{
  /* A newline right after the opening delimiter is trimmed. */
  if (tp_newline (tp) < 0)
    return -1;
  for (;;)
    {
      if (tp_eof (tp))
        return tp_error (tp, open, "unterminated multi-line string");
      unsigned char c = (unsigned char) *tp->p;
      if (c == (unsigned char) q)
        {
          size_t n = 0;
          while (tp->p + n < tp->end && tp->p[n] == q)
            n++;
          if (n >= 3)
            {
              if (n > 5)
                return tp_error (tp, tp->p + 5, "too many quotes at the end of a multi-line string");
              if (buf_append (out, tp->p, n - 3) < 0)
                return coi_error_make (tp->err, 0, "out of memory");
              tp->p += n;
              return 0;
            }
          if (buf_append (out, tp->p, n) < 0)
            return coi_error_make (tp->err, 0, "out of memory");
          tp->p += n;
          continue;
        }
      if (c == '\n' || c == '\r')
        {
          if (tp_newline (tp) < 0)
            return -1;
          if (buf_append (out, "\n", 1) < 0)
            return coi_error_make (tp->err, 0, "out of memory");
          continue;
        }
      if (is_control (c))
        return control_error (tp);
      if (c == '\\' && q == '"')
        {
          const char *bs = tp->p++;
          /* A line-ending backslash eats the newline and following whitespace. */
          tp_skip_ws (tp);
          int r = tp_newline (tp);
          if (r < 0)
            return -1;
          if (r == 1)
            {
              for (;;)
                {
                  tp_skip_ws (tp);
                  r = tp_newline (tp);
                  if (r < 0)
                    return -1;
                  if (r == 0)
                    break;
                }
              continue;
            }
          tp->p = bs + 1;
          if (parse_escape (tp, out) < 0)
            return -1;
          continue;
        }
      const char *run = tp->p;
      while (tp->p < tp->end && *tp->p != q && *tp->p != '\\' && !is_control ((unsigned char) *tp->p))
        tp->p++;
      if (tp->p == run)
        tp->p++;
      if (buf_append (out, run, (size_t) (tp->p - run)) < 0)
        return coi_error_make (tp->err, 0, "out of memory");
    }
}

int tp_parse_string (struct tp *tp, struct buf *out)
{
  const char *open = tp->p;
  char q = *tp->p;
  if (tp_peek (tp, 1) == q && tp_peek (tp, 2) == q)
    {
      tp->p += 3;
      return parse_multi_line (tp, q, open, out);
    }
  tp->p++;
  return parse_single_line (tp, q, open, out);
}

bool tp_is_bare_key_char (int c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

void tkeys_free (struct tkeys *k)
{
  for (size_t i = 0; i < k->n; i++)
    free (k->v[i].s);
  free (k->v);
  k->v = NULL;
  k->n = k->cap = 0;
}

static int tkeys_push (struct tp *tp, struct tkeys *k, struct buf *b, const char *at, int line, int col)
{
  if (k->n >= TOML_MAX_DEPTH)
    return tp_error (tp, at, "key has more than %d parts", TOML_MAX_DEPTH);
  if (k->n == k->cap)
    {
      size_t cap = k->cap ? k->cap * 2 : 4;
      struct tkey *v = realloc (k->v, cap * sizeof *v);
      if (v == NULL)
        return coi_error_make (tp->err, 0, "out of memory");
      k->v = v;
      k->cap = cap;
    }
  size_t len = b->len;
  char *s = b->data ? buf_steal (b) : strdup ("");
  if (s == NULL)
    return coi_error_make (tp->err, 0, "out of memory");
  k->v[k->n++] = (struct tkey) { s, len, at, line, col };
  return 0;
}

static int parse_simple_key (struct tp *tp, struct tkeys *keys)
{
  _cleanup_buf_ struct buf b = { 0 };
  const char *at = tp->p;
  int line = tp->line, col = tp_col (tp, at);
  int c = tp_peek (tp, 0);
  if (c == '"' || c == '\'')
    {
      if (tp_peek (tp, 1) == c && tp_peek (tp, 2) == c)
        return tp_error (tp, at, "a key cannot be a multi-line string");
      if (tp_parse_string (tp, &b) < 0)
        return -1;
    }
  else if (tp_is_bare_key_char (c))
    {
      while (tp->p < tp->end && tp_is_bare_key_char ((unsigned char) *tp->p))
        tp->p++;
      if (buf_append (&b, at, (size_t) (tp->p - at)) < 0)
        return coi_error_make (tp->err, 0, "out of memory");
    }
  else if (c < 0)
    return tp_error (tp, at, "expected a key, found end of file");
  else if (c == '\n' || c == '\r')
    return tp_error (tp, at, "expected a key, found end of line");
  else
    {
      int n = (c & 0x80) == 0 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
      return tp_error (tp, at, "expected a key, found '%.*s'", n, at);
    }
  return tkeys_push (tp, keys, &b, at, line, col);
}

int tp_parse_key (struct tp *tp, struct tkeys *keys)
{
  for (;;)
    {
      if (parse_simple_key (tp, keys) < 0)
        return -1;
      const char *save = tp->p;
      tp_skip_ws (tp);
      if (tp_peek (tp, 0) != '.')
        {
          tp->p = save;
          return 0;
        }
      tp->p++;
      tp_skip_ws (tp);
    }
}

char *tkeys_display (const struct tkeys *k, size_t n)
{
  _cleanup_buf_ struct buf b = { 0 };
  for (size_t i = 0; i < n; i++)
    {
      bool bare = k->v[i].len > 0;
      for (size_t j = 0; j < k->v[i].len; j++)
        bare = bare && tp_is_bare_key_char ((unsigned char) k->v[i].s[j]);
      if (i && buf_append (&b, ".", 1) < 0)
        return NULL;
      if (bare)
        {
          if (buf_append (&b, k->v[i].s, k->v[i].len) < 0)
            return NULL;
          continue;
        }
      if (buf_append (&b, "\"", 1) < 0)
        return NULL;
      for (size_t j = 0; j < k->v[i].len; j++)
        {
          unsigned char c = (unsigned char) k->v[i].s[j];
          int r = c < 0x20 || c == 0x7F ? buf_printf (&b, "\\u%04X", c)
                  : c == '"' || c == '\\' ? buf_printf (&b, "\\%c", c)
                                          : buf_append (&b, &k->v[i].s[j], 1);
          if (r < 0)
            return NULL;
        }
      if (buf_append (&b, "\"", 1) < 0)
        return NULL;
    }
  return b.data ? buf_steal (&b) : strdup ("");
}
