/* The audit log and what goes into it: one JSON object a line, appended and
 * never rewritten (concurrent writers included), read back whole lines only,
 * retention by file age; the responder's decisions and de-duplication; the
 * session spec round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include "monitor/audit.h"
#include "monitor/audit_read.h"
#include "monitor/guard_spec.h"
#include "monitor/responder.h"
#include "monitor/threat.h"
#include "util/cleanup.h"

static char dir[] = "/tmp/coi-unit-audit-XXXXXX";

static int setup (void **state)
{
  (void) state;
  return mkdtemp (dir) ? 0 : -1;
}

static int teardown (void **state)
{
  (void) state;
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  return system (cmd) == 0 ? 0 : -1;
}

struct lines
{
  int n;
  int bad;
  json_t *last;
};

static void count_line (const char *line, json_t *rec, void *data)
{
  (void) line;
  struct lines *l = data;
  l->n++;
  if (rec == NULL)
    l->bad++;
  else
    {
      if (l->last)
        json_decref (l->last);
      l->last = json_incref (rec);
    }
}

static void test_append_is_one_line_per_record (void **state)
{
  (void) state;
  char path[128];
  snprintf (path, sizeof path, "%s/one.jsonl", dir);
  struct coi_audit a;
  coi_error_t err = NULL;
  assert_int_equal (coi_audit_open (&a, path, "coi-x-1", &err), 0);
  _cleanup_json_ json_t *f = json_pack ("{s:s, s:{s:s}}", "event", "start", "details", "text", "line\nbreak \"q\"");
  assert_int_equal (coi_audit_append (&a, COI_AUDIT_SESSION, f, true, &err), 0);
  assert_int_equal (coi_audit_append (&a, COI_AUDIT_SAMPLE, f, false, &err), 0);
  coi_audit_close (&a);
  struct stat st;
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  struct coi_audit_reader rd;
  bool exists = false;
  assert_int_equal (coi_audit_reader_open (&rd, path, &exists, &err), 0);
  assert_true (exists);
  struct lines l = { 0 };
  assert_int_equal (coi_audit_reader_poll (&rd, path, count_line, &l), 2);
  assert_int_equal (l.bad, 0);
  assert_string_equal (json_string_value (json_object_get (l.last, "container")), "coi-x-1");
  assert_string_equal (json_string_value (json_object_get (l.last, "type")), "sample");
  const char *ts = json_string_value (json_object_get (l.last, "timestamp"));
  assert_int_equal (strlen (ts), 24); /* 2026-11-26T23:33:00.123Z */
  assert_int_equal (ts[23], 'Z');
  json_decref (l.last);
  coi_audit_reader_close (&rd);
}

static void test_concurrent_writers_never_interleave (void **state)
{
  (void) state;
  char path[128];
  snprintf (path, sizeof path, "%s/many.jsonl", dir);
  enum { WRITERS = 4, EACH = 300 };
  for (int w = 0; w < WRITERS; w++)
    {
      pid_t pid = fork ();
      assert_true (pid >= 0);
      if (pid == 0)
        {
          struct coi_audit a;
          coi_error_t err = NULL;
          if (coi_audit_open (&a, path, "coi-x-2", &err) < 0)
            _exit (1);
          char pad[3000];
          memset (pad, 'a' + w, sizeof pad - 1);
          pad[sizeof pad - 1] = '\0';
          for (int i = 0; i < EACH; i++)
            {
              json_t *f = json_pack ("{s:i, s:i, s:s}", "writer", w, "i", i, "pad", pad);
              if (coi_audit_append (&a, COI_AUDIT_SAMPLE, f, false, &err) < 0)
                _exit (1);
              json_decref (f);
            }
          coi_audit_close (&a);
          _exit (0);
        }
    }
  for (int w = 0; w < WRITERS; w++)
    {
      int st;
      assert_true (wait (&st) > 0);
      assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
    }
  struct coi_audit_reader rd;
  bool exists;
  coi_error_t err = NULL;
  assert_int_equal (coi_audit_reader_open (&rd, path, &exists, &err), 0);
  struct lines l = { 0 };
  assert_int_equal (coi_audit_reader_poll (&rd, path, count_line, &l), WRITERS * EACH);
  assert_int_equal (l.bad, 0);
  json_decref (l.last);
  coi_audit_reader_close (&rd);
}

static void test_reader_waits_for_whole_lines (void **state)
{
  (void) state;
  char path[128];
  snprintf (path, sizeof path, "%s/partial.jsonl", dir);
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "{\"type\":\"session\"}\n{\"type\":\"thr", 31), 31);
  struct coi_audit_reader rd;
  bool exists;
  coi_error_t err = NULL;
  assert_int_equal (coi_audit_reader_open (&rd, path, &exists, &err), 0);
  struct lines l = { 0 };
  assert_int_equal (coi_audit_reader_poll (&rd, path, count_line, &l), 1);
  assert_int_equal (write (fd, "eat\"}\n", 6), 6);
  assert_int_equal (coi_audit_reader_poll (&rd, path, count_line, &l), 1);
  assert_int_equal (l.bad, 0);
  assert_string_equal (json_string_value (json_object_get (l.last, "type")), "threat");
  json_decref (l.last);
  close (fd);
  coi_audit_reader_close (&rd);
}

static void test_retention_removes_old_files_only (void **state)
{
  (void) state;
  char old[160], fresh[160], other[160];
  snprintf (old, sizeof old, "%s/old.jsonl", dir);
  snprintf (fresh, sizeof fresh, "%s/fresh.jsonl", dir);
  snprintf (other, sizeof other, "%s/notes.txt", dir);
  const char *paths[] = { old, fresh, other };
  for (int i = 0; i < 3; i++)
    {
      FILE *f = fopen (paths[i], "w");
      assert_non_null (f);
      fclose (f);
    }
  time_t now = time (NULL);
  struct utimbuf t = { now - 40 * 86400, now - 40 * 86400 };
  assert_int_equal (utime (old, &t), 0);
  assert_int_equal (utime (other, &t), 0);
  int removed = -1;
  coi_error_t err = NULL;
  assert_int_equal (coi_audit_prune (dir, 0, now, &removed, &err), 0);
  assert_int_equal (removed, 0); /* 0 days: keep everything */
  assert_int_equal (coi_audit_prune (dir, 30, now, &removed, &err), 0);
  assert_int_equal (removed, 1);
  assert_int_not_equal (access (old, F_OK), 0);
  assert_int_equal (access (fresh, F_OK), 0);
  assert_int_equal (access (other, F_OK), 0);
}

static void test_text_format (void **state)
{
  (void) state;
  _cleanup_json_ json_t *t = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i}", "timestamp",
                                        "2026-11-26T23:33:00.123Z", "type", "threat", "level", "critical", "category",
                                        "process", "rule", "reverse-shell", "title", "Reverse shell: bash", "action",
                                        "killed", "repeats_suppressed", 3);
  _cleanup_buf_ struct buf out = { 0 };
  assert_int_equal (coi_audit_format_text (t, &out), 0);
  assert_string_equal (out.data,
                       "2026-11-26 23:33:00  CRITICAL  process/reverse-shell  Reverse shell: bash -> killed (+3 repeats)");
  _cleanup_json_ json_t *s = json_pack ("{s:s, s:s, s:s, s:{s:s, s:i}}", "timestamp", "2026-11-26T23:33:00.123Z", "type",
                                        "session", "event", "stop", "details", "reason", "killed", "code", 0);
  buf_reset (&out);
  assert_int_equal (coi_audit_format_text (s, &out), 0);
  assert_string_equal (out.data, "2026-11-26 23:33:00  session   stop reason=killed code=0");
}

static void test_json_text_sanitizes (void **state)
{
  (void) state;
  const char raw[] = "ok\x01\xff\xc3\xa9 tail";
  _cleanup_json_ json_t *j = coi_json_text (raw, sizeof raw - 1, 100);
  assert_non_null (j);
  assert_string_equal (json_string_value (j), "ok??\xc3\xa9 tail");
  _cleanup_json_ json_t *k = coi_json_text ("abcdef", 6, 3);
  assert_string_equal (json_string_value (k), "abc");
}

static void threat (struct coi_threat *t, enum coi_level level, const char *detail)
{
  assert_int_equal (coi_threat_set (t, level, "network", "test", NULL, detail, "t %s", detail), 0);
}

static void test_responder_levels_and_dedupe (void **state)
{
  (void) state;
  struct coi_responder r;
  coi_responder_init (&r, true, true, 30);
  struct coi_threat t;
  threat (&t, COI_LEVEL_INFO, "a");
  assert_int_equal (coi_responder_decide (&r, &t, 1000), COI_ACTION_LOGGED);
  coi_threat_clear (&t);
  threat (&t, COI_LEVEL_WARNING, "b");
  assert_int_equal (coi_responder_decide (&r, &t, 1000), COI_ACTION_ALERTED);
  /* Same finding inside the window: folded, then counted in the next record. */
  assert_int_equal (coi_responder_decide (&r, &t, 1010), COI_ACTION_DEDUPLICATED);
  assert_int_equal (coi_responder_decide (&r, &t, 1020), COI_ACTION_DEDUPLICATED);
  assert_int_equal (coi_responder_decide (&r, &t, 1031), COI_ACTION_ALERTED);
  assert_int_equal (r.suppressed, 2);
  coi_threat_clear (&t);
  threat (&t, COI_LEVEL_HIGH, "c");
  assert_int_equal (coi_responder_decide (&r, &t, 1100), COI_ACTION_PAUSE);
  r.paused = true;
  coi_threat_clear (&t);
  threat (&t, COI_LEVEL_HIGH, "d");
  assert_int_equal (coi_responder_decide (&r, &t, 1101), COI_ACTION_ALREADY_PAUSED);
  coi_threat_clear (&t);
  /* Critical is never folded while the container lives: a failed kill is retried. */
  threat (&t, COI_LEVEL_CRITICAL, "e");
  assert_int_equal (coi_responder_decide (&r, &t, 1200), COI_ACTION_KILL);
  assert_int_equal (coi_responder_decide (&r, &t, 1201), COI_ACTION_KILL);
  r.killed = true;
  assert_int_equal (coi_responder_decide (&r, &t, 1202), COI_ACTION_ALREADY_KILLED);
  coi_threat_clear (&t);
  coi_responder_clear (&r);
}

static void test_responder_without_auto_actions (void **state)
{
  (void) state;
  struct coi_responder r;
  coi_responder_init (&r, false, false, 30);
  struct coi_threat t;
  threat (&t, COI_LEVEL_HIGH, "x");
  assert_int_equal (coi_responder_decide (&r, &t, 10), COI_ACTION_ALERTED);
  coi_threat_clear (&t);
  threat (&t, COI_LEVEL_CRITICAL, "y");
  assert_int_equal (coi_responder_decide (&r, &t, 10), COI_ACTION_ALERTED);
  assert_int_equal (coi_responder_decide (&r, &t, 11), COI_ACTION_DEDUPLICATED);
  coi_threat_clear (&t);
  /* A full table forgets the oldest, never grows. */
  for (int i = 0; i < COI_DEDUPE_SLOTS + 10; i++)
    {
      char d[16];
      snprintf (d, sizeof d, "k%d", i);
      threat (&t, COI_LEVEL_WARNING, d);
      assert_int_equal (coi_responder_decide (&r, &t, 20 + i), COI_ACTION_ALERTED);
      coi_threat_clear (&t);
    }
  coi_responder_clear (&r);
}

static void test_threat_json (void **state)
{
  (void) state;
  struct coi_threat t;
  assert_int_equal (coi_threat_set (&t, COI_LEVEL_CRITICAL, "process", "reverse-shell",
                                    json_pack ("{s:i}", "pid", 7), "pid:7", "Reverse shell %d", 7), 0);
  assert_string_equal (t.dedupe_key, "process:reverse-shell:pid:7");
  _cleanup_json_ json_t *j = coi_threat_to_json (&t, "1-1", "killed");
  assert_string_equal (json_string_value (json_object_get (j, "level")), "critical");
  assert_string_equal (json_string_value (json_object_get (j, "title")), "Reverse shell 7");
  assert_int_equal (json_integer_value (json_object_get (json_object_get (j, "evidence"), "pid")), 7);
  assert_non_null (json_object_get (j, "detected_at"));
  coi_threat_clear (&t);
  assert_int_equal (coi_level_parse ("HIGH"), COI_LEVEL_HIGH);
  assert_int_equal (coi_level_parse ("bogus"), -1);
}

static void test_guard_spec_round_trip (void **state)
{
  (void) state;
  char path[128];
  snprintf (path, sizeof path, "%s/spec.json", dir);
  struct coi_guard_spec s;
  coi_guard_spec_init (&s);
  s.container = strdup ("coi-abc12345-1");
  s.ephemeral = true;
  s.started_at = 1700000000;
  s.max_duration_sec = 5;
  s.network_mode = strdup ("allowlist");
  s.allowed = json_pack ("[s, s]", "1.2.3.4", "10.0.0.0/8");
  s.monitoring.enabled = true;
  s.monitoring.process_count_threshold = 42;
  s.log_group = 7305;
  s.log_path = strdup ("/home/u/.coi/logs/network.log");
  coi_error_t err = NULL;
  assert_int_equal (coi_guard_spec_save (path, &s, &err), 0);
  struct stat st;
  assert_int_equal (stat (path, &st), 0);
  assert_int_equal (st.st_mode & 0777, 0600);
  struct coi_guard_spec r;
  coi_guard_spec_init (&r);
  assert_int_equal (coi_guard_spec_load (path, &r, &err), 0);
  assert_string_equal (r.container, "coi-abc12345-1");
  assert_true (r.ephemeral);
  assert_int_equal (r.started_at, 1700000000);
  assert_int_equal (r.max_duration_sec, 5);
  assert_string_equal (r.network_mode, "allowlist");
  assert_int_equal (json_array_size (r.allowed), 2);
  assert_true (r.monitoring.enabled);
  assert_int_equal (r.monitoring.process_count_threshold, 42);
  assert_int_equal (r.monitoring.poll_interval_sec, 2);
  assert_int_equal (r.log_group, 7305);
  assert_string_equal (r.log_path, "/home/u/.coi/logs/network.log");
  coi_guard_spec_clear (&r);
  coi_guard_spec_clear (&s);
  /* What a spec without allowlist or limits saves loads again. */
  struct coi_guard_spec bare;
  coi_guard_spec_init (&bare);
  bare.container = strdup ("coi-abc12345-2");
  assert_int_equal (coi_guard_spec_save (path, &bare, &err), 0);
  coi_guard_spec_clear (&bare);
  coi_guard_spec_init (&bare);
  assert_int_equal (coi_guard_spec_load (path, &bare, &err), 0);
  assert_null (bare.allowed);
  assert_null (bare.limits);
  assert_int_equal (bare.log_group, 0);
  assert_null (bare.log_path);
  coi_guard_spec_clear (&bare);
  /* The supervisor runs from /: a relative log path would land anywhere. */
  _cleanup_json_ json_t *rel = json_pack ("{s:s, s:{s:s, s:i, s:s}}", "container", "coi-abc12345-3", "network", "mode",
                                          "restricted", "log_group", 7305, "log_path", "logs/network.log");
  _cleanup_json_ json_t *big = json_pack ("{s:s, s:{s:i}}", "container", "coi-abc12345-3", "network", "log_group", 70000);
  coi_guard_spec_init (&bare);
  _cleanup_error_ coi_error_t e1 = NULL, e2 = NULL;
  assert_int_equal (coi_guard_spec_from_json (&bare, rel, &e1), -1);
  assert_non_null (strstr (e1->msg, "log_path"));
  coi_guard_spec_clear (&bare);
  coi_guard_spec_init (&bare);
  assert_int_equal (coi_guard_spec_from_json (&bare, big, &e2), -1);
  assert_non_null (strstr (e2->msg, "log_group"));
  coi_guard_spec_clear (&bare);
}

static void test_monitor_settings_errors_name_the_key (void **state)
{
  (void) state;
  struct coi_monitor_settings s;
  coi_monitor_settings_defaults (&s);
  _cleanup_json_ json_t *ok = json_pack ("{s:b, s:f, s:i, s:{s:b}}", "enabled", 1, "file_read_threshold_mb", 5.5,
                                         "poll_interval_sec", 3, "nft", "enabled", 1);
  coi_error_t err = NULL;
  assert_int_equal (coi_monitor_settings_from_json (&s, ok, &err), 0);
  assert_true (s.enabled);
  assert_int_equal (s.poll_interval_sec, 3);
  _cleanup_json_ json_t *bad = json_pack ("{s:s}", "poll_interval_sec", "fast");
  _cleanup_error_ coi_error_t e2 = NULL;
  assert_int_equal (coi_monitor_settings_from_json (&s, bad, &e2), -1);
  assert_non_null (strstr (e2->msg, "monitoring.poll_interval_sec"));
  _cleanup_json_ json_t *unknown = json_pack ("{s:i}", "bogus", 1);
  _cleanup_error_ coi_error_t e3 = NULL;
  assert_int_equal (coi_monitor_settings_from_json (&s, unknown, &e3), -1);
  assert_non_null (strstr (e3->msg, "monitoring.bogus"));
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_append_is_one_line_per_record),
    cmocka_unit_test (test_concurrent_writers_never_interleave),
    cmocka_unit_test (test_reader_waits_for_whole_lines),
    cmocka_unit_test (test_retention_removes_old_files_only),
    cmocka_unit_test (test_text_format),
    cmocka_unit_test (test_json_text_sanitizes),
    cmocka_unit_test (test_responder_levels_and_dedupe),
    cmocka_unit_test (test_responder_without_auto_actions),
    cmocka_unit_test (test_threat_json),
    cmocka_unit_test (test_guard_spec_round_trip),
    cmocka_unit_test (test_monitor_settings_errors_name_the_key),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
