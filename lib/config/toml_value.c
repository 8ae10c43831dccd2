/* The TOML value tree: construction, lookup, copy, comparison, release. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"

/* Tables above this size get a hash index, so that lookups stay O(1). */
#define INDEX_MIN 16

struct toml_src *toml_src_new (const char *name)
{
  size_t n = strlen (name);
  struct toml_src *s = malloc (sizeof *s + n + 1);
  if (s == NULL)
    return NULL;
  s->refs = 1;
  memcpy (s->name, name, n + 1);
  return s;
}

void toml_src_unref (struct toml_src *s)
{
  if (s && --s->refs == 0)
    free (s);
}

void toml_origin_set (struct toml_origin *o, struct toml_src *src, int line, int col)
{
  if (src)
    src->refs++;
  toml_src_unref (o->src);
  o->src = src;
  o->line = line;
  o->col = col;
}

void toml_origin_clear (struct toml_origin *o)
{
  toml_src_unref (o->src);
  o->src = NULL;
  o->line = o->col = 0;
}

struct toml_value *toml_new (enum toml_type type)
{
  struct toml_value *v = calloc (1, sizeof *v);
  if (v)
    v->type = type;
  return v;
}

struct toml_value *toml_new_string (const char *s, size_t len)
{
  struct toml_value *v = toml_new (TOML_STRING);
  if (v == NULL)
    return NULL;
  v->u.s.ptr = malloc (len + 1);
  if (v->u.s.ptr == NULL)
    {
      free (v);
      return NULL;
    }
  memcpy (v->u.s.ptr, s, len);
  v->u.s.ptr[len] = '\0';
  v->u.s.len = len;
  return v;
}

struct toml_value *toml_new_int (int64_t i)
{
  struct toml_value *v = toml_new (TOML_INTEGER);
  if (v)
    v->u.i = i;
  return v;
}

struct toml_value *toml_new_bool (bool b)
{
  struct toml_value *v = toml_new (TOML_BOOL);
  if (v)
    v->u.b = b;
  return v;
}

struct toml_value *toml_new_float (double f)
{
  struct toml_value *v = toml_new (TOML_FLOAT);
  if (v)
    v->u.f = f;
  return v;
}

void toml_free (struct toml_value *v)
{
  if (v == NULL)
    return;
  switch (v->type)
    {
    case TOML_STRING:
      free (v->u.s.ptr);
      break;
    case TOML_ARRAY:
      for (size_t i = 0; i < v->u.arr.n; i++)
        toml_free (v->u.arr.items[i]);
      free (v->u.arr.items);
      break;
    case TOML_TABLE:
      for (size_t i = 0; i < v->u.tab.n; i++)
        {
          free (v->u.tab.items[i].key);
          toml_free (v->u.tab.items[i].value);
        }
      free (v->u.tab.items);
      free (v->u.tab.index);
      break;
    default:
      break;
    }
  toml_src_unref (v->origin.src);
  free (v);
}

static size_t hash_key (const char *k, size_t len)
{
  size_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char) k[i]) * 1099511628211ULL;
  return h;
}

static void index_put (struct toml_value *t, size_t pos)
{
  const struct toml_kv *kv = &t->u.tab.items[pos];
  size_t mask = t->u.tab.index_cap - 1;
  size_t h = hash_key (kv->key, kv->keylen) & mask;
  while (t->u.tab.index[h])
    h = (h + 1) & mask;
  t->u.tab.index[h] = pos + 1;
}

static int index_rebuild (struct toml_value *t)
{
  free (t->u.tab.index);
  t->u.tab.index = NULL;
  t->u.tab.index_cap = 0;
  if (t->u.tab.n < INDEX_MIN)
    return 0;
  size_t cap = 64;
  while (cap < t->u.tab.n * 2)
    cap *= 2;
  t->u.tab.index = calloc (cap, sizeof (size_t));
  if (t->u.tab.index == NULL)
    return -1;
  t->u.tab.index_cap = cap;
  for (size_t i = 0; i < t->u.tab.n; i++)
    index_put (t, i);
  return 0;
}

static bool key_eq (const struct toml_kv *kv, const char *key, size_t len)
{
  return kv->keylen == len && memcmp (kv->key, key, len) == 0;
}

static ssize_t find_pos (const struct toml_value *t, const char *key, size_t len)
{
  if (t->u.tab.index)
    {
      size_t mask = t->u.tab.index_cap - 1;
      for (size_t h = hash_key (key, len) & mask; t->u.tab.index[h]; h = (h + 1) & mask)
        if (key_eq (&t->u.tab.items[t->u.tab.index[h] - 1], key, len))
          return (ssize_t) (t->u.tab.index[h] - 1);
      return -1;
    }
  for (size_t i = 0; i < t->u.tab.n; i++)
    if (key_eq (&t->u.tab.items[i], key, len))
      return (ssize_t) i;
  return -1;
}

struct toml_value *toml_table_getn (const struct toml_value *tab, const char *key, size_t keylen)
{
  if (tab == NULL || tab->type != TOML_TABLE)
    return NULL;
  ssize_t i = find_pos (tab, key, keylen);
  return i < 0 ? NULL : tab->u.tab.items[i].value;
}

struct toml_value *toml_table_get (const struct toml_value *tab, const char *key)
{
  return toml_table_getn (tab, key, strlen (key));
}

struct toml_value *toml_get_path (const struct toml_value *root, const char *dotted)
{
  const struct toml_value *v = root;
  const char *p = dotted;
  while (v && *p)
    {
      const char *dot = strchr (p, '.');
      size_t n = dot ? (size_t) (dot - p) : strlen (p);
      v = toml_table_getn (v, p, n);
      p += n + (dot ? 1 : 0);
    }
  return (struct toml_value *) v;
}

int toml_table_set (struct toml_value *tab, const char *key, size_t keylen, struct toml_value *child)
{
  if (tab == NULL || tab->type != TOML_TABLE)
    {
      toml_free (child);
      return -1;
    }
  ssize_t i = find_pos (tab, key, keylen);
  if (i >= 0)
    {
      toml_free (tab->u.tab.items[i].value);
      tab->u.tab.items[i].value = child;
      return 0;
    }
  if (tab->u.tab.n == tab->u.tab.cap)
    {
      size_t cap = tab->u.tab.cap ? tab->u.tab.cap * 2 : 4;
      struct toml_kv *items = realloc (tab->u.tab.items, cap * sizeof *items);
      if (items == NULL)
        {
          toml_free (child);
          return -1;
        }
      tab->u.tab.items = items;
      tab->u.tab.cap = cap;
    }
  char *k = malloc (keylen + 1);
  if (k == NULL)
    {
      toml_free (child);
      return -1;
    }
  memcpy (k, key, keylen);
  k[keylen] = '\0';
  size_t pos = tab->u.tab.n++;
  tab->u.tab.items[pos] = (struct toml_kv) { k, keylen, child };
  if (tab->u.tab.index && tab->u.tab.n * 2 <= tab->u.tab.index_cap)
    index_put (tab, pos);
  else if (tab->u.tab.n >= INDEX_MIN && index_rebuild (tab) < 0)
    return -1;
  return 0;
}

bool toml_table_remove (struct toml_value *tab, const char *key, size_t keylen)
{
  if (tab == NULL || tab->type != TOML_TABLE)
    return false;
  ssize_t i = find_pos (tab, key, keylen);
  if (i < 0)
    return false;
  free (tab->u.tab.items[i].key);
  toml_free (tab->u.tab.items[i].value);
  memmove (&tab->u.tab.items[i], &tab->u.tab.items[i + 1],
           (tab->u.tab.n - (size_t) i - 1) * sizeof (struct toml_kv));
  tab->u.tab.n--;
  index_rebuild (tab);
  return true;
}

int toml_array_push (struct toml_value *arr, struct toml_value *child)
{
  if (arr == NULL || arr->type != TOML_ARRAY)
    {
      toml_free (child);
      return -1;
    }
  if (arr->u.arr.n == arr->u.arr.cap)
    {
      size_t cap = arr->u.arr.cap ? arr->u.arr.cap * 2 : 4;
      struct toml_value **items = realloc (arr->u.arr.items, cap * sizeof *items);
      if (items == NULL)
        {
          toml_free (child);
          return -1;
        }
      arr->u.arr.items = items;
      arr->u.arr.cap = cap;
    }
  arr->u.arr.items[arr->u.arr.n++] = child;
  return 0;
}

struct toml_value *toml_copy (const struct toml_value *v)
{
  if (v == NULL)
    return NULL;
  struct toml_value *c = v->type == TOML_STRING ? toml_new_string (v->u.s.ptr, v->u.s.len) : toml_new (v->type);
  if (c == NULL)
    return NULL;
  c->flags = v->flags;
  c->depth = v->depth;
  toml_origin_set (&c->origin, v->origin.src, v->origin.line, v->origin.col);
  switch (v->type)
    {
    case TOML_STRING:
      break;
    case TOML_ARRAY:
      for (size_t i = 0; i < v->u.arr.n; i++)
        if (toml_array_push (c, toml_copy (v->u.arr.items[i])) < 0 || c->u.arr.items[i] == NULL)
          goto fail;
      break;
    case TOML_TABLE:
      for (size_t i = 0; i < v->u.tab.n; i++)
        {
          const struct toml_kv *kv = &v->u.tab.items[i];
          struct toml_value *child = toml_copy (kv->value);
          if (child == NULL || toml_table_set (c, kv->key, kv->keylen, child) < 0)
            goto fail;
        }
      break;
    default:
      c->u = v->u;
    }
  return c;
fail:
  toml_free (c);
  return NULL;
}

bool toml_equal (const struct toml_value *a, const struct toml_value *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->type != b->type)
    return false;
  switch (a->type)
    {
    case TOML_STRING:
      return a->u.s.len == b->u.s.len && memcmp (a->u.s.ptr, b->u.s.ptr, a->u.s.len) == 0;
    case TOML_INTEGER:
      return a->u.i == b->u.i;
    case TOML_FLOAT:
      return (isnan (a->u.f) && isnan (b->u.f)) || memcmp (&a->u.f, &b->u.f, sizeof (double)) == 0
             || a->u.f == b->u.f;
    case TOML_BOOL:
      return a->u.b == b->u.b;
    case TOML_DATETIME:
    case TOML_DATETIME_LOCAL:
    case TOML_DATE_LOCAL:
    case TOML_TIME_LOCAL:
      {
        const struct toml_datetime *x = &a->u.dt, *y = &b->u.dt;
        return x->year == y->year && x->month == y->month && x->day == y->day && x->hour == y->hour
               && x->minute == y->minute && x->second == y->second && x->nanosecond == y->nanosecond
               && x->offset_min == y->offset_min;
      }
    case TOML_ARRAY:
      if (a->u.arr.n != b->u.arr.n)
        return false;
      for (size_t i = 0; i < a->u.arr.n; i++)
        if (!toml_equal (a->u.arr.items[i], b->u.arr.items[i]))
          return false;
      return true;
    case TOML_TABLE:
      if (a->u.tab.n != b->u.tab.n)
        return false;
      for (size_t i = 0; i < a->u.tab.n; i++)
        {
          const struct toml_kv *kv = &a->u.tab.items[i];
          if (!toml_equal (kv->value, toml_table_getn (b, kv->key, kv->keylen)))
            return false;
        }
      return true;
    }
  return false;
}

const char *toml_type_name (enum toml_type t)
{
  static const char *const names[] = {
    [TOML_STRING] = "string",
    [TOML_INTEGER] = "integer",
    [TOML_FLOAT] = "float",
    [TOML_BOOL] = "boolean",
    [TOML_DATETIME] = "offset date-time",
    [TOML_DATETIME_LOCAL] = "local date-time",
    [TOML_DATE_LOCAL] = "local date",
    [TOML_TIME_LOCAL] = "local time",
    [TOML_ARRAY] = "array",
    [TOML_TABLE] = "table",
  };
  return (unsigned) t < sizeof names / sizeof names[0] ? names[t] : "unknown";
}
