/* `coi container exec` as a process: capture as JSON and raw, streaming
 * with the exit code propagated, flags, usage errors (exit 2) and the
 * one-line error for a missing instance.  Usage: test_exec_cli PATH-TO-COI */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/buf.h"
#include "util/cleanup.h"

#include "test_exec_fixture.h"

static const char *coi_path;

#define ARGS(...) ((const char *const[]) { __VA_ARGS__, NULL })

struct result
{
  int code;
  struct buf out, err;
};

static void result_free (struct result *r)
{
  buf_free (&r->out);
  buf_free (&r->err);
}
#define _cleanup_result_ __attribute__ ((cleanup (result_free)))

/* Run `coi container exec NAME <args>` with stdin from stdin_fd (-1:
 * /dev/null), collecting stdout and stderr apart. */
static void coi_exec (const char *name, const char *const *args, int stdin_fd, struct result *r)
{
  const char *argv[32] = { coi_path, "container", "exec" };
  int n = 3;
  if (name)
    argv[n++] = name;
  for (const char *const *a = args; *a && n < 31; a++)
    argv[n++] = *a;
  argv[n] = NULL;

  int po[2], pe[2];
  assert_int_equal (pipe2 (po, O_CLOEXEC), 0);
  assert_int_equal (pipe2 (pe, O_CLOEXEC), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      int in = stdin_fd >= 0 ? stdin_fd : open ("/dev/null", O_RDONLY);
      if (in < 0 || dup2 (in, 0) < 0 || dup2 (po[1], 1) < 0 || dup2 (pe[1], 2) < 0)
        _exit (126);
      execv (coi_path, (char *const *) argv);
      _exit (126);
    }
  close (po[1]);
  close (pe[1]);
  memset (r, 0, sizeof *r);
  struct pollfd pf[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
  struct buf *dst[2] = { &r->out, &r->err };
  int open_fds = 2;
  while (open_fds > 0)
    {
      assert_true (poll (pf, 2, 30000) > 0);
      for (int i = 0; i < 2; i++)
        {
          if (pf[i].fd < 0 || pf[i].revents == 0)
            continue;
          char b[65536];
          ssize_t k = read (pf[i].fd, b, sizeof b);
          if (k > 0)
            assert_int_equal (buf_append (dst[i], b, (size_t) k), 0);
          else
            {
              close (pf[i].fd);
              pf[i].fd = -1;
              open_fds--;
            }
        }
    }
  int st = 0;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  r->code = WEXITSTATUS (st);
  if (r->out.data == NULL)
    assert_int_equal (buf_append (&r->out, "", 0), 0);
  if (r->err.data == NULL)
    assert_int_equal (buf_append (&r->err, "", 0), 0);
}

static const char *name_of (void **state)
{
  return ((struct exec_fixture *) *state)->name;
}

static void test_capture_json (void **state)
{
  _cleanup_result_ struct result r;
  coi_exec (name_of (state),
            ARGS ("--capture", "--cwd", "/", "--", "sh", "-c",
                  "printf 'o\\001\\000\\377'; printf e >&2; exit 3"),
            -1, &r);
  assert_int_equal (r.code, 0);
  _cleanup_json_ json_t *j = json_loadb (r.out.data, r.out.len, JSON_ALLOW_NUL, NULL);
  assert_non_null (j);
  json_t *so = json_object_get (j, "stdout");
  /* NUL survives as \u0000; an invalid byte becomes U+FFFD. */
  assert_int_equal (json_string_length (so), 6);
  assert_memory_equal (json_string_value (so), "o\001\000\xef\xbf\xbd", 6);
  assert_string_equal (json_string_value (json_object_get (j, "stderr")), "e");
  assert_int_equal (json_integer_value (json_object_get (j, "exit_code")), 3);
  /* Keys in COI's order. */
  const char *first = strstr (r.out.data, "\"stdout\"");
  const char *second = strstr (r.out.data, "\"stderr\"");
  const char *third = strstr (r.out.data, "\"exit_code\"");
  assert_true (first && second && third && first < second && second < third);
}

static void test_capture_raw (void **state)
{
  _cleanup_result_ struct result r;
  coi_exec (name_of (state),
            ARGS ("--capture", "--format", "raw", "--cwd", "/", "--", "sh", "-c",
                  "printf 'out\\n'; printf err >&2; exit 4"),
            -1, &r);
  assert_int_equal (r.code, 4);
  assert_string_equal (r.out.data, "out\n");
  assert_string_equal (r.err.data, "err");
}

static void test_stream_exit_code (void **state)
{
  _cleanup_result_ struct result r;
  coi_exec (name_of (state),
            ARGS ("--cwd", "/", "--", "sh", "-c", "printf 'to out'; printf 'to err' >&2; exit 42"),
            -1, &r);
  assert_int_equal (r.code, 42);
  assert_string_equal (r.out.data, "to out");
  assert_string_equal (r.err.data, "to err");
}

static void test_stream_stdin (void **state)
{
  int fd = memfd_create ("in", MFD_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (write (fd, "piped\0in", 8), 8);
  assert_int_equal (lseek (fd, 0, SEEK_SET), 0);
  _cleanup_result_ struct result r;
  coi_exec (name_of (state), ARGS ("--cwd", "/", "--", "cat"), fd, &r);
  close (fd);
  assert_int_equal (r.code, 0);
  assert_int_equal (r.out.len, 8);
  assert_memory_equal (r.out.data, "piped\0in", 8);
}

static void test_flags (void **state)
{
  _cleanup_result_ struct result r;
  coi_exec (name_of (state),
            ARGS ("--user", "1000", "--group", "1000", "--env", "A=1", "--env", "B=x,y", "--cwd",
                  "/tmp", "--capture", "--format", "raw", "--", "sh", "-c",
                  "id -u; id -g; pwd; echo \"$A|$B\""),
            -1, &r);
  assert_int_equal (r.code, 0);
  /* --env is a StringArray: a comma stays in the value. */
  assert_string_equal (r.out.data, "1000\n1000\n/tmp\n1|x,y\n");
}

static void test_tty (void **state)
{
  _cleanup_result_ struct result r;
  coi_exec (name_of (state), ARGS ("-t", "--cwd", "/", "--", "sh", "-c", "tty; exit 6"), -1, &r);
  assert_int_equal (r.code, 6);
  assert_non_null (strstr (r.out.data, "/dev/pts/"));
}

static void test_not_found_is_127 (void **state)
{
  _cleanup_result_ struct result r;
  coi_exec (name_of (state), ARGS ("--cwd", "/", "--", "coi-no-such-command"), -1, &r);
  assert_int_equal (r.code, 127);
}

static void test_usage_errors (void **state)
{
  const char *const *const cases[] = {
    ARGS ("--format", "raw", "--", "true"),           /* --format without --capture */
    ARGS ("--capture", "--format", "xml", "--", "true"), /* invalid format */
    ARGS ("--user", "abc", "--", "true"),             /* not an integer */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      _cleanup_result_ struct result r;
      coi_exec (name_of (state), cases[i], -1, &r);
      assert_int_equal (r.code, 2);
      assert_int_equal (strncmp (r.err.data, "coi: ", 5), 0);
    }
  _cleanup_result_ struct result none;
  coi_exec (NULL, ARGS ("--capture"), -1, &none);
  assert_int_equal (none.code, 2);
}

/* Every argument vector on the host, joined (ps -eo args). */
static void host_command_lines (struct buf *out)
{
  FILE *p = popen ("ps -eo args", "r");
  assert_non_null (p);
  char b[65536];
  size_t k;
  while ((k = fread (b, 1, sizeof b, p)) > 0)
    assert_int_equal (buf_append (out, b, k), 0);
  pclose (p);
}

/* A --env value reaches the command, and no host command line shows it
 * while the command runs (incusd puts a request's environment on its
 * forkexec helper's): it travels in a file the loader deletes.  The value
 * comes from coi's environment (--env KEY), so that coi's own command line
 * does not hold it either. */
static void test_env_not_on_host_command_line (void **state)
{
  char secret[64];
  snprintf (secret, sizeof secret, "coi-t-secret-%d-%ld", (int) getpid (), (long) random ());
  const char *argv[] = { coi_path, "container", "exec", name_of (state), "--env", "COI_T_SECRET",
                         "--user", "1000", "--group", "1000", "--capture", "--format", "raw",
                         "--cwd", "/", "--", "sh", "-c",
                         "printf %s \"$COI_T_SECRET\"; sleep 3; ls -a /tmp", NULL };
  int po[2];
  assert_int_equal (pipe2 (po, O_CLOEXEC), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      int in = open ("/dev/null", O_RDONLY);
      if (in < 0 || dup2 (in, 0) < 0 || dup2 (po[1], 1) < 0 || setenv ("COI_T_SECRET", secret, 1) < 0)
        _exit (126);
      execv (coi_path, (char *const *) argv);
      _exit (126);
    }
  close (po[1]);
  /* The command sleeps 3 s: sample the host's command lines meanwhile. */
  int samples = 0, hits = 0;
  for (int i = 0; i < 25; i++)
    {
      _cleanup_buf_ struct buf ps = { 0 };
      host_command_lines (&ps);
      samples++;
      hits += ps.data && memmem (ps.data, ps.len, secret, strlen (secret)) != NULL;
      usleep (100 * 1000);
    }
  _cleanup_buf_ struct buf out = { 0 };
  char b[4096];
  ssize_t k;
  while ((k = read (po[0], b, sizeof b)) > 0)
    assert_int_equal (buf_append (&out, b, (size_t) k), 0);
  close (po[0]);
  int st = 0;
  assert_int_equal (waitpid (pid, &st, 0), pid);
  assert_true (WIFEXITED (st));
  assert_int_equal (WEXITSTATUS (st), 0);
  assert_int_equal (buf_append (&out, "", 1), 0);
  /* The command saw the value... */
  assert_int_equal (strncmp (out.data, secret, strlen (secret)), 0);
  /* ...no host command line did... */
  assert_int_equal (samples, 25);
  assert_int_equal (hits, 0);
  /* ...and the file that carried it is gone. */
  assert_null (strstr (out.data, ".coi-env-"));
}

static void test_env_invalid_name (void **state)
{
  _cleanup_result_ struct result r;
  coi_exec (name_of (state), ARGS ("--env", "BAD-NAME=hidden-value", "--", "true"), -1, &r);
  assert_int_equal (r.code, 2);
  assert_non_null (strstr (r.err.data, "coi: invalid environment variable 'BAD-NAME'"));
  assert_null (strstr (r.err.data, "hidden-value"));
  _cleanup_result_ struct result unset;
  coi_exec (name_of (state), ARGS ("--env", "COI_T_NOT_SET_ANYWHERE", "--", "true"), -1, &unset);
  assert_int_equal (unset.code, 2);
  assert_non_null (strstr (unset.err.data, "invalid --env 'COI_T_NOT_SET_ANYWHERE'"));
}

/* --capture holds output in memory: past its limit, an error that says so. */
static void test_capture_limit (void **state)
{
  _cleanup_result_ struct result r;
  coi_exec (name_of (state),
            ARGS ("--capture", "--cwd", "/", "--", "head", "-c", "70000000", "/dev/zero"), -1, &r);
  assert_int_equal (r.code, 1);
  assert_int_equal (r.out.len, 0);
  assert_non_null (strstr (r.err.data, "stdout is larger than 64 MiB"));
  assert_non_null (strstr (r.err.data, "hint: --capture keeps at most 64 MiB of stdout and of stderr"));
}

static void test_missing_instance (void **state)
{
  (void) state;
  _cleanup_result_ struct result r;
  coi_exec (EXEC_TEST_PREFIX "missing", ARGS ("--", "true"), -1, &r);
  assert_int_equal (r.code, 1);
  static const char want[] = "coi: exec in " EXEC_TEST_PREFIX "missing: ";
  assert_int_equal (strncmp (r.err.data, want, strlen (want)), 0);
  assert_non_null (strstr (r.err.data, "not found"));
  /* One line. */
  assert_ptr_equal (strchr (r.err.data, '\n'), r.err.data + r.err.len - 1);
}

int main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s PATH-TO-COI\n", argv[0]);
      return 2;
    }
  coi_path = argv[1];
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_capture_json),
    cmocka_unit_test (test_capture_raw),
    cmocka_unit_test (test_stream_exit_code),
    cmocka_unit_test (test_stream_stdin),
    cmocka_unit_test (test_flags),
    cmocka_unit_test (test_tty),
    cmocka_unit_test (test_not_found_is_127),
    cmocka_unit_test (test_usage_errors),
    cmocka_unit_test (test_missing_instance),
    cmocka_unit_test (test_env_not_on_host_command_line),
    cmocka_unit_test (test_env_invalid_name),
    cmocka_unit_test (test_capture_limit),
  };
  return cmocka_run_group_tests_name ("exec-cli", tests, exec_fixture_setup, exec_fixture_teardown);
}
