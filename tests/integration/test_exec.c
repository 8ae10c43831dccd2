/* Exec against the real incusd: exact and separate stdout/stderr (1 MiB,
 * every byte value), exit codes, stdin, environment kept off command lines,
 * cwd and uid, an interactive session under a pty (size, resize, signal, exit
 * code, terminal restored) and the failure messages. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "incus/exec.h"
#include "incus/instance.h"
#include "util/cleanup.h"

#include "test_exec_fixture.h"

extern char **environ;

#define PREFIX EXEC_TEST_PREFIX
#define MIB (1024 * 1024)

#define ARGV(...) ((const char *const[]) { __VA_ARGS__, NULL })

/* Run and capture; fails the test when the exec itself fails. */
static int run (struct exec_fixture *f, struct incus_exec_opts *o, struct buf *out, struct buf *errb)
{
  _cleanup_error_ coi_error_t err = NULL;
  int code = -1;
  if (incus_exec_capture (f->c, f->name, o, out, errb, &code, &err) < 0)
    fail_msg ("exec %s: %s", o->argv[0], exec_errmsg (&err));
  return code;
}

static int run_argv (struct exec_fixture *f, const char *const *argv, struct buf *out, struct buf *errb)
{
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = argv;
  return run (f, &o, out, errb);
}

/* A memfd holding `data`, rewound: a stdin that ends. */
static int memfd_with (const void *data, size_t len)
{
  int fd = memfd_create ("stdin", MFD_CLOEXEC);
  assert_true (fd >= 0);
  const char *p = data;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      assert_true (w > 0);
      p += w;
      len -= (size_t) w;
    }
  assert_int_equal (lseek (fd, 0, SEEK_SET), 0);
  return fd;
}

static char *pattern (size_t len)
{
  static const char line[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n";
  char *p = malloc (len);
  assert_non_null (p);
  for (size_t i = 0; i < len; i++)
    p[i] = line[i % (sizeof line - 1)];
  return p;
}

static void test_separate_streams (void **state)
{
  _cleanup_buf_ struct buf out = { 0 }, errb = { 0 };
  int code = run_argv (*state, ARGV ("sh", "-c", "printf 'to out\\n'; printf 'to err' >&2; printf more"),
                       &out, &errb);
  assert_int_equal (code, 0);
  assert_int_equal (out.len, strlen ("to out\nmore"));
  assert_memory_equal (out.data, "to out\nmore", out.len);
  assert_int_equal (errb.len, strlen ("to err"));
  assert_memory_equal (errb.data, "to err", errb.len);
}

static void test_one_mib_each (void **state)
{
  _cleanup_buf_ struct buf out = { 0 }, errb = { 0 };
  _cleanup_free_ char *want = pattern (MIB);
  /* The same lines as pattern(): 63 characters plus newline. */
  int code = run_argv (*state,
                       ARGV ("sh", "-c",
                             "yes 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             " | head -c 1048576 >/tmp/p; cat /tmp/p; cat /tmp/p >&2; rm /tmp/p"),
                       &out, &errb);
  assert_int_equal (code, 0);
  assert_int_equal (out.len, MIB);
  assert_int_equal (errb.len, MIB);
  assert_memory_equal (out.data, want, MIB);
  assert_memory_equal (errb.data, want, MIB);
}

static void test_binary_bytes (void **state)
{
  /* printf's octal escapes produce every byte 0x00-0xff, twice over. */
  char script[256 * 5 + 64];
  size_t n = (size_t) snprintf (script, sizeof script, "f='");
  for (int b = 0; b < 256; b++)
    n += (size_t) snprintf (script + n, sizeof script - n, "\\%03o", b);
  snprintf (script + n, sizeof script - n, "'; printf \"$f$f\"; printf \"$f\" >&2");
  _cleanup_buf_ struct buf out = { 0 }, errb = { 0 };
  int code = run_argv (*state, ARGV ("sh", "-c", script), &out, &errb);
  assert_int_equal (code, 0);
  assert_int_equal (out.len, 512);
  assert_int_equal (errb.len, 256);
  for (int i = 0; i < 512; i++)
    assert_int_equal ((unsigned char) out.data[i], i % 256);
  for (int i = 0; i < 256; i++)
    assert_int_equal ((unsigned char) errb.data[i], i);
}

static void test_exit_codes (void **state)
{
  struct exec_fixture *f = *state;
  assert_int_equal (run_argv (f, ARGV ("true"), NULL, NULL), 0);
  assert_int_equal (run_argv (f, ARGV ("false"), NULL, NULL), 1);
  assert_int_equal (run_argv (f, ARGV ("sh", "-c", "exit 42"), NULL, NULL), 42);
  /* Missing executable: Incus's own error and the shell's 127 agree. */
  assert_int_equal (run_argv (f, ARGV ("coi-no-such-command"), NULL, NULL), 127);
  assert_int_equal (run_argv (f, ARGV ("/nonexistent/bin/tool", "x"), NULL, NULL), 127);
  assert_int_equal (run_argv (f, ARGV ("sh", "-c", "coi-no-such-command"), NULL, NULL), 127);
  /* Found but not executable: 126, as from a shell. */
  assert_int_equal (run_argv (f, ARGV ("/etc/passwd"), NULL, NULL), 126);
  assert_int_equal (run_argv (f, ARGV ("sh", "-c", "/etc/passwd"), NULL, NULL), 126);
}

static void test_stdin_passes_through (void **state)
{
  size_t len = 256 * 1024;
  _cleanup_free_ char *data = pattern (len);
  for (size_t i = 0; i < len; i += 97)
    data[i] = (char) (i & 0xff); /* binary too */
  _cleanup_close_ int fd = memfd_with (data, len);
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("cat");
  o.stdin_fd = fd;
  _cleanup_buf_ struct buf out = { 0 };
  assert_int_equal (run (*state, &o, &out, NULL), 0);
  assert_int_equal (out.len, len);
  assert_memory_equal (out.data, data, len);
}

static void test_no_stdin_is_eof (void **state)
{
  _cleanup_buf_ struct buf out = { 0 };
  assert_int_equal (run_argv (*state, ARGV ("sh", "-c", "wc -c"), &out, NULL), 0);
  assert_string_equal (out.data, "0\n");
}

static void test_stdin_not_read (void **state)
{
  /* The command exits without reading a large input: no error, no hang. */
  size_t len = 4 * MIB;
  _cleanup_free_ char *data = pattern (len);
  _cleanup_close_ int fd = memfd_with (data, len);
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("sh", "-c", "head -c 5; exit 3");
  o.stdin_fd = fd;
  _cleanup_buf_ struct buf out = { 0 };
  assert_int_equal (run (*state, &o, &out, NULL), 3);
  assert_string_equal (out.data, "01234");
}

static void test_output_to_fds (void **state)
{
  struct exec_fixture *f = *state;
  _cleanup_close_ int ofd = memfd_create ("out", MFD_CLOEXEC);
  _cleanup_close_ int efd = memfd_create ("err", MFD_CLOEXEC);
  assert_true (ofd >= 0 && efd >= 0);
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("sh", "-c", "head -c 1048576 /dev/zero; printf e >&2; exit 7");
  o.stdout_fd = ofd;
  o.stderr_fd = efd;
  _cleanup_error_ coi_error_t err = NULL;
  int code = -1;
  if (incus_exec (f->c, f->name, &o, &code, &err) < 0)
    fail_msg ("%s", exec_errmsg (&err));
  assert_int_equal (code, 7);
  assert_int_equal (lseek (ofd, 0, SEEK_END), MIB);
  assert_int_equal (lseek (efd, 0, SEEK_END), 1);
}

struct bg_exec
{
  struct exec_fixture *f;
  const char *const *argv;
  const char *const *env;
  int code;
  int r;
};

static void *bg_run (void *arg)
{
  struct bg_exec *b = arg;
  _cleanup_error_ coi_error_t err = NULL;
  struct incus_client *c = NULL;
  b->r = incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err);
  if (b->r == 0)
    {
      struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
      o.argv = b->argv;
      o.env = b->env;
      b->r = incus_exec (c, b->f->name, &o, &b->code, &err);
    }
  incus_client_free (c);
  return NULL;
}

/* A script printing /proc/N/<file> of every process in the container;
 * processes that end meanwhile are skipped. */
#define PROC_ALL(file) "for f in /proc/[0-9]*/" file "; do cat \"$f\" 2>/dev/null; done; exit 0"

/* Whether any host process has `needle` in its command line. */
static bool host_cmdlines_contain (const char *needle)
{
  _cleanup_closedir_ DIR *d = opendir ("/proc");
  assert_non_null (d);
  struct dirent *e;
  while ((e = readdir (d)))
    {
      if (e->d_name[0] < '0' || e->d_name[0] > '9')
        continue;
      char p[300], buf[8192];
      snprintf (p, sizeof p, "/proc/%s/cmdline", e->d_name);
      _cleanup_close_ int fd = open (p, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        continue;
      ssize_t n = read (fd, buf, sizeof buf);
      if (n > 0 && memmem (buf, (size_t) n, needle, strlen (needle)))
        return true;
    }
  return false;
}

static void test_env_not_on_command_lines (void **state)
{
  struct exec_fixture *f = *state;
  char secret[64];
  snprintf (secret, sizeof secret, "s3cr3t-%ld-%ld", (long) getpid (), (long) time (NULL));
  char kv[96];
  snprintf (kv, sizeof kv, "COI_TEST_SECRET=%s", secret);
  const char *const env[] = { kv, "SECOND=two words", NULL };

  /* The value is seen by the process. */
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("sh", "-c", "printf '%s|%s' \"$COI_TEST_SECRET\" \"$SECOND\"");
  o.env = env;
  _cleanup_buf_ struct buf out = { 0 };
  assert_int_equal (run (f, &o, &out, NULL), 0);
  char want[160];
  snprintf (want, sizeof want, "%s|two words", secret);
  assert_string_equal (out.data, want);

  /* While a process holding it runs, no command line in the container shows
     it (ps, /proc/N/cmdline).  The host is another matter: incusd's own
     `forkexec` helper carries the environment in its argv (Incus 6.0), so a
     host user can read it there; callers with real secrets must not rely on
     the exec environment alone.  The check documents that. */
  struct bg_exec b = { .f = f, .argv = ARGV ("sleep", "3"), .env = env, .code = -1 };
  pthread_t t;
  assert_int_equal (pthread_create (&t, NULL, bg_run, &b), 0);
  struct timespec pause = { 0, 700 * 1000 * 1000 };
  nanosleep (&pause, NULL);
  _cleanup_buf_ struct buf ps = { 0 }, cmdlines = { 0 }, environs = { 0 };
  int c1 = run_argv (f, ARGV ("ps", "-eo", "args"), &ps, NULL);
  int c2 = run_argv (f, ARGV ("sh", "-c", PROC_ALL ("cmdline")), &cmdlines, NULL);
  int c3 = run_argv (f, ARGV ("sh", "-c", PROC_ALL ("environ")), &environs, NULL);
  bool on_host = host_cmdlines_contain (secret);
  assert_int_equal (pthread_join (t, NULL), 0);
  assert_int_equal (b.r, 0);
  assert_int_equal (b.code, 0);
  /* ps may be missing from a minimal image: then cmdline alone decides. */
  if (c1 == 0)
    {
      assert_non_null (strstr (ps.data, "sleep 3"));
      assert_null (strstr (ps.data, secret));
    }
  assert_int_equal (c2, 0);
  assert_non_null (memmem (cmdlines.data, cmdlines.len, "sleep", 5));
  assert_null (memmem (cmdlines.data, cmdlines.len, secret, strlen (secret)));
  /* ...while the sleeping process does have it in its environment. */
  assert_int_equal (c3, 0);
  assert_non_null (memmem (environs.data, environs.len, secret, strlen (secret)));
  if (on_host)
    print_message ("note: incusd forkexec shows the exec environment on the host's command lines\n");
}

static void test_bad_env_entry (void **state)
{
  struct exec_fixture *f = *state;
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("true");
  o.env = ARGV ("NOEQUALS");
  _cleanup_error_ coi_error_t err = NULL;
  int code = -1;
  assert_int_equal (incus_exec (f->c, f->name, &o, &code, &err), -1);
  assert_non_null (strstr (exec_errmsg (&err), "KEY=VALUE"));
  assert_int_equal (err->exit_code, 2);
}

static void test_cwd_and_uid (void **state)
{
  struct exec_fixture *f = *state;
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("sh", "-c", "pwd; id -u; id -g; touch mine; stat -c %u:%g mine; rm mine");
  o.cwd = "/tmp";
  o.uid = 1000;
  o.gid = 1000;
  o.env = ARGV ("HOME=/home/code", "USER=code");
  _cleanup_buf_ struct buf out = { 0 }, errb = { 0 };
  assert_int_equal (run (f, &o, &out, &errb), 0);
  assert_string_equal (out.data, "/tmp\n1000\n1000\n1000:1000\n");

  struct incus_exec_opts r = INCUS_EXEC_OPTS_INIT;
  r.argv = ARGV ("sh", "-c", "pwd; id -u");
  _cleanup_buf_ struct buf rout = { 0 };
  assert_int_equal (run (f, &r, &rout, NULL), 0);
  assert_string_equal (rout.data, "/root\n0\n");
}

static void test_capture_limit_stops_command (void **state)
{
  struct exec_fixture *f = *state;
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("yes"); /* endless */
  _cleanup_buf_ struct buf out = { .limit = 100000 };
  _cleanup_error_ coi_error_t err = NULL;
  int code = -1;
  time_t t0 = time (NULL);
  assert_int_equal (incus_exec_capture (f->c, f->name, &o, &out, NULL, &code, &err), -1);
  assert_non_null (strstr (exec_errmsg (&err), "stdout is larger than 100000 bytes"));
  assert_true (time (NULL) - t0 < 10);
  /* The server killed it when control closed: no `yes` is left running. */
  struct timespec pause = { 0, 300 * 1000 * 1000 };
  nanosleep (&pause, NULL);
  _cleanup_buf_ struct buf left = { 0 };
  assert_int_equal (run_argv (f, ARGV ("sh", "-c", PROC_ALL ("comm")), &left, NULL), 0);
  assert_null (strstr (left.data, "yes\n"));
}

/* The extra descriptor: its callback runs while the command runs.  The
 * command waits for a line that only the callback sends, so a callback that
 * never ran ends in timeout's 124. */
struct extra_probe
{
  int calls;
  int reply_fd; /* the command's stdin, written and closed by the callback */
  bool fail;
};

static int probe_extra (int fd, void *data, coi_error_t *err)
{
  struct extra_probe *p = data;
  char b[64];
  if (read (fd, b, sizeof b) < 0)
    return coi_error_errno (err, errno, "probe read");
  p->calls++;
  if (p->fail)
    return coi_error_make (err, 0, "probe says stop");
  if (p->reply_fd >= 0)
    {
      assert_int_equal (write (p->reply_fd, "hello\n", 6), 6);
      close (p->reply_fd);
      p->reply_fd = -1;
    }
  return 0;
}

static void test_extra_fd_runs_during_exec (void **state)
{
  struct exec_fixture *f = *state;
  int poke[2], in[2];
  assert_int_equal (pipe2 (poke, O_CLOEXEC), 0);
  assert_int_equal (pipe2 (in, O_CLOEXEC), 0);
  struct extra_probe p = { .reply_fd = in[1] };
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("timeout", "20", "sh", "-c", "read line; echo got $line");
  o.stdin_fd = in[0];
  o.extra_fd = poke[0];
  o.on_extra = probe_extra;
  o.extra_data = &p;
  assert_int_equal (write (poke[1], "x", 1), 1);
  _cleanup_buf_ struct buf out = { 0 };
  assert_int_equal (run (f, &o, &out, NULL), 0);
  assert_string_equal (out.data, "got hello\n");
  assert_int_equal (p.calls, 1);
  close (poke[0]);
  close (poke[1]);
  close (in[0]);
  if (p.reply_fd >= 0)
    close (p.reply_fd);
}

static void test_extra_fd_error_fails_exec (void **state)
{
  struct exec_fixture *f = *state;
  int poke[2];
  assert_int_equal (pipe2 (poke, O_CLOEXEC), 0);
  struct extra_probe p = { .reply_fd = -1, .fail = true };
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("sleep", "30");
  o.extra_fd = poke[0];
  o.on_extra = probe_extra;
  o.extra_data = &p;
  assert_int_equal (write (poke[1], "x", 1), 1);
  _cleanup_error_ coi_error_t err = NULL;
  int code = -1;
  time_t t0 = time (NULL);
  assert_int_equal (incus_exec (f->c, f->name, &o, &code, &err), -1);
  assert_non_null (strstr (exec_errmsg (&err), "probe says stop"));
  assert_true (time (NULL) - t0 < 10);
  close (poke[0]);
  close (poke[1]);
}

/* A descriptor that hangs up is dropped, not polled in a busy loop. */
static void test_extra_fd_hangup_not_spun (void **state)
{
  struct exec_fixture *f = *state;
  int poke[2];
  assert_int_equal (pipe2 (poke, O_CLOEXEC), 0);
  close (poke[1]);
  struct extra_probe p = { .reply_fd = -1 };
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("sleep", "1");
  o.extra_fd = poke[0];
  o.on_extra = probe_extra;
  o.extra_data = &p;
  struct timespec c0, c1;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c0);
  assert_int_equal (run (f, &o, NULL, NULL), 0);
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &c1);
  double cpu = (double) (c1.tv_sec - c0.tv_sec) + (double) (c1.tv_nsec - c0.tv_nsec) / 1e9;
  assert_int_equal (p.calls, 0);
  assert_true (cpu < 0.5);
  close (poke[0]);
}

/* Read the pty master until `needle` shows up (or fail after 15 s). */
static void expect_output (int master, struct buf *seen, const char *needle)
{
  time_t t0 = time (NULL);
  while (!(seen->data && strstr (seen->data, needle)))
    {
      if (time (NULL) - t0 > 15)
        fail_msg ("no '%s' in pty output: '%s'", needle, seen->data ? seen->data : "");
      struct pollfd p = { .fd = master, .events = POLLIN };
      if (poll (&p, 1, 500) <= 0)
        continue;
      char b[4096];
      ssize_t n = read (master, b, sizeof b);
      if (n <= 0)
        fail_msg ("pty closed before '%s': '%s'", needle, seen->data ? seen->data : "");
      assert_int_equal (buf_append (seen, b, (size_t) n), 0);
    }
}

/* Child side: the pty's slave is its controlling terminal and stdio.  Exit
 * code: the command's, 200 if exec failed, 201 if the tty was not restored. */
static void interactive_child (const char *name, const char *const *argv)
{
  struct termios before, after;
  if (tcgetattr (0, &before) < 0)
    _exit (202);
  coi_error_t err = NULL;
  struct incus_client *c = NULL;
  int code = -1;
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = argv;
  o.interactive = true;
  o.stdin_fd = 0;
  o.stdout_fd = 1;
  o.stderr_fd = 2;
  if (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err) < 0 || incus_exec (c, name, &o, &code, &err) < 0)
    {
      fprintf (stderr, "child: %s\n", exec_errmsg (&err));
      _exit (200);
    }
  incus_client_free (c);
  if (tcgetattr (0, &after) < 0 || after.c_lflag != before.c_lflag
      || after.c_iflag != before.c_iflag || after.c_oflag != before.c_oflag)
    _exit (201);
  _exit (code);
}

static pid_t spawn_interactive (struct exec_fixture *f, const char *const *argv, int *master)
{
  struct winsize ws = { .ws_row = 30, .ws_col = 100 };
  pid_t pid = forkpty (master, NULL, NULL, &ws);
  assert_true (pid >= 0);
  if (pid == 0)
    interactive_child (f->name, argv);
  return pid;
}

static int child_exit (pid_t pid)
{
  int st = 0;
  time_t t0 = time (NULL);
  for (;;)
    {
      pid_t r = waitpid (pid, &st, WNOHANG);
      if (r == pid)
        break;
      if (time (NULL) - t0 > 20)
        {
          kill (pid, SIGKILL);
          waitpid (pid, &st, 0);
          fail_msg ("interactive exec did not end");
        }
      struct timespec pause = { 0, 20 * 1000 * 1000 };
      nanosleep (&pause, NULL);
    }
  assert_true (WIFEXITED (st));
  return WEXITSTATUS (st);
}

static void test_interactive_size_resize_exit (void **state)
{
  int master = -1;
  pid_t pid = spawn_interactive (*state,
                                 ARGV ("sh", "-c",
                                       "stty size; tty >/dev/null && echo is-a-tty; read x; "
                                       "stty size; echo \"got $x\"; exit 5"),
                                 &master);
  _cleanup_close_ int m = master;
  _cleanup_buf_ struct buf seen = { 0 };
  expect_output (m, &seen, "30 100");
  expect_output (m, &seen, "is-a-tty");
  struct winsize ws = { .ws_row = 43, .ws_col = 132 };
  assert_int_equal (ioctl (m, TIOCSWINSZ, &ws), 0);
  /* Let the resize (control socket) land before the input (data socket). */
  struct timespec pause = { 0, 400 * 1000 * 1000 };
  nanosleep (&pause, NULL);
  assert_int_equal (write (m, "hello\r", 6), 6);
  expect_output (m, &seen, "43 132");
  expect_output (m, &seen, "got hello");
  assert_int_equal (child_exit (pid), 5);
}

static void test_interactive_signal_forwarded (void **state)
{
  int master = -1;
  pid_t pid = spawn_interactive (*state,
                                 ARGV ("sh", "-c",
                                       "trap 'echo caught; exit 42' TERM; echo ready; "
                                       "while :; do sleep 0.1; done"),
                                 &master);
  _cleanup_close_ int m = master;
  _cleanup_buf_ struct buf seen = { 0 };
  expect_output (m, &seen, "ready");
  assert_int_equal (kill (pid, SIGTERM), 0);
  expect_output (m, &seen, "caught");
  assert_int_equal (child_exit (pid), 42);
}

static void test_interactive_not_found (void **state)
{
  int master = -1;
  pid_t pid = spawn_interactive (*state, ARGV ("coi-no-such-command"), &master);
  _cleanup_close_ int m = master;
  assert_int_equal (child_exit (pid), 127);
}

static void test_instance_missing (void **state)
{
  struct exec_fixture *f = *state;
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = ARGV ("true");
  _cleanup_error_ coi_error_t err = NULL;
  int code = -1;
  assert_int_equal (incus_exec (f->c, PREFIX "does-not-exist", &o, &code, &err), -1);
  const char *m = exec_errmsg (&err);
  assert_null (strchr (m, '\n'));
  assert_non_null (strstr (m, "exec in " PREFIX "does-not-exist"));
  assert_non_null (strstr (m, "not found"));
}

static void test_socket_missing (void **state)
{
  (void) state;
  const char *old = getenv ("INCUS_SOCKET");
  _cleanup_free_ char *saved = old ? strdup (old) : NULL;
  assert_int_equal (setenv ("INCUS_SOCKET", "/nonexistent", 1), 0);
  _cleanup_error_ coi_error_t err = NULL;
  struct incus_client *c = NULL;
  int r = incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err);
  if (saved)
    setenv ("INCUS_SOCKET", saved, 1);
  else
    unsetenv ("INCUS_SOCKET");
  if (r == 0)
    {
      struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
      o.argv = ARGV ("true");
      int code = -1;
      r = incus_exec (c, "anything", &o, &code, &err);
      incus_client_free (c);
    }
  assert_int_equal (r, -1);
  const char *m = exec_errmsg (&err);
  assert_null (strchr (m, '\n'));
  assert_non_null (strstr (m, "/nonexistent"));
  assert_non_null (strstr (m, "does not exist"));
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_separate_streams),
    cmocka_unit_test (test_one_mib_each),
    cmocka_unit_test (test_binary_bytes),
    cmocka_unit_test (test_exit_codes),
    cmocka_unit_test (test_stdin_passes_through),
    cmocka_unit_test (test_no_stdin_is_eof),
    cmocka_unit_test (test_stdin_not_read),
    cmocka_unit_test (test_output_to_fds),
    cmocka_unit_test (test_env_not_on_command_lines),
    cmocka_unit_test (test_bad_env_entry),
    cmocka_unit_test (test_cwd_and_uid),
    cmocka_unit_test (test_capture_limit_stops_command),
    cmocka_unit_test (test_extra_fd_runs_during_exec),
    cmocka_unit_test (test_extra_fd_error_fails_exec),
    cmocka_unit_test (test_extra_fd_hangup_not_spun),
    cmocka_unit_test (test_interactive_size_resize_exit),
    cmocka_unit_test (test_interactive_signal_forwarded),
    cmocka_unit_test (test_interactive_not_found),
    cmocka_unit_test (test_instance_missing),
    cmocka_unit_test (test_socket_missing),
  };
  return cmocka_run_group_tests_name ("exec", tests, exec_fixture_setup, exec_fixture_teardown);
}
