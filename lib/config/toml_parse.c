/* TOML document structure: key/values, tables, arrays of tables, inline
 * tables and arrays, and the rules about what may be defined twice. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/toml_private.h"
#include "util/cleanup.h"

/* Config files are small; refuse anything absurd before reading it. */
#define TOML_MAX_FILE (16 * 1024 * 1024)

static struct toml_value *parse_value (struct tp *tp, int depth);

static void cleanup_tkeysp (struct tkeys *k)
{
  tkeys_free (k);
}
#define _cleanup_tkeys_ __attribute__ ((cleanup (cleanup_tkeysp)))

static int oom (struct tp *tp)
{
  return coi_error_make (tp->err, ENOMEM, "out of memory");
}

static struct toml_value *new_table (struct tp *tp, const struct tkey *k, int depth, unsigned flags)
{
  if (depth > TOML_MAX_DEPTH)
    {
      tp_error (tp, k->at, "tables nest deeper than %d levels", TOML_MAX_DEPTH);
      return NULL;
    }
  struct toml_value *t = toml_new (TOML_TABLE);
  if (t == NULL)
    {
      oom (tp);
      return NULL;
    }
  t->flags = flags;
  t->depth = depth;
  toml_origin_set (&t->origin, tp->src, k->line, k->col);
  return t;
}

/* Adds a fresh child table (or array) under key k of parent. */
static struct toml_value *attach (struct tp *tp, struct toml_value *parent, const struct tkey *k,
                                  struct toml_value *child)
{
  if (child == NULL)
    return NULL;
  if (toml_table_set (parent, k->s, k->len, child) < 0)
    {
      oom (tp);
      return NULL;
    }
  return child;
}

static const char *what_is (const struct toml_value *v)
{
  if (v->type == TOML_TABLE)
    return v->flags & TOML_F_INLINE ? "an inline table" : "a table";
  if (v->type == TOML_ARRAY)
    return v->flags & TOML_F_AOT ? "an array of tables" : "an array";
  return "a value";
}

/* Walks the dotted key k[0..n-1) of a key/value pair from t, creating
 * tables as needed; returns the table that receives the last part. */
static struct toml_value *walk_dotted (struct tp *tp, struct toml_value *t, const struct tkeys *k)
{
  for (size_t i = 0; i + 1 < k->n; i++)
    {
      struct toml_value *c = toml_table_getn (t, k->v[i].s, k->v[i].len);
      if (c == NULL)
        c = attach (tp, t, &k->v[i], new_table (tp, &k->v[i], t->depth + 1, TOML_F_DOTTED));
      else if (c->type != TOML_TABLE || (c->flags & (TOML_F_INLINE | TOML_F_HEADER)))
        {
          _cleanup_free_ char *name = tkeys_display (k, i + 1);
          tp_error (tp, k->v[i].at, "cannot add keys to \"%s\": it is already defined as %s", name ? name : "?",
                    what_is (c));
          return NULL;
        }
      else
        c->flags |= TOML_F_DOTTED;
      if (c == NULL)
        return NULL;
      t = c;
    }
  return t;
}

/* Inline tables are closed, and so is every table made inside one. */
static void seal (struct toml_value *v)
{
  if (v->type == TOML_TABLE)
    {
      v->flags |= TOML_F_INLINE;
      for (size_t i = 0; i < v->u.tab.n; i++)
        if (v->u.tab.items[i].value->type == TOML_TABLE && !(v->u.tab.items[i].value->flags & TOML_F_INLINE))
          seal (v->u.tab.items[i].value);
    }
}

/* key = value, into table t; the key is parsed already. */
static int put_keyval (struct tp *tp, struct toml_value *t, const struct tkeys *k, int depth_base)
{
  struct toml_value *dst = walk_dotted (tp, t, k);
  if (dst == NULL)
    return -1;
  const struct tkey *last = &k->v[k->n - 1];
  if (toml_table_getn (dst, last->s, last->len))
    {
      _cleanup_free_ char *name = tkeys_display (k, k->n);
      return tp_error (tp, last->at, "duplicate key \"%s\"", name ? name : "?");
    }
  tp_skip_ws (tp);
  if (tp_peek (tp, 0) != '=')
    {
      _cleanup_free_ char *name = tkeys_display (k, k->n);
      return tp_error (tp, tp->p, "expected '=' after key \"%s\"", name ? name : "?");
    }
  tp->p++;
  tp_skip_ws (tp);
  struct toml_value *v = parse_value (tp, depth_base + (int) k->n);
  if (v == NULL)
    return -1;
  toml_origin_set (&v->origin, tp->src, k->v[0].line, k->v[0].col);
  if (toml_table_set (dst, last->s, last->len, v) < 0)
    return oom (tp);
  return 0;
}

static struct toml_value *parse_inline_table (struct tp *tp, int depth)
{
  _cleanup_toml_ struct toml_value *t = toml_new (TOML_TABLE);
  if (t == NULL)
    {
      oom (tp);
      return NULL;
    }
  t->depth = depth;
  tp->p++; /* { */
  tp_skip_ws (tp);
  if (tp_peek (tp, 0) == '}')
    {
      tp->p++;
      seal (t);
      return steal_pointer (&t);
    }
  for (;;)
    {
      tp_skip_ws (tp);
      int c = tp_peek (tp, 0);
      if (c == '\n' || c == '\r')
        {
          tp_error (tp, tp->p, "newlines are not allowed in an inline table");
          return NULL;
        }
      if (c == '}')
        {
          tp_error (tp, tp->p, "trailing comma is not allowed in an inline table");
          return NULL;
        }
      _cleanup_tkeys_ struct tkeys k = { 0 };
      if (tp_parse_key (tp, &k) < 0 || put_keyval (tp, t, &k, depth) < 0)
        return NULL;
      tp_skip_ws (tp);
      c = tp_peek (tp, 0);
      if (c == '}')
        {
          tp->p++;
          seal (t);
          return steal_pointer (&t);
        }
      if (c != ',')
        {
          if (c == '\n' || c == '\r')
            tp_error (tp, tp->p, "newlines are not allowed in an inline table");
          else if (c < 0)
            tp_error (tp, tp->p, "unterminated inline table: expected '}'");
          else
            tp_error (tp, tp->p, "expected ',' or '}' in inline table");
          return NULL;
        }
      tp->p++;
    }
}

static struct toml_value *parse_array (struct tp *tp, int depth)
{
  const char *open = tp->p;
  _cleanup_toml_ struct toml_value *a = toml_new (TOML_ARRAY);
  if (a == NULL)
    {
      oom (tp);
      return NULL;
    }
  a->depth = depth;
  a->flags = TOML_F_INLINE;
  tp->p++; /* [ */
  for (;;)
    {
      if (tp_skip_ws_nl_comments (tp) < 0)
        return NULL;
      int c = tp_peek (tp, 0);
      if (c == ']')
        {
          tp->p++;
          return steal_pointer (&a);
        }
      if (c < 0)
        {
          tp_error (tp, open, "unterminated array: expected ']'");
          return NULL;
        }
      if (c == ',')
        {
          tp_error (tp, tp->p, "expected a value before ','");
          return NULL;
        }
      int line = tp->line, col = tp_col (tp, tp->p);
      struct toml_value *v = parse_value (tp, depth + 1);
      if (v == NULL)
        return NULL;
      toml_origin_set (&v->origin, tp->src, line, col);
      if (toml_array_push (a, v) < 0)
        {
          oom (tp);
          return NULL;
        }
      if (tp_skip_ws_nl_comments (tp) < 0)
        return NULL;
      c = tp_peek (tp, 0);
      if (c == ',')
        {
          tp->p++;
          continue;
        }
      if (c == ']')
        {
          tp->p++;
          return steal_pointer (&a);
        }
      if (c < 0)
        tp_error (tp, open, "unterminated array: expected ']'");
      else
        tp_error (tp, tp->p, "expected ',' or ']' in array");
      return NULL;
    }
}

static struct toml_value *parse_value (struct tp *tp, int depth)
{
  int c = tp_peek (tp, 0);
  if ((c == '[' || c == '{') && depth > TOML_MAX_DEPTH)
    {
      tp_error (tp, tp->p, "values nest deeper than %d levels", TOML_MAX_DEPTH);
      return NULL;
    }
  if (c == '"' || c == '\'')
    {
      _cleanup_buf_ struct buf b = { 0 };
      if (tp_parse_string (tp, &b) < 0)
        return NULL;
      struct toml_value *v = toml_new_string (b.data ? b.data : "", b.len);
      if (v == NULL)
        oom (tp);
      return v;
    }
  if (c == '[')
    return parse_array (tp, depth);
  if (c == '{')
    return parse_inline_table (tp, depth);
  return tp_parse_scalar (tp);
}

/* [a.b.c] or [[a.b.c]] */
static int parse_header (struct tp *tp)
{
  const char *open = tp->p;
  bool aot = tp_peek (tp, 1) == '[';
  tp->p += aot ? 2 : 1;
  tp_skip_ws (tp);
  _cleanup_tkeys_ struct tkeys k = { 0 };
  if (tp_parse_key (tp, &k) < 0)
    return -1;
  tp_skip_ws (tp);
  if (tp_peek (tp, 0) != ']' || (aot && tp_peek (tp, 1) != ']'))
    return tp_error (tp, tp->p, "expected '%s' to close the table header", aot ? "]]" : "]");
  tp->p += aot ? 2 : 1;

  struct toml_value *t = tp->root;
  for (size_t i = 0; i + 1 < k.n; i++)
    {
      struct toml_value *c = toml_table_getn (t, k.v[i].s, k.v[i].len);
      if (c == NULL)
        c = attach (tp, t, &k.v[i], new_table (tp, &k.v[i], t->depth + 1, 0));
      else if (c->type == TOML_ARRAY && (c->flags & TOML_F_AOT) && c->u.arr.n > 0)
        c = c->u.arr.items[c->u.arr.n - 1];
      else if (c->type != TOML_TABLE || (c->flags & TOML_F_INLINE))
        {
          _cleanup_free_ char *name = tkeys_display (&k, i + 1);
          return tp_error (tp, k.v[i].at, "cannot define a table under \"%s\": it is %s", name ? name : "?",
                           what_is (c));
        }
      if (c == NULL)
        return -1;
      t = c;
    }
  const struct tkey *last = &k.v[k.n - 1];
  struct toml_value *c = toml_table_getn (t, last->s, last->len);
  _cleanup_free_ char *name = tkeys_display (&k, k.n);
  if (!aot)
    {
      if (c == NULL)
        c = attach (tp, t, last, new_table (tp, last, t->depth + 1, TOML_F_HEADER));
      else if (c->type == TOML_TABLE && !(c->flags & (TOML_F_HEADER | TOML_F_DOTTED | TOML_F_INLINE)))
        {
          c->flags |= TOML_F_HEADER;
          toml_origin_set (&c->origin, tp->src, last->line, last->col);
        }
      else if (c->type == TOML_TABLE)
        return tp_error (tp, open, "table [%s] is defined more than once", name ? name : "?");
      else
        return tp_error (tp, open, "cannot define table [%s]: it is already %s", name ? name : "?", what_is (c));
      if (c == NULL)
        return -1;
      tp->cur = c;
      return 0;
    }
  if (c == NULL)
    {
      c = toml_new (TOML_ARRAY);
      if (c == NULL)
        return oom (tp);
      c->flags = TOML_F_AOT;
      c->depth = t->depth + 1;
      toml_origin_set (&c->origin, tp->src, last->line, last->col);
      if (attach (tp, t, last, c) == NULL)
        return -1;
    }
  else if (c->type != TOML_ARRAY || !(c->flags & TOML_F_AOT))
    return tp_error (tp, open, "cannot append to [[%s]]: it is already %s", name ? name : "?", what_is (c));
  struct toml_value *elem = new_table (tp, last, c->depth + 1, TOML_F_HEADER);
  if (elem == NULL)
    return -1;
  if (toml_array_push (c, elem) < 0)
    return oom (tp);
  tp->cur = elem;
  return 0;
}

static int end_of_line (struct tp *tp, const char *what)
{
  tp_skip_ws (tp);
  if (tp_skip_comment (tp) < 0)
    return -1;
  if (tp_eof (tp))
    return 0;
  int r = tp_newline (tp);
  if (r < 0)
    return -1;
  if (r == 0)
    return tp_error (tp, tp->p, "expected a newline after %s", what);
  return 0;
}

static int parse_document (struct tp *tp)
{
  if (tp->end - tp->p >= 3 && !memcmp (tp->p, "\xEF\xBB\xBF", 3))
    tp->p += 3;
  tp->line_start = tp->p;
  if (tp_validate_utf8 (tp) < 0)
    return -1;
  while (!tp_eof (tp))
    {
      tp_skip_ws (tp);
      int c = tp_peek (tp, 0);
      if (c < 0)
        break;
      if (c == '#')
        {
          if (end_of_line (tp, "a comment") < 0)
            return -1;
          continue;
        }
      int r = tp_newline (tp);
      if (r < 0)
        return -1;
      if (r > 0)
        continue;
      if (c == '[')
        {
          if (parse_header (tp) < 0 || end_of_line (tp, "the table header") < 0)
            return -1;
          continue;
        }
      _cleanup_tkeys_ struct tkeys k = { 0 };
      if (tp_parse_key (tp, &k) < 0 || put_keyval (tp, tp->cur, &k, tp->cur->depth) < 0
          || end_of_line (tp, "the value") < 0)
        return -1;
    }
  return 0;
}

int toml_parse (const char *data, size_t len, const char *name, struct toml_value **out, coi_error_t *err)
{
  *out = NULL;
  struct tp tp = { .start = data, .p = data, .end = data + len, .line = 1, .err = err };
  tp.src = toml_src_new (name ? name : "<input>");
  _cleanup_toml_ struct toml_value *root = toml_new (TOML_TABLE);
  if (tp.src == NULL || root == NULL)
    {
      toml_src_unref (tp.src);
      return coi_error_make (err, ENOMEM, "out of memory");
    }
  root->flags = TOML_F_HEADER;
  toml_origin_set (&root->origin, tp.src, 1, 1);
  tp.root = tp.cur = root;
  int r = parse_document (&tp);
  toml_src_unref (tp.src);
  if (r < 0)
    return err && *err ? -1 : coi_error_make (err, ENOMEM, "%s: out of memory", name ? name : "<input>");
  *out = steal_pointer (&root);
  return 0;
}

int toml_parse_file (const char *path, const char *display_name, struct toml_value **out, coi_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return coi_error_errno (err, errno, "open %s", display_name ? display_name : path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return coi_error_errno (err, errno, "stat %s", display_name ? display_name : path);
  if (!S_ISREG (st.st_mode))
    return coi_error_make (err, 0, "%s: not a regular file", display_name ? display_name : path);
  if (st.st_size > TOML_MAX_FILE)
    return coi_error_make (err, 0, "%s: file too large (over %d bytes)", display_name ? display_name : path,
                           TOML_MAX_FILE);
  _cleanup_buf_ struct buf b = { .limit = TOML_MAX_FILE };
  char chunk[65536];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return coi_error_errno (err, errno, "read %s", display_name ? display_name : path);
      if (n == 0)
        break;
      if (buf_append (&b, chunk, (size_t) n) < 0)
        return coi_error_make (err, 0, "%s: file too large (over %d bytes)", display_name ? display_name : path,
                               TOML_MAX_FILE);
    }
  return toml_parse (b.data ? b.data : "", b.len, display_name ? display_name : path, out, err);
}
