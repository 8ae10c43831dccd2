/* Alert lines on the attached terminal, without Incus: the notice format
 * (one line, no control bytes from the container, cut to the width), and
 * the attach hook on a run directory with a supervisor's lock held by a
 * child process: not guarded, nothing is hooked or created; guarded, each
 * appended alert comes out of the exec loop's extra descriptor as one
 * "[coi] " line in raw-mode form. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "incus/exec.h"
#include "monitor/alerts.h"
#include "monitor/paths.h"
#include "session/attach_alerts.h"
#include "term/notice.h"
#include "util/cleanup.h"

#define C "coi-unit-alerts"

static char dir[] = "/tmp/coi-unit-alerts-XXXXXX";

static int setup (void **state)
{
  (void) state;
  if (mkdtemp (dir) == NULL)
    return -1;
  return setenv ("COI_RUN_DIR", dir, 1);
}

static int teardown (void **state)
{
  (void) state;
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  return system (cmd) == 0 ? 0 : -1;
}

static void test_notice_raw_line (void **state)
{
  (void) state;
  char out[256];
  size_t n = term_notice_format ("[coi] ", "[WARNING] env scan in c1: alerted", 0, true, out, sizeof out);
  assert_string_equal (out, "\r\n[coi] [WARNING] env scan in c1: alerted\r\n");
  assert_int_equal (n, strlen (out));
  term_notice_format ("[coi] ", "plain", 0, false, out, sizeof out);
  assert_string_equal (out, "[coi] plain\n");
}

static void test_notice_no_control_bytes (void **state)
{
  (void) state;
  char out[256];
  term_notice_format ("[coi] ", "a\033]0;pwned\007b\nc\r\xc2\x9b" "d", 0, true, out, sizeof out);
  assert_string_equal (out, "\r\n[coi] a?]0;pwned?b?c???d\r\n");
}

static void test_notice_cut_to_width (void **state)
{
  (void) state;
  char out[256];
  term_notice_format ("[coi] ", "0123456789abcdef", 12, true, out, sizeof out);
  /* 11 columns: one short of the width, the cut marked. */
  assert_string_equal (out, "\r\n[coi] 01...\r\n");
  term_notice_format ("[coi] ", "01234", 12, true, out, sizeof out);
  assert_string_equal (out, "\r\n[coi] 01234\r\n");
  /* A small buffer cuts too, and stays terminated. */
  char small[12];
  term_notice_format ("[coi] ", "0123456789", 0, true, small, sizeof small);
  assert_string_equal (small, "\r\n[coi...\r\n");
}

/* A child holding the container's supervisor lock, as a supervisor does;
 * *release is written to end it. */
static pid_t hold_lock (int *release)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (coi_run_path (C, COI_RUN_LOCK, &path, &err), 0);
  int ready[2], done[2];
  assert_int_equal (pipe (ready), 0);
  assert_int_equal (pipe (done), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      close (done[1]); /* or the parent's close would never end our read */
      int fd = open (path, O_RDWR | O_CREAT, 0600);
      struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
      char b = 'x';
      if (fd < 0 || fcntl (fd, F_SETLK, &fl) < 0 || write (ready[1], &b, 1) != 1)
        _exit (1);
      if (read (done[0], &b, 1) < 0)
        _exit (1);
      _exit (0);
    }
  close (ready[1]);
  close (done[0]);
  char b;
  assert_int_equal (read (ready[0], &b, 1), 1);
  close (ready[0]);
  *release = done[1];
  return pid;
}

static void unhold (pid_t pid, int release)
{
  close (release);
  int st;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st) && WEXITSTATUS (st) == 0);
}

/* Wait for the extra descriptor, then run the hook's callback as the exec
 * loop does. */
static void pump (struct incus_exec_opts *o)
{
  struct pollfd pf = { .fd = o->extra_fd, .events = POLLIN };
  assert_int_equal (poll (&pf, 1, 5000), 1);
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (o->on_extra (o->extra_fd, o->extra_data, &err), 0);
}

static void read_all (int fd, char *buf, size_t len)
{
  ssize_t n = read (fd, buf, len - 1);
  assert_true (n >= 0);
  buf[n] = '\0';
}

static void test_not_guarded_hooks_nothing (void **state)
{
  (void) state;
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.interactive = true;
  o.stdout_fd = 1;
  /* Only a supervisor makes the alerts file: without one, no hook. */
  _cleanup_free_ char *before = NULL;
  _cleanup_error_ coi_error_t perr = NULL;
  assert_int_equal (coi_run_path_peek (C, COI_RUN_ALERTS, &before, &perr), 0);
  unlink (before);
  _cleanup_attach_alerts_ struct coi_attach_alerts a;
  coi_attach_alerts_hook (&a, C, &o, NULL);
  assert_null (o.on_extra);
  assert_int_equal (o.extra_fd, -1);
  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (coi_run_path_peek (C, COI_RUN_ALERTS, &path, &err), 0);
  struct stat st;
  assert_int_equal (stat (path, &st), -1); /* no file made for nobody */
}

static void test_guarded_alerts_come_out (void **state)
{
  (void) state;
  int release;
  pid_t holder = hold_lock (&release);
  int out[2];
  assert_int_equal (pipe2 (out, O_NONBLOCK), 0);

  _cleanup_free_ char *path = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (coi_run_path (C, COI_RUN_ALERTS, &path, &err), 0);
  /* An alert from before the attach was someone else's to see. */
  assert_int_equal (coi_alerts_append (path, "[HIGH] old one", &err), 0);

  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.interactive = true;
  o.stdout_fd = out[1];
  {
    _cleanup_attach_alerts_ struct coi_attach_alerts a;
    coi_attach_alerts_hook (&a, C, &o, NULL);
    assert_non_null (o.on_extra);
    assert_true (o.extra_fd >= 0);

    assert_int_equal (coi_alerts_append (path, "[WARNING] Environment scan in " C ": alerted", &err), 0);
    pump (&o);
    char got[512];
    read_all (out[0], got, sizeof got);
    assert_string_equal (got, "\r\n[coi] [WARNING] Environment scan in " C ": alerted\r\n");

    assert_int_equal (coi_alerts_append (path, "[HIGH] a\033[2Jb", &err), 0);
    assert_int_equal (coi_alerts_append (path, "[CRITICAL] c", &err), 0);
    pump (&o);
    read_all (out[0], got, sizeof got);
    assert_string_equal (got, "\r\n[coi] [HIGH] a?[2Jb\r\n\r\n[coi] [CRITICAL] c\r\n");
  }
  /* Not interactive: plain lines on stderr's descriptor. */
  struct incus_exec_opts p = INCUS_EXEC_OPTS_INIT;
  p.stdout_fd = 1;
  p.stderr_fd = out[1];
  {
    _cleanup_attach_alerts_ struct coi_attach_alerts a;
    coi_attach_alerts_hook (&a, C, &p, NULL);
    assert_int_equal (coi_alerts_append (path, "[WARNING] w", &err), 0);
    pump (&p);
    char got[512];
    read_all (out[0], got, sizeof got);
    assert_string_equal (got, "[coi] [WARNING] w\n");
  }
  close (out[0]);
  close (out[1]);
  unhold (holder, release);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_notice_raw_line),
    cmocka_unit_test (test_notice_no_control_bytes),
    cmocka_unit_test (test_notice_cut_to_width),
    cmocka_unit_test (test_not_guarded_hooks_nothing),
    cmocka_unit_test (test_guarded_alerts_come_out),
  };
  return cmocka_run_group_tests_name ("attach-alerts", tests, setup, teardown);
}
