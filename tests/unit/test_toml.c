/* The TOML parser: error messages (exact text), limits, origins, the value
 * API, emitting and JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#include "config/toml.h"
#include "config/toml_json.h"
#include "util/cleanup.h"

/* Parses text that must fail and returns the message (static storage). */
static const char *parse_fail (const char *text)
{
  static char msg[512];
  _cleanup_toml_ struct toml_value *doc = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (toml_parse (text, strlen (text), "~/.coi/config.toml", &doc, &err), -1);
  assert_non_null (err);
  assert_null (doc);
  snprintf (msg, sizeof msg, "%s", err->msg);
  return msg;
}

static struct toml_value *ok (const char *text)
{
  struct toml_value *doc = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (toml_parse (text, strlen (text), "t.toml", &doc, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  return doc;
}

static void test_error_messages (void **state)
{
  (void) state;
  static const struct
  {
    const char *in, *msg;
  } cases[] = {
    { "[network]\nmode \"open\"\n", "~/.coi/config.toml:2:6: expected '=' after key \"mode\"" },
    { "a.\"b c\" 1", "~/.coi/config.toml:1:9: expected '=' after key \"a.\"b c\"\"" },
    { "a = ", "~/.coi/config.toml:1:5: expected a value, found end of file" },
    { "a = \n", "~/.coi/config.toml:1:5: expected a value, found end of line" },
    { "a = @", "~/.coi/config.toml:1:5: expected a value, found '@'" },
    { "a = hello", "~/.coi/config.toml:1:5: invalid value \"hello\" (strings need quotes)" },
    { "a = 1\na = 2", "~/.coi/config.toml:2:1: duplicate key \"a\"" },
    { "a = 1 b = 2", "~/.coi/config.toml:1:7: expected a newline after the value" },
    { "a = \"abc", "~/.coi/config.toml:1:5: unterminated string" },
    { "a = \"abc\nd\"", "~/.coi/config.toml:1:9: unterminated string: newline before the closing quote" },
    { "a = \"\\q\"", "~/.coi/config.toml:1:6: invalid escape sequence \"\\q\"" },
    { "a = \"\\uD800\"", "~/.coi/config.toml:1:6: escape \"\\uD800\" is not a Unicode scalar value" },
    { "a = \"\\u12\"", "~/.coi/config.toml:1:6: expected 4 hex digits after \"\\u\"" },
    { "a = \"x\x01\"", "~/.coi/config.toml:1:7: control character U+0001 not allowed in a string" },
    { "# \x7f\n", "~/.coi/config.toml:1:3: control character U+007F not allowed in a comment" },
    { "a = 1\r", "~/.coi/config.toml:1:6: carriage return not followed by a newline" },
    { "a = \"\xc3\x28\"", "~/.coi/config.toml:1:6: invalid UTF-8" },
    { "a = \"\xed\xa0\x80\"", "~/.coi/config.toml:1:6: invalid UTF-8" },
    { "a = \"\xc0\xaf\"", "~/.coi/config.toml:1:6: invalid UTF-8" },
    { "a = 9223372036854775808", "~/.coi/config.toml:1:5: integer \"9223372036854775808\" does not fit in 64 bits" },
    { "a = -9223372036854775809", "~/.coi/config.toml:1:5: integer \"-9223372036854775809\" does not fit in 64 bits" },
    { "a = 0x1_0000_0000_0000_0000", "~/.coi/config.toml:1:5: integer \"0x1_0000_0000_0000_0000\" does not fit in 64 bits" },
    { "a = 012", "~/.coi/config.toml:1:5: leading zeros are not allowed in \"012\"" },
    { "a = 1__2", "~/.coi/config.toml:1:5: invalid integer \"1__2\"" },
    { "a = 1.", "~/.coi/config.toml:1:5: invalid number \"1.\"" },
    { "a = 1979-02-29", "~/.coi/config.toml:1:5: invalid date or time \"1979-02-29\"" },
    { "a = 07:60:00", "~/.coi/config.toml:1:5: invalid date or time \"07:60:00\"" },
    { "a = [1 2]", "~/.coi/config.toml:1:8: expected ',' or ']' in array" },
    { "a = [1,,2]", "~/.coi/config.toml:1:8: expected a value before ','" },
    { "a = [1,\n", "~/.coi/config.toml:1:5: unterminated array: expected ']'" },
    { "a = {b = 1,}", "~/.coi/config.toml:1:12: trailing comma is not allowed in an inline table" },
    { "a = {b = 1\n}", "~/.coi/config.toml:1:11: newlines are not allowed in an inline table" },
    { "a = {b = 1 c = 2}", "~/.coi/config.toml:1:12: expected ',' or '}' in inline table" },
    { "a = {b = 1", "~/.coi/config.toml:1:11: unterminated inline table: expected '}'" },
    { "[a]\n[a]", "~/.coi/config.toml:2:1: table [a] is defined more than once" },
    { "a = 1\n[a]", "~/.coi/config.toml:2:1: cannot define table [a]: it is already a value" },
    { "a = {}\n[a.b]", "~/.coi/config.toml:2:2: cannot define a table under \"a\": it is an inline table" },
    { "a = []\n[[a]]", "~/.coi/config.toml:2:1: cannot append to [[a]]: it is already an array" },
    { "[[a]]\n[a]", "~/.coi/config.toml:2:1: cannot define table [a]: it is already an array of tables" },
    { "a.b = 1\n[a]", "~/.coi/config.toml:2:1: table [a] is defined more than once" },
    { "[a.b]\n[a]\nb.c = 1", "~/.coi/config.toml:3:1: cannot add keys to \"b\": it is already defined as a table" },
    { "a = {b = 1}\na.c = 2", "~/.coi/config.toml:2:1: cannot add keys to \"a\": it is already defined as an inline table" },
    { "a = 1\na.b = 2", "~/.coi/config.toml:2:1: cannot add keys to \"a\": it is already defined as a value" },
    { "[a", "~/.coi/config.toml:1:3: expected ']' to close the table header" },
    { "[[a]", "~/.coi/config.toml:1:4: expected ']]' to close the table header" },
    { "[a] x", "~/.coi/config.toml:1:5: expected a newline after the table header" },
    { "= 1", "~/.coi/config.toml:1:1: expected a key, found '='" },
    { "\"\"\"a\"\"\" = 1", "~/.coi/config.toml:1:1: a key cannot be a multi-line string" },
    { "a = \"\"\"x\"\"\"\"\"\"", "~/.coi/config.toml:1:14: too many quotes at the end of a multi-line string" },
    { "a = '''x", "~/.coi/config.toml:1:5: unterminated multi-line string" },
    { "a = 1\n\xc3\xa9 = 2", "~/.coi/config.toml:2:1: expected a key, found '\xc3\xa9'" },
    { "k = \"\xc3\xa9\" x", "~/.coi/config.toml:1:9: expected a newline after the value" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      const char *got = parse_fail (cases[i].in);
      if (strcmp (got, cases[i].msg) != 0)
        fail_msg ("case %zu: got  %s\n          want %s", i, got, cases[i].msg);
    }
}

static void test_depth_limit (void **state)
{
  (void) state;
  char buf[1024];
  /* 128 nested arrays parse; 129 do not. */
  for (int depth = 128; depth <= 129; depth++)
    {
      size_t n = (size_t) snprintf (buf, sizeof buf, "a = ");
      for (int i = 0; i < depth; i++)
        buf[n++] = '[';
      for (int i = 0; i < depth; i++)
        buf[n++] = ']';
      buf[n] = '\0';
      _cleanup_toml_ struct toml_value *doc = NULL;
      _cleanup_error_ coi_error_t err = NULL;
      int r = toml_parse (buf, n, "deep.toml", &doc, &err);
      if (depth == 128)
        assert_int_equal (r, 0);
      else
        {
          assert_int_equal (r, -1);
          assert_string_equal (err->msg, "deep.toml:1:133: values nest deeper than 128 levels");
        }
    }
  /* Inline tables count too, and so do dotted keys and headers. */
  size_t n = (size_t) snprintf (buf, sizeof buf, "a = ");
  for (int i = 0; i < 130; i++)
    n += (size_t) snprintf (buf + n, sizeof buf - n, "{b=");
  n += (size_t) snprintf (buf + n, sizeof buf - n, "1");
  for (int i = 0; i < 130; i++)
    buf[n++] = '}';
  buf[n] = '\0';
  assert_string_equal (parse_fail (buf), "~/.coi/config.toml:1:389: values nest deeper than 128 levels");
  n = 0;
  buf[n++] = '[';
  for (int i = 0; i < 129; i++)
    n += (size_t) snprintf (buf + n, sizeof buf - n, "%sa", i ? "." : "");
  buf[n++] = ']';
  buf[n] = '\0';
  assert_string_equal (parse_fail (buf), "~/.coi/config.toml:1:258: key has more than 128 parts");
  /* A header that is deep already, plus a dotted key. */
  n = 0;
  buf[n++] = '[';
  for (int i = 0; i < 128; i++)
    n += (size_t) snprintf (buf + n, sizeof buf - n, "%sa", i ? "." : "");
  n += (size_t) snprintf (buf + n, sizeof buf - n, "]\nb = 1\n");
  _cleanup_toml_ struct toml_value *deep = ok (buf);
  n += (size_t) snprintf (buf + n, sizeof buf - n, "c.d = 1\n");
  assert_string_equal (parse_fail (buf), "~/.coi/config.toml:3:1: tables nest deeper than 128 levels");
}

static void test_origins_and_order (void **state)
{
  (void) state;
  _cleanup_toml_ struct toml_value *doc = ok ("z = 1\n\n[net]\n  mode = \"open\"\n  list = [\n 1,\n  2]\na = true\n");
  assert_int_equal (doc->u.tab.n, 2);
  assert_string_equal (doc->u.tab.items[0].key, "z");
  assert_string_equal (doc->u.tab.items[1].key, "net");
  const struct toml_value *mode = toml_get_path (doc, "net.mode");
  assert_non_null (mode);
  assert_string_equal (toml_origin_file (mode), "t.toml");
  assert_int_equal (mode->origin.line, 4);
  assert_int_equal (mode->origin.col, 3);
  const struct toml_value *list = toml_get_path (doc, "net.list");
  assert_int_equal (list->u.arr.items[1]->origin.line, 7);
  assert_int_equal (list->u.arr.items[1]->origin.col, 3);
  assert_int_equal (toml_get_path (doc, "net")->origin.line, 3);
  assert_int_equal (toml_get_path (doc, "net.a")->origin.line, 8);
}

static void test_scalar_values (void **state)
{
  (void) state;
  _cleanup_toml_ struct toml_value *doc
      = ok ("f = 1_000.5e-1\nh = 0xff\no = 0o17\nb = 0b101\nn = -nan\nin = +inf\nmin = -9223372036854775808\n"
            "d = 1979-05-27T07:32:00.123456789-07:00\nt = 07:32:00.5\nld = 1979-05-27\nldt = 1979-05-27 07:32:00\n"
            "s = \"\"\"\\\n   a\\tb \\\n  c\"\"\"\nl = '''\nx\\y'''\nz = \"\\u0000\"\n");
  assert_true (fabs (toml_table_get (doc, "f")->u.f - 100.05) < 1e-9);
  assert_int_equal (toml_table_get (doc, "h")->u.i, 255);
  assert_int_equal (toml_table_get (doc, "o")->u.i, 15);
  assert_int_equal (toml_table_get (doc, "b")->u.i, 5);
  assert_true (isnan (toml_table_get (doc, "n")->u.f));
  assert_true (isinf (toml_table_get (doc, "in")->u.f));
  assert_true (toml_table_get (doc, "min")->u.i == INT64_MIN);
  char buf[64];
  const struct toml_value *d = toml_table_get (doc, "d");
  assert_int_equal (d->type, TOML_DATETIME);
  assert_int_equal (toml_datetime_format (d->type, &d->u.dt, buf, sizeof buf), 0);
  assert_string_equal (buf, "1979-05-27T07:32:00.123456789-07:00");
  const struct toml_value *t = toml_table_get (doc, "t");
  assert_int_equal (toml_datetime_format (t->type, &t->u.dt, buf, sizeof buf), 0);
  assert_string_equal (buf, "07:32:00.5");
  assert_int_equal (toml_table_get (doc, "ld")->type, TOML_DATE_LOCAL);
  assert_int_equal (toml_table_get (doc, "ldt")->type, TOML_DATETIME_LOCAL);
  assert_string_equal (toml_table_get (doc, "s")->u.s.ptr, "a\tb c");
  assert_string_equal (toml_table_get (doc, "l")->u.s.ptr, "x\\y");
  assert_int_equal (toml_table_get (doc, "z")->u.s.len, 1);
  toml_float_format (0.1, buf, sizeof buf);
  assert_string_equal (buf, "0.1");
  toml_float_format (1e300, buf, sizeof buf);
  assert_string_equal (buf, "1e+300");
  toml_float_format (3.0, buf, sizeof buf);
  assert_string_equal (buf, "3.0");
}

static void test_locale_independent (void **state)
{
  (void) state;
  /* A locale with a decimal comma must not change how floats are read or
   * written; build one with localedef when none is installed. */
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") == NULL)
    {
      char dir[] = "/tmp/coi-locale-XXXXXX", out[64];
      assert_non_null (mkdtemp (dir));
      snprintf (out, sizeof out, "%s/de_DE.UTF-8", dir);
      char *argv[] = { "localedef", "-i", "de_DE", "-f", "UTF-8", out, NULL };
      pid_t pid;
      int status = 0;
      if (posix_spawnp (&pid, "localedef", NULL, NULL, argv, environ) == 0)
        waitpid (pid, &status, 0);
      setenv ("LOCPATH", dir, 1);
    }
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") == NULL)
    skip ();
  assert_string_equal (localeconv ()->decimal_point, ",");
  _cleanup_toml_ struct toml_value *doc = ok ("f = 3.25\n");
  char buf[32];
  toml_float_format (toml_table_get (doc, "f")->u.f, buf, sizeof buf);
  setlocale (LC_NUMERIC, "C");
  assert_true (toml_table_get (doc, "f")->u.f == 3.25);
  assert_string_equal (buf, "3.25");
}

static void test_big_table_and_api (void **state)
{
  (void) state;
  _cleanup_toml_ struct toml_value *t = toml_new (TOML_TABLE);
  char key[32];
  for (int i = 0; i < 1000; i++)
    {
      snprintf (key, sizeof key, "k%d", i);
      assert_int_equal (toml_table_set (t, key, strlen (key), toml_new_int (i)), 0);
    }
  for (int i = 0; i < 1000; i += 37)
    {
      snprintf (key, sizeof key, "k%d", i);
      assert_int_equal (toml_table_get (t, key)->u.i, i);
    }
  assert_true (toml_table_remove (t, "k500", 4));
  assert_false (toml_table_remove (t, "k500", 4));
  assert_null (toml_table_get (t, "k500"));
  assert_int_equal (toml_table_get (t, "k999")->u.i, 999);
  assert_int_equal (t->u.tab.items[500].value->u.i, 501);
  _cleanup_toml_ struct toml_value *c = toml_copy (t);
  assert_true (toml_equal (t, c));
  toml_table_set (c, "k1", 2, toml_new_string ("x", 1));
  assert_false (toml_equal (t, c));
}

static void test_emit_round_trip (void **state)
{
  (void) state;
  const char *src = "title = \"x\\ty\"\n\"quoted key\" = 1\n[a.b]\nc = [1, 2.5, true, 1979-05-27]\n"
                    "d = { e = 1, f.g = \"h\" }\n[[arr]]\nx = 1\n[[arr]]\n[arr.sub]\ny = 2\n[empty]\n";
  _cleanup_toml_ struct toml_value *doc = ok (src);
  _cleanup_free_ char *text = toml_emit (doc);
  assert_non_null (text);
  _cleanup_toml_ struct toml_value *again = ok (text);
  assert_true (toml_equal (doc, again));
  assert_string_equal (text, "title = \"x\\ty\"\n\"quoted key\" = 1\n\n[a]\n\n[a.b]\nc = [1, 2.5, true, 1979-05-27]\n"
                             "d = { e = 1, f = { g = \"h\" } }\n\n[[arr]]\nx = 1\n\n[[arr]]\n\n[arr.sub]\ny = 2\n\n"
                             "[empty]\n");
  _cleanup_free_ char *k = NULL;
  assert_int_equal (toml_emit_key ("a b", 3, &k), 0);
  assert_string_equal (k, "\"a b\"");
}

static void test_json (void **state)
{
  (void) state;
  _cleanup_toml_ struct toml_value *doc = ok ("a = 0xff\nb = [1.5, \"s\"]\n[t]\nd = 07:32:00\n");
  _cleanup_json_ json_t *tagged = toml_to_json (doc, true);
  _cleanup_free_ char *ts = json_dumps (tagged, JSON_COMPACT | JSON_SORT_KEYS);
  assert_string_equal (ts, "{\"a\":{\"type\":\"integer\",\"value\":\"255\"},\"b\":[{\"type\":\"float\",\"value\":\"1.5\"},"
                           "{\"type\":\"string\",\"value\":\"s\"}],\"t\":{\"d\":{\"type\":\"time-local\",\"value\":"
                           "\"07:32:00\"}}}");
  _cleanup_json_ json_t *plain = toml_to_json (doc, false);
  _cleanup_free_ char *ps = json_dumps (plain, JSON_COMPACT | JSON_SORT_KEYS);
  assert_string_equal (ps, "{\"a\":255,\"b\":[1.5,\"s\"],\"t\":{\"d\":\"07:32:00\"}}");
}

static void test_parse_file (void **state)
{
  (void) state;
  char path[] = "/tmp/coi-toml-XXXXXX";
  int fd = mkstemp (path);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "a = 1\n", 6), 6);
  close (fd);
  _cleanup_toml_ struct toml_value *doc = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (toml_parse_file (path, "shown.toml", &doc, &err), 0);
  assert_int_equal (toml_table_get (doc, "a")->u.i, 1);
  unlink (path);
  assert_int_equal (toml_parse_file (path, "shown.toml", &doc, &err), -1);
  assert_string_equal (err->msg, "open shown.toml: No such file or directory");
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_error_messages),
    cmocka_unit_test (test_depth_limit),
    cmocka_unit_test (test_origins_and_order),
    cmocka_unit_test (test_scalar_values),
    cmocka_unit_test (test_locale_independent),
    cmocka_unit_test (test_big_table_and_api),
    cmocka_unit_test (test_emit_round_trip),
    cmocka_unit_test (test_json),
    cmocka_unit_test (test_parse_file),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
