/* The toml-test conformance suite against our parser.
 *
 *   test_toml_conformance [TOML_TEST_DIR] [LIST]
 *
 * TOML_TEST_DIR (or $TOML_TEST_DIR) holds tests/files-toml-1.0.0 (the LIST, by
 * default).  Every valid case must parse to exactly the tagged JSON beside
 * it, compared with toml-test's rules; every invalid case must be rejected.
 * A missing suite is a failure, never a vacuous pass. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/toml.h"
#include "config/toml_json.h"
#include "util/cleanup.h"

struct group
{
  char name[64];
  int pass, total;
};

static struct group groups[64];
static size_t ngroups;

static struct group *group_for (const char *rel)
{
  /* "valid/array/x.toml" -> "valid/array"; "valid/x.toml" -> "valid" */
  char name[64];
  const char *slash = strchr (rel, '/');
  const char *slash2 = slash ? strchr (slash + 1, '/') : NULL;
  size_t n = slash2 ? (size_t) (slash2 - rel) : slash ? (size_t) (slash - rel) : strlen (rel);
  snprintf (name, sizeof name, "%.*s", (int) n, rel);
  for (size_t i = 0; i < ngroups; i++)
    if (!strcmp (groups[i].name, name))
      return &groups[i];
  if (ngroups == sizeof groups / sizeof groups[0])
    return &groups[ngroups - 1];
  snprintf (groups[ngroups].name, sizeof groups[ngroups].name, "%s", name);
  return &groups[ngroups++];
}

static long long days_from_civil (long long y, int m, int d)
{
  y -= m <= 2;
  long long era = (y >= 0 ? y : y - 399) / 400;
  long long yoe = y - era * 400;
  long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Datetimes compare as instants, to the millisecond, extra digits truncated. */
static bool datetime_equal (const char *type, const char *a, const char *b)
{
  struct toml_datetime x, y;
  int tx = toml_datetime_parse (a, strlen (a), &x);
  int ty = toml_datetime_parse (b, strlen (b), &y);
  if (tx < 0 || ty < 0 || tx != ty)
    return false;
  if (!strcmp (type, "datetime") && tx != TOML_DATETIME)
    return false;
  long long sx = ((days_from_civil (x.year, x.month, x.day) * 24 + x.hour) * 60 + x.minute - x.offset_min) * 60
                 + x.second;
  long long sy = ((days_from_civil (y.year, y.month, y.day) * 24 + y.hour) * 60 + y.minute - y.offset_min) * 60
                 + y.second;
  return sx == sy && x.nanosecond / 1000000 == y.nanosecond / 1000000;
}

static bool parse_float_text (const char *s, double *out)
{
  const char *p = s[0] == '+' || s[0] == '-' ? s + 1 : s;
  if (!strcmp (p, "inf") || !strcmp (p, "nan"))
    {
      *out = p[0] == 'i' ? INFINITY : NAN;
      if (s[0] == '-')
        *out = -*out;
      return true;
    }
  char *end = NULL;
  errno = 0;
  *out = strtod (s, &end);
  return end && *end == '\0' && end != s;
}

static bool is_leaf (json_t *j)
{
  return json_is_object (j) && json_object_size (j) == 2 && json_is_string (json_object_get (j, "type"))
         && json_is_string (json_object_get (j, "value"));
}

static bool leaf_equal (json_t *e, json_t *g, char *why, size_t why_len)
{
  const char *te = json_string_value (json_object_get (e, "type"));
  const char *tg = json_string_value (json_object_get (g, "type"));
  json_t *ve = json_object_get (e, "value"), *vg = json_object_get (g, "value");
  const char *se = json_string_value (ve), *sg = json_string_value (vg);
  bool ok;
  if (strcmp (te, tg) != 0)
    ok = false;
  else if (!strcmp (te, "string") || !strcmp (te, "integer"))
    ok = json_string_length (ve) == json_string_length (vg) && !memcmp (se, sg, json_string_length (ve));
  else if (!strcmp (te, "bool"))
    ok = strcasecmp (se, sg) == 0;
  else if (!strcmp (te, "float"))
    {
      double a, b;
      ok = parse_float_text (se, &a) && parse_float_text (sg, &b)
           && ((isnan (a) && isnan (b)) || a == b);
    }
  else
    ok = datetime_equal (te, se, sg);
  if (!ok)
    snprintf (why, why_len, "expected %s \"%s\", got %s \"%s\"", te, se, tg, sg);
  return ok;
}

static bool json_match (json_t *e, json_t *g, const char *path, char *why, size_t why_len)
{
  if (is_leaf (e) || is_leaf (g))
    {
      if (!is_leaf (e) || !is_leaf (g))
        {
          snprintf (why, why_len, "%s: a value and a table/array differ", path);
          return false;
        }
      char inner[512];
      if (!leaf_equal (e, g, inner, sizeof inner))
        {
          snprintf (why, why_len, "%s: %s", path, inner);
          return false;
        }
      return true;
    }
  if (json_is_array (e) && json_is_array (g))
    {
      if (json_array_size (e) != json_array_size (g))
        {
          snprintf (why, why_len, "%s: expected %zu elements, got %zu", path, json_array_size (e),
                    json_array_size (g));
          return false;
        }
      for (size_t i = 0; i < json_array_size (e); i++)
        {
          char sub[1024];
          snprintf (sub, sizeof sub, "%s[%zu]", path, i);
          if (!json_match (json_array_get (e, i), json_array_get (g, i), sub, why, why_len))
            return false;
        }
      return true;
    }
  if (json_is_object (e) && json_is_object (g))
    {
      if (json_object_size (e) != json_object_size (g))
        {
          snprintf (why, why_len, "%s: expected %zu keys, got %zu", path, json_object_size (e),
                    json_object_size (g));
          return false;
        }
      const char *k;
      size_t klen;
      json_t *ve;
      json_object_keylen_foreach (e, k, klen, ve)
      {
        json_t *vg = json_object_getn (g, k, klen);
        char sub[1024];
        snprintf (sub, sizeof sub, "%s.%.*s", path, (int) klen, k);
        if (vg == NULL)
          {
            snprintf (why, why_len, "%s: missing", sub);
            return false;
          }
        if (!json_match (ve, vg, sub, why, why_len))
          return false;
      }
      return true;
    }
  snprintf (why, why_len, "%s: expected %s", path, json_is_array (e) ? "an array" : "a table");
  return false;
}

static char *read_all (const char *path, size_t *len)
{
  _cleanup_fclose_ FILE *f = fopen (path, "rb");
  if (f == NULL)
    return NULL;
  char *data = NULL;
  size_t cap = 0, n = 0;
  for (;;)
    {
      if (n + 4096 + 1 > cap)
        {
          cap = cap ? cap * 2 : 8192;
          char *d = realloc (data, cap);
          if (d == NULL)
            {
              free (data);
              return NULL;
            }
          data = d;
        }
      size_t r = fread (data + n, 1, 4096, f);
      n += r;
      if (r == 0)
        break;
    }
  data[n] = '\0';
  *len = n;
  return data;
}

/* jansson cannot decode U+0000 in object keys, which toml-test uses; map
 * the escape to a private-use character on both sides before comparing. */
static void neutralise_nul (char *text)
{
  for (char *p = text; *p; p++)
    if (*p == '\\')
      {
        if (!strncmp (p + 1, "u0000", 5))
          memcpy (p + 1, "uE000", 5);
        if (p[1])
          p++;
      }
}

/* Reads and parses one case: 1 parsed, 0 rejected (err set), -1 unreadable (why set). */
static int parse_case (const char *dir, const char *rel, struct toml_value **doc, coi_error_t *err, char *why,
                       size_t why_len)
{
  _cleanup_free_ char *path = NULL;
  size_t len = 0;
  _cleanup_free_ char *data = asprintf (&path, "%s/tests/%s", dir, rel) < 0 ? NULL : read_all (path, &len);
  if (data == NULL)
    {
      snprintf (why, why_len, "cannot read %s", path ? path : rel);
      return -1;
    }
  return toml_parse (data, len, rel, doc, err) == 0;
}

static bool run_valid (const char *dir, const char *rel, char *why, size_t why_len)
{
  _cleanup_free_ char *jpath = NULL;
  if (asprintf (&jpath, "%s/tests/%.*s.json", dir, (int) (strlen (rel) - 5), rel) < 0)
    return false;
  _cleanup_toml_ struct toml_value *doc = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  int r = parse_case (dir, rel, &doc, &err, why, why_len);
  if (r == 0)
    snprintf (why, why_len, "rejected: %s", err->msg);
  if (r <= 0)
    return false;
  size_t jlen = 0;
  _cleanup_free_ char *jtext = read_all (jpath, &jlen);
  _cleanup_json_ json_t *tree = toml_to_json (doc, true);
  _cleanup_free_ char *gtext = tree ? json_dumps (tree, JSON_ENCODE_ANY) : NULL;
  if (jtext == NULL || gtext == NULL)
    {
      snprintf (why, why_len, "cannot read %s or encode the result", jpath);
      return false;
    }
  neutralise_nul (jtext);
  neutralise_nul (gtext);
  json_error_t jerr;
  _cleanup_json_ json_t *expected = json_loads (jtext, 0, &jerr);
  _cleanup_json_ json_t *got = json_loads (gtext, 0, &jerr);
  if (expected == NULL || got == NULL)
    {
      snprintf (why, why_len, "cannot load JSON: %s", jerr.text);
      return false;
    }
  return json_match (expected, got, "$", why, why_len);
}

static bool run_invalid (const char *dir, const char *rel, char *why, size_t why_len)
{
  _cleanup_toml_ struct toml_value *doc = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  int r = parse_case (dir, rel, &doc, &err, why, why_len);
  if (r < 0)
    return false;
  if (r == 1)
    {
      snprintf (why, why_len, "accepted an invalid document");
      return false;
    }
  if (err == NULL || strncmp (err->msg, rel, strlen (rel)) != 0)
    {
      snprintf (why, why_len, "error does not name the file: %s", err ? err->msg : "(none)");
      return false;
    }
  return true;
}

int main (int argc, char **argv)
{
  const char *dir = argc > 1 ? argv[1] : getenv ("TOML_TEST_DIR");
  const char *list = argc > 2 ? argv[2] : "files-toml-1.0.0";
  bool verbose = getenv ("TOML_TEST_VERBOSE") != NULL;
  if (dir == NULL)
    {
      fprintf (stderr, "FAIL: no toml-test directory (argument or $TOML_TEST_DIR)\n");
      return 1;
    }
  _cleanup_free_ char *list_path = NULL;
  if (asprintf (&list_path, "%s/tests/%s", dir, list) < 0)
    return 1;
  _cleanup_fclose_ FILE *f = fopen (list_path, "r");
  if (f == NULL)
    {
      fprintf (stderr, "FAIL: cannot open %s: %s (the toml-test suite is required)\n", list_path, strerror (errno));
      return 1;
    }
  int passed = 0, failed = 0, valid_pass = 0, valid_total = 0, invalid_pass = 0, invalid_total = 0;
  char line[4096];
  while (fgets (line, sizeof line, f))
    {
      line[strcspn (line, "\r\n")] = '\0';
      size_t n = strlen (line);
      if (n < 5 || strcmp (line + n - 5, ".toml") != 0)
        continue;
      bool valid = !strncmp (line, "valid/", 6);
      char why[2048] = "";
      bool ok = valid ? run_valid (dir, line, why, sizeof why) : run_invalid (dir, line, why, sizeof why);
      struct group *g = group_for (line);
      g->total++;
      if (ok)
        {
          g->pass++;
          passed++;
        }
      else
        {
          failed++;
          printf ("FAIL %s: %s\n", line, why);
        }
      if (valid)
        valid_total++, valid_pass += ok;
      else
        invalid_total++, invalid_pass += ok;
      if (verbose && ok)
        printf ("ok   %s\n", line);
    }
  for (size_t i = 0; i < ngroups; i++)
    printf ("%-28s %3d/%d\n", groups[i].name, groups[i].pass, groups[i].total);
  printf ("valid %d/%d, invalid %d/%d\n", valid_pass, valid_total, invalid_pass, invalid_total);
  printf ("%d passed, %d failed\n", passed, failed);
  if (passed == 0)
    {
      fprintf (stderr, "FAIL: the list %s named no cases\n", list_path);
      return 1;
    }
  return failed ? 1 : 0;
}
