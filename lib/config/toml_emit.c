/* Writing TOML: used for ~/.coi/trust.toml and new profile files, and by
 * the fuzzer's round-trip check (parse, emit, parse again, compare). */
#include <stdlib.h>
#include <string.h>

#include "config/toml_private.h"
#include "util/cleanup.h"

static int emit_string (struct buf *b, const char *s, size_t len)
{
  if (buf_append (b, "\"", 1) < 0)
    return -1;
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) s[i];
      int r;
      switch (c)
        {
        case '"': r = buf_append (b, "\\\"", 2); break;
        case '\\': r = buf_append (b, "\\\\", 2); break;
        case '\b': r = buf_append (b, "\\b", 2); break;
        case '\t': r = buf_append (b, "\\t", 2); break;
        case '\n': r = buf_append (b, "\\n", 2); break;
        case '\f': r = buf_append (b, "\\f", 2); break;
        case '\r': r = buf_append (b, "\\r", 2); break;
        default:
          r = c < 0x20 || c == 0x7F ? buf_printf (b, "\\u%04X", c) : buf_append (b, &s[i], 1);
        }
      if (r < 0)
        return -1;
    }
  return buf_append (b, "\"", 1);
}

static int emit_key (struct buf *b, const char *k, size_t len)
{
  bool bare = len > 0;
  for (size_t i = 0; i < len && bare; i++)
    bare = tp_is_bare_key_char ((unsigned char) k[i]);
  return bare ? buf_append (b, k, len) : emit_string (b, k, len);
}

static int emit_inline (struct buf *b, const struct toml_value *v)
{
  char text[64];
  switch (v->type)
    {
    case TOML_STRING:
      return emit_string (b, v->u.s.ptr, v->u.s.len);
    case TOML_INTEGER:
      return buf_printf (b, "%lld", (long long) v->u.i);
    case TOML_FLOAT:
      toml_float_format (v->u.f, text, sizeof text);
      return buf_append (b, text, strlen (text));
    case TOML_BOOL:
      return buf_printf (b, "%s", v->u.b ? "true" : "false");
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL:
      if (toml_datetime_format (v->type, &v->u.dt, text, sizeof text) < 0)
        return -1;
      return buf_append (b, text, strlen (text));
    case TOML_ARRAY:
      if (buf_append (b, "[", 1) < 0)
        return -1;
      for (size_t i = 0; i < v->u.arr.n; i++)
        if ((i && buf_append (b, ", ", 2) < 0) || emit_inline (b, v->u.arr.items[i]) < 0)
          return -1;
      return buf_append (b, "]", 1);
    case TOML_TABLE:
      if (buf_append (b, "{", 1) < 0)
        return -1;
      for (size_t i = 0; i < v->u.tab.n; i++)
        {
          const struct toml_kv *kv = &v->u.tab.items[i];
          if (buf_append (b, i ? ", " : " ", i ? 2 : 1) < 0 || emit_key (b, kv->key, kv->keylen) < 0
              || buf_append (b, " = ", 3) < 0 || emit_inline (b, kv->value) < 0)
            return -1;
        }
      return buf_append (b, v->u.tab.n ? " }" : "}", v->u.tab.n ? 2 : 1);
    }
  return -1;
}

static bool is_header_table (const struct toml_value *v)
{
  return v->type == TOML_TABLE && !(v->flags & TOML_F_INLINE);
}

static bool is_aot (const struct toml_value *v)
{
  if (v->type != TOML_ARRAY || v->u.arr.n == 0 || (v->flags & TOML_F_INLINE))
    return false;
  for (size_t i = 0; i < v->u.arr.n; i++)
    if (v->u.arr.items[i]->type != TOML_TABLE)
      return false;
  return true;
}

static int emit_body (struct buf *b, const struct toml_value *t, struct buf *path);

static int emit_section (struct buf *b, struct buf *path, const struct toml_kv *kv, const struct toml_value *t,
                         bool aot)
{
  size_t saved = path->len;
  if ((path->len && buf_append (path, ".", 1) < 0) || emit_key (path, kv->key, kv->keylen) < 0)
    return -1;
  int r = buf_printf (b, "%s%s%s%s\n", b->len ? "\n" : "", aot ? "[[" : "[", path->data, aot ? "]]" : "]");
  if (r >= 0)
    r = emit_body (b, t, path);
  path->len = saved;
  path->data[saved] = '\0';
  return r;
}

static int emit_body (struct buf *b, const struct toml_value *t, struct buf *path)
{
  for (size_t i = 0; i < t->u.tab.n; i++)
    {
      const struct toml_kv *kv = &t->u.tab.items[i];
      if (is_header_table (kv->value) || is_aot (kv->value))
        continue;
      if (emit_key (b, kv->key, kv->keylen) < 0 || buf_append (b, " = ", 3) < 0 || emit_inline (b, kv->value) < 0
          || buf_append (b, "\n", 1) < 0)
        return -1;
    }
  for (size_t i = 0; i < t->u.tab.n; i++)
    {
      const struct toml_kv *kv = &t->u.tab.items[i];
      if (is_header_table (kv->value) && emit_section (b, path, kv, kv->value, false) < 0)
        return -1;
      if (is_aot (kv->value))
        for (size_t j = 0; j < kv->value->u.arr.n; j++)
          if (emit_section (b, path, kv, kv->value->u.arr.items[j], true) < 0)
            return -1;
    }
  return 0;
}

char *toml_emit (const struct toml_value *root)
{
  _cleanup_buf_ struct buf b = { 0 };
  _cleanup_buf_ struct buf path = { 0 };
  if (root == NULL || root->type != TOML_TABLE || buf_append (&path, "", 0) < 0 || emit_body (&b, root, &path) < 0)
    return NULL;
  return buf_steal (&b);
}

int toml_emit_value (const struct toml_value *v, char **out)
{
  _cleanup_buf_ struct buf b = { 0 };
  if (emit_inline (&b, v) < 0)
    return -1;
  *out = buf_steal (&b);
  return 0;
}

int toml_emit_key (const char *key, size_t len, char **out)
{
  _cleanup_buf_ struct buf b = { 0 };
  if (emit_key (&b, key, len) < 0)
    return -1;
  *out = buf_steal (&b);
  return 0;
}
