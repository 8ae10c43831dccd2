/* Checking configuration values against the key table, and reading them
 * from the text of environment variables and flags. */
#include <errno.h>
#include <locale.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_private.h"
#include "util/cleanup.h"

int strv_add (struct strv *s, const char *str)
{
  if (s->n + 2 > s->cap)
    {
      size_t cap = s->cap ? s->cap * 2 : 8;
      char **v = realloc (s->v, cap * sizeof *v);
      if (v == NULL)
        return -1;
      s->v = v;
      s->cap = cap;
    }
  if ((s->v[s->n] = strdup (str)) == NULL)
    return -1;
  s->v[++s->n] = NULL;
  return 0;
}

bool strv_contains (const struct strv *s, const char *str)
{
  for (size_t i = 0; i < s->n; i++)
    if (!strcmp (s->v[i], str))
      return true;
  return false;
}

int strv_add_unique (struct strv *s, const char *str)
{
  return strv_contains (s, str) ? 0 : strv_add (s, str);
}

void strv_clear (struct strv *s)
{
  for (size_t i = 0; i < s->n; i++)
    free (s->v[i]);
  free (s->v);
  s->v = NULL;
  s->n = s->cap = 0;
}

const char *coi_home_dir (const char *const *env)
{
  const char *h = coi_env_get (env, "HOME");
  if (h && *h)
    return h;
  struct passwd *pw = getpwuid (getuid ());
  return pw && pw->pw_dir ? pw->pw_dir : "/";
}

char *coi_display_path (const char *home, const char *path)
{
  size_t n = home ? strlen (home) : 0;
  while (n > 1 && home[n - 1] == '/')
    n--;
  char *out = NULL;
  if (n > 1 && !strncmp (path, home, n) && path[n] == '/')
    {
      if (asprintf (&out, "~%s", path + n) < 0)
        return NULL;
      return out;
    }
  return strdup (path);
}

char *coi_expand_home (const char *home, const char *path)
{
  char *out = NULL;
  if (path[0] == '~' && (path[1] == '\0' || path[1] == '/'))
    return asprintf (&out, "%s%s", home, path + 1) < 0 ? NULL : out;
  return strdup (path);
}

const char *config_a_type (enum toml_type t)
{
  switch (t)
    {
    case TOML_STRING: return "a string";
    case TOML_INTEGER: return "an integer";
    case TOML_FLOAT: return "a float";
    case TOML_BOOL: return "a boolean";
    case TOML_ARRAY: return "an array";
    case TOML_TABLE: return "a table";
    default: return "a date/time";
    }
}

static const char *expected (enum coi_config_type t)
{
  static const char *const names[] = {
    [CFG_STRING] = "a string", [CFG_BOOL] = "a boolean", [CFG_INT] = "an integer", [CFG_FLOAT] = "a number",
    [CFG_STRV] = "an array of strings", [CFG_INTV] = "an array of integers", [CFG_MAP] = "a table of strings",
    [CFG_TABLES] = "an array of tables",
  };
  return names[t];
}

/* Go's time.ParseDuration grammar, unsigned: ("1.5" unit)+ */
static bool is_duration (const char *s)
{
  static const char *const units[] = { "ns", "us", "µs", "ms", "s", "m", "h" };
  if (*s == '\0')
    return false;
  while (*s)
    {
      const char *d = s;
      while (*s >= '0' && *s <= '9')
        s++;
      if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
          ;
      if (s == d || (s == d + 1 && *d == '.'))
        return false;
      size_t best = 0;
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (!strncmp (s, units[i], strlen (units[i])) && strlen (units[i]) > best)
          best = strlen (units[i]);
      if (best == 0)
        return false;
      s += best;
    }
  return true;
}

static bool in_choices (const char *choices, const char *s)
{
  size_t n = strlen (s);
  for (const char *p = choices; p && *p;)
    {
      const char *bar = strchr (p, '|');
      size_t len = bar ? (size_t) (bar - p) : strlen (p);
      if (len == n && !strncmp (p, s, n))
        return true;
      p += len + (bar ? 1 : 0);
    }
  return false;
}

static char *choices_text (const char *choices)
{
  _cleanup_free_ char *s = strdup (choices);
  char *out = NULL;
  if (s == NULL)
    return NULL;
  size_t n = 0;
  for (char *p = s; *p; p++)
    n += *p == '|';
  out = malloc (strlen (s) + n + 1);
  if (out == NULL)
    return NULL;
  char *o = out;
  for (char *p = s; *p; p++)
    {
      if (*p == '|')
        {
          *o++ = ',';
          *o++ = ' ';
        }
      else
        *o++ = *p;
    }
  *o = '\0';
  return out;
}

static int check_string (struct cfg_layer *l, const struct coi_config_key *k, struct toml_value *v, const char *path)
{
  if (k->choices && !in_choices (k->choices, v->u.s.ptr))
    {
      _cleanup_free_ char *c = choices_text (k->choices);
      return config_issue (l, true, path, v, "%s: expected one of %s, got \"%s\"", path, c ? c : k->choices,
                           v->u.s.ptr);
    }
  if ((k->flags & CFG_K_DURATION) && !is_duration (v->u.s.ptr))
    return config_issue (l, true, path, v, "%s: \"%s\" is not a duration (e.g. \"30s\", \"1h30m\")", path,
                         v->u.s.ptr);
  if ((k->flags & CFG_K_ABSOLUTE) && v->u.s.ptr[0] != '/')
    return config_issue (l, true, path, v, "%s: \"%s\" is not an absolute path", path, v->u.s.ptr);
  if ((k->flags & CFG_K_PATH) && l->cfg && l->cfg->home)
    {
      char *x = coi_expand_home (l->cfg->home, v->u.s.ptr);
      if (x == NULL)
        return coi_error_errno (l->err, ENOMEM, "load config");
      free (v->u.s.ptr);
      v->u.s.ptr = x;
      v->u.s.len = strlen (x);
    }
  return 0;
}

static int check_int (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *v,
                      const char *path)
{
  if (k->min < k->max && (v->u.i < k->min || v->u.i > k->max))
    return config_issue (l, true, path, v, "%s: %lld is out of range %lld..%lld", path, (long long) v->u.i,
                         (long long) k->min, (long long) k->max);
  return 0;
}

static int check_fields (struct cfg_layer *l, const struct coi_config_key *k, struct toml_value *elem,
                         const char *path)
{
  int worst = 0;
  for (const struct coi_config_key *f = k->fields; f->key; f++)
    if ((f->flags & CFG_K_REQUIRED) && toml_table_get (elem, f->key) == NULL)
      {
        int r = config_issue (l, true, path, elem, "%s: missing \"%s\"", path, f->key);
        if (r < 0)
          return r;
        worst = 1;
      }
  for (size_t i = 0; i < elem->u.tab.n; i++)
    {
      struct toml_kv *kv = &elem->u.tab.items[i];
      _cleanup_free_ char *sub = NULL;
      if (asprintf (&sub, "%s.%s", path, kv->key) < 0)
        return coi_error_errno (l->err, ENOMEM, "load config");
      const struct coi_config_key *f = NULL;
      for (const struct coi_config_key *x = k->fields; x->key && !f; x++)
        if (strlen (x->key) == kv->keylen && !strcmp (x->key, kv->key))
          f = x;
      if (f == NULL)
        {
          int r = config_issue (l, false, sub, kv->value, "unknown key \"%s\"", sub);
          if (r < 0)
            return r;
          continue;
        }
      _cleanup_toml_ struct toml_value *nv = NULL;
      int r = config_check_value (l, f, kv->value, sub, &nv);
      if (r < 0)
        return r;
      if (r > 0)
        {
          worst = 1;
          continue;
        }
      toml_free (kv->value);
      kv->value = steal_pointer (&nv);
    }
  return worst;
}

/* Each element of an array against the element type. */
static int check_elements (struct cfg_layer *l, const struct coi_config_key *k, struct toml_value *v,
                           const char *path)
{
  enum toml_type want = k->type == CFG_STRV ? TOML_STRING : k->type == CFG_INTV ? TOML_INTEGER : TOML_TABLE;
  int worst = 0;
  for (size_t i = 0; i < v->u.arr.n; i++)
    {
      struct toml_value *e = v->u.arr.items[i];
      _cleanup_free_ char *sub = NULL;
      if (asprintf (&sub, "%s[%zu]", path, i) < 0)
        return coi_error_errno (l->err, ENOMEM, "load config");
      int r = 0;
      if (e->type != want)
        r = config_issue (l, true, sub, e, "%s: expected %s, got %s", sub, config_a_type (want), config_a_type (e->type));
      else if (k->type == CFG_INTV)
        r = check_int (l, k, e, sub);
      else if (k->type == CFG_TABLES)
        r = check_fields (l, k, e, sub);
      if (r < 0)
        return r;
      worst |= r;
    }
  return worst;
}

int config_check_value (struct cfg_layer *l, const struct coi_config_key *k, const struct toml_value *v,
                        const char *path, struct toml_value **out)
{
  static const enum toml_type want[] = {
    [CFG_STRING] = TOML_STRING, [CFG_BOOL] = TOML_BOOL, [CFG_INT] = TOML_INTEGER, [CFG_FLOAT] = TOML_FLOAT,
    [CFG_STRV] = TOML_ARRAY, [CFG_INTV] = TOML_ARRAY, [CFG_MAP] = TOML_TABLE, [CFG_TABLES] = TOML_ARRAY,
  };
  *out = NULL;
  bool int_as_float = k->type == CFG_FLOAT && v->type == TOML_INTEGER;
  if (v->type != want[k->type] && !int_as_float)
    {
      if (v->type == TOML_STRING)
        return config_issue (l, true, path, v, "%s: expected %s, got \"%s\"", path, expected (k->type), v->u.s.ptr);
      return config_issue (l, true, path, v, "%s: expected %s, got %s", path, expected (k->type), config_a_type (v->type));
    }
  _cleanup_toml_ struct toml_value *c = toml_copy (v);
  if (c == NULL)
    return coi_error_errno (l->err, ENOMEM, "load config");
  if (int_as_float)
    {
      c->type = TOML_FLOAT;
      c->u.f = (double) v->u.i;
    }
  int r = 0;
  switch (k->type)
    {
    case CFG_STRING:
      r = check_string (l, k, c, path);
      break;
    case CFG_INT:
      r = check_int (l, k, c, path);
      break;
    case CFG_STRV:
    case CFG_INTV:
    case CFG_TABLES:
      r = check_elements (l, k, c, path);
      break;
    case CFG_MAP:
      for (size_t i = 0; i < c->u.tab.n && r >= 0; i++)
        if (c->u.tab.items[i].value->type != TOML_STRING)
          r = config_issue (l, true, path, c->u.tab.items[i].value, "%s.%s: expected a string, got %s", path,
                            c->u.tab.items[i].key, config_a_type (c->u.tab.items[i].value->type));
      break;
    default:
      break;
    }
  if (r != 0)
    return r;
  *out = steal_pointer (&c);
  return 0;
}

struct toml_value *config_parse_literal (const char *text)
{
  _cleanup_free_ char *doc = NULL;
  if (asprintf (&doc, "v = %s", text) < 0)
    return NULL;
  _cleanup_toml_ struct toml_value *t = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (toml_parse (doc, strlen (doc), "<value>", &t, &err) < 0)
    return NULL;
  struct toml_value *v = toml_table_get (t, "v");
  return v ? toml_copy (v) : NULL;
}

static struct toml_value *split_list (const char *text, bool ints)
{
  _cleanup_toml_ struct toml_value *a = toml_new (TOML_ARRAY);
  _cleanup_free_ char *copy = strdup (text);
  if (a == NULL || copy == NULL)
    return NULL;
  char *save = NULL;
  for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      while (*tok == ' ' || *tok == '\t')
        tok++;
      size_t n = strlen (tok);
      while (n && (tok[n - 1] == ' ' || tok[n - 1] == '\t'))
        tok[--n] = '\0';
      if (n == 0)
        continue;
      struct toml_value *e;
      if (ints)
        {
          char *end = NULL;
          errno = 0;
          long long x = strtoll (tok, &end, 10);
          if (errno || *end)
            return NULL;
          e = toml_new_int (x);
        }
      else
        e = toml_new_string (tok, n);
      if (e == NULL || toml_array_push (a, e) < 0)
        return NULL;
    }
  return steal_pointer (&a);
}

struct toml_value *config_value_from_text (const struct coi_config_key *k, const char *text)
{
  switch (k->type)
    {
    case CFG_STRING:
      return toml_new_string (text, strlen (text));
    case CFG_BOOL:
      if (!strcmp (text, "true") || !strcmp (text, "1") || !strcmp (text, "yes"))
        return toml_new_bool (true);
      if (!strcmp (text, "false") || !strcmp (text, "0") || !strcmp (text, "no"))
        return toml_new_bool (false);
      return toml_new_string (text, strlen (text));
    case CFG_INT:
    case CFG_FLOAT:
      {
        struct toml_value *v = config_parse_literal (text);
        if (v && (v->type == TOML_INTEGER || v->type == TOML_FLOAT))
          return v;
        toml_free (v);
        return toml_new_string (text, strlen (text));
      }
    case CFG_STRV:
    case CFG_INTV:
      if (text[0] == '[')
        return config_parse_literal (text);
      {
        struct toml_value *v = split_list (text, k->type == CFG_INTV);
        return v ? v : toml_new_string (text, strlen (text));
      }
    case CFG_MAP:
    case CFG_TABLES:
      {
        struct toml_value *v = config_parse_literal (text);
        return v ? v : toml_new_string (text, strlen (text));
      }
    }
  return NULL;
}
