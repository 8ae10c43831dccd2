/* Pulling from a container that wants out.
 *
 * 1. A real container plants symlinks to /etc/shadow, to a host directory,
 *    to "..", to "/", a fifo, setuid and world-writable files and names
 *    with control characters; a pull of that tree (and of single entries)
 *    must create only regular files and directories with modes of at most
 *    0755, all inside the destination, never touch the host targets, never
 *    hang, and skip the names a terminal would act on.  A 64 MiB file over
 *    a lowered limit leaves nothing behind.
 * 2. A fake Incus server on a unix socket lists names no filesystem could
 *    hold ("../escape", "..", ".", "a/b", "", a NUL inside, 300 bytes) and
 *    lies about types; the client must skip them without ever asking for
 *    them, and nothing may appear outside the destination. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_ops_fixture.h"

#include "incus/files.h"
#include "incus/pathsafe.h"
#include "util/cleanup.h"

static int setup (void **s)
{
  *s = ops_state_new ("hostile", NULL, "hostile");
  return 0;
}

static int teardown (void **s)
{
  ops_state_free (*s);
  return 0;
}

static int bad_entries;
static int walk_cb (const char *p, const struct stat *sb, int flag, struct FTW *f)
{
  (void) f;
  if (flag == FTW_SL || flag == FTW_SLN || !(S_ISREG (sb->st_mode) || S_ISDIR (sb->st_mode))
      || (sb->st_mode & 07777 & ~0755))
    {
      fprintf (stderr, "unsafe entry on the host: %s\n", p);
      bad_entries++;
    }
  return 0;
}

/* Only regular files and directories, with modes of at most 0755. */
static void expect_only_plain (const char *root)
{
  bad_entries = 0;
  assert_int_equal (nftw (root, walk_cb, 16, FTW_PHYS), 0);
  assert_int_equal (bad_entries, 0);
}

static void expect_empty_dir (const char *dir)
{
  _cleanup_closedir_ DIR *d = opendir (dir);
  assert_non_null (d);
  struct dirent *e;
  int n = 0;
  while ((e = readdir (d)) != NULL)
    n += strcmp (e->d_name, ".") && strcmp (e->d_name, "..");
  assert_int_equal (n, 0);
}

static unsigned warnings;
static void count_warn (void *data, const char *path, const char *why)
{
  (void) data;
  fprintf (stderr, "(expected) skipped %s: %s\n", path, why);
  warnings++;
}

static void test_planted_links_and_fifo (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *canary = ops_path (st->dir, "canary"), *dst = ops_path (st->dir, "pulled");
  assert_int_equal (mkdir (canary, 0755), 0);
  _cleanup_free_ char *script = NULL;
  assert_true (asprintf (&script,
                         "set -e; mkdir -p /root/h/sub; cd /root/h;"
                         "ln -s /etc/shadow shadow; ln -s '%s' hostdir; ln -s .. up; ln -s / root;"
                         "ln -s ../../../../../../../tmp sub/deep-up; mkfifo fifo;"
                         "echo data > sub/file; printf x > suid; chmod 4755 suid;"
                         "printf y > sgid; chmod 2750 sgid; printf z > ..dots; printf n > 'new\nline';"
                         "printf e > \"$(printf 'esc\\033[2Jape')\"; printf c > \"$(printf 'c1\\302\\233x')\";"
                         "printf u > 'caf\303\251';"
                         "printf w > all4777; chmod 4777 all4777; printf v > rw4666; chmod 4666 rw4666;"
                         "mkdir wdir; chmod 1777 wdir; echo in > wdir/f; chmod 0666 wdir/f",
                         canary)
              > 0);
  assert_int_equal (ops_sh (st->inst, script, NULL), 0);

  struct incus_pull_opts o = { .warn = count_warn };
  warnings = 0;
  OPS_OK (incus_file_pull_tree (st->c, st->inst, "/root/h", dst, &o, &err), &err);
  /* shadow, hostdir, up, root, sub/deep-up; new\nline, esc\033..., c1\u009b... */
  assert_int_equal (o.skipped, 8);
  assert_int_equal (warnings, 8);
  expect_only_plain (dst);
  expect_empty_dir (canary);
  /* Legitimate odd names still arrive; names with control characters do not. */
  _cleanup_free_ char *dots = ops_path (dst, "..dots"), *nl = ops_path (dst, "new\nline"),
                      *f = ops_path (dst, "sub/file"), *suid = ops_path (dst, "suid"),
                      *esc = ops_path (dst, "esc\033[2Jape"), *c1 = ops_path (dst, "c1\302\233x"),
                      *utf8 = ops_path (dst, "caf\303\251");
  assert_int_equal (access (dots, F_OK), 0);
  assert_int_equal (access (utf8, F_OK), 0);
  assert_int_equal (access (f, F_OK), 0);
  assert_int_equal (access (nl, F_OK), -1);
  assert_int_equal (access (esc, F_OK), -1);
  assert_int_equal (access (c1, F_OK), -1);
  /* Modes: never setuid/setgid/sticky, never group- or world-writable. */
  const struct
  {
    const char *name;
    unsigned mode;
  } modes[] = { { "suid", 0755 }, { "sgid", 0750 }, { "all4777", 0755 }, { "rw4666", 0644 },
                { "wdir", 0755 }, { "wdir/f", 0644 }, { "sub/file", 0644 } };
  struct stat sb;
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    {
      _cleanup_free_ char *p = ops_path (dst, modes[i].name);
      assert_int_equal (stat (p, &sb), 0);
      if ((sb.st_mode & 07777) != modes[i].mode)
        fail_msg ("%s arrived as %o, not %o", modes[i].name, sb.st_mode & 07777, modes[i].mode);
    }
  /* The fifo is not a fifo here (Incus shows it as an empty file). */
  _cleanup_free_ char *fifo = ops_path (dst, "fifo");
  assert_true (lstat (fifo, &sb) < 0 || (S_ISREG (sb.st_mode) && sb.st_size == 0));

  /* Single entries: a link is refused, the fifo does not hang. */
  _cleanup_free_ char *one = ops_path (st->dir, "one");
  assert_int_equal (incus_file_pull_file (st->c, st->inst, "/root/h/shadow", one, 0, &err), -1);
  assert_non_null (strstr (err->msg, "not a regular file"));
  coi_error_release (&err);
  assert_int_equal (access (one, F_OK), -1);
  OPS_OK (incus_file_pull_file (st->c, st->inst, "/root/h/fifo", one, 0, &err), &err);
  assert_int_equal (lstat (one, &sb), 0);
  assert_true (S_ISREG (sb.st_mode));
  assert_int_equal (sb.st_size, 0);
  _cleanup_free_ char *m = ops_path (st->dir, "mode4777");
  OPS_OK (incus_file_pull_file (st->c, st->inst, "/root/h/all4777", m, 0, &err), &err);
  assert_int_equal (stat (m, &sb), 0);
  assert_int_equal (sb.st_mode & 07777, 0755);
}

/* Entries of a directory, "." and ".." aside. */
static int count_entries (const char *dir)
{
  _cleanup_closedir_ DIR *d = opendir (dir);
  assert_non_null (d);
  struct dirent *e;
  int n = 0;
  while ((e = readdir (d)) != NULL)
    n += strcmp (e->d_name, ".") && strcmp (e->d_name, "..");
  return n;
}

/* 64 MiB against a 16 MiB limit: refused, nothing left (no partial file,
 * no temporary); in a tree, skipped with a warning naming it. */
static void test_file_over_limit (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (ops_sh (st->inst, "mkdir -p /root/lim && head -c 64M /dev/urandom > /root/lim/big"
                                      " && echo small > /root/lim/small", NULL), 0);
  _cleanup_free_ char *area = ops_path (st->dir, "lim"), *one = ops_path (area, "big"),
                      *tree = ops_path (area, "tree");
  assert_int_equal (mkdir (area, 0755), 0);
  assert_int_equal (incus_file_pull_file (st->c, st->inst, "/root/lim/big", one, 16 << 20, &err), -1);
  assert_int_equal (err->status, EFBIG);
  assert_non_null (strstr (err->msg, "larger than the limit of 16 MiB"));
  coi_error_release (&err);
  assert_int_equal (count_entries (area), 0);

  struct incus_pull_opts o = { .warn = count_warn, .max_file_bytes = 16 << 20 };
  warnings = 0;
  OPS_OK (incus_file_pull_tree (st->c, st->inst, "/root/lim", tree, &o, &err), &err);
  assert_int_equal (warnings, 1);
  assert_int_equal (o.skipped, 1);
  assert_int_equal (o.files, 1);
  assert_int_equal (count_entries (area), 1);
  assert_int_equal (count_entries (tree), 1);
  _cleanup_free_ char *small = ops_path (tree, "small");
  assert_int_equal (access (small, F_OK), 0);

  /* Raised, the same file arrives whole. */
  OPS_OK (incus_file_pull_file (st->c, st->inst, "/root/lim/big", one, 64 << 20, &err), &err);
  struct stat sb;
  assert_int_equal (stat (one, &sb), 0);
  assert_int_equal (sb.st_size, 64 << 20);
}

/* The destination itself is a symlink into a host directory. */
static void test_destination_symlink_not_followed (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *canary = ops_path (st->dir, "canary2"), *dst = ops_path (st->dir, "dstlink");
  assert_int_equal (mkdir (canary, 0755), 0);
  assert_int_equal (symlink (canary, dst), 0);
  assert_int_equal (ops_sh (st->inst, "mkdir -p /root/d2 && echo hi > /root/d2/f", NULL), 0);
  struct incus_pull_opts o = { 0 };
  assert_int_equal (incus_file_pull_tree (st->c, st->inst, "/root/d2", dst, &o, &err), -1);
  assert_int_equal (err->status, EEXIST);
  coi_error_release (&err);
  expect_empty_dir (canary);
  o.flags = INCUS_PULL_REPLACE;
  OPS_OK (incus_file_pull_tree (st->c, st->inst, "/root/d2", dst, &o, &err), &err);
  struct stat sb;
  assert_int_equal (lstat (dst, &sb), 0);
  assert_true (S_ISDIR (sb.st_mode));
  expect_empty_dir (canary);
}

/* ---- a hostile server ---- */

struct reply
{
  const char *path;
  const char *type;  /* what HEAD says */
  const char *body;  /* GET body (file contents or listing JSON) */
  long long size;    /* Content-Length HEAD announces for files */
  const char *get_type; /* what GET says, if it lies */
};

static char long_name[301];
static char listing[2048];
static const struct reply replies[] = {
  { "/d", "directory", listing, 0, NULL },
  { "/d/sub", "directory", "{\"type\":\"sync\",\"metadata\":[\"../../up2\",\"inner\",\"inner\"]}", 0, NULL },
  { "/d/liar", "file", "/etc", 3, "symlink" },
  { "/d/zero", "file", "", 0, NULL },
  { "/d/link", "symlink", "/etc/shadow", 11, NULL },
  { NULL, "file", "hello", 5, NULL }, /* anything else */
};

static void url_decode (const char *in, char *out, size_t cap)
{
  size_t o = 0;
  for (; *in && *in != '&' && o + 1 < cap; in++)
    {
      unsigned v;
      if (*in == '%' && sscanf (in + 1, "%2x", &v) == 1)
        {
          out[o++] = (char) v;
          in += 2;
        }
      else
        out[o++] = *in;
    }
  out[o] = '\0';
}

static void respond (int fd, const char *method, const char *path)
{
  const struct reply *r = replies;
  while (r->path && strcmp (r->path, path) != 0)
    r++;
  bool head = strcmp (method, "HEAD") == 0;
  const char *type = !head && r->get_type ? r->get_type : r->type;
  size_t blen = strlen (r->body);
  char hdr[512];
  int n = snprintf (hdr, sizeof hdr,
                    "HTTP/1.1 200 OK\r\nX-Incus-Type: %s\r\nX-Incus-Mode: 0644\r\nX-Incus-Uid: 0\r\n"
                    "X-Incus-Gid: 0\r\nContent-Length: %lld\r\n\r\n",
                    type, head ? (strcmp (r->type, "file") == 0 ? r->size : 0) : (long long) blen);
  if (write (fd, hdr, (size_t) n) != n || (!head && write (fd, r->body, blen) != (ssize_t) blen))
    _exit (3);
}

static void serve_conn (int fd, FILE *log)
{
  char buf[16384];
  size_t have = 0;
  for (;;)
    {
      char *end;
      while ((end = memmem (buf, have, "\r\n\r\n", 4)) == NULL)
        {
          ssize_t n = read (fd, buf + have, sizeof buf - have - 1);
          if (n <= 0)
            return;
          have += (size_t) n;
        }
      size_t reqlen = (size_t) (end - buf) + 4;
      char method[8] = "", url[4096] = "", path[4096] = "";
      buf[have] = '\0';
      if (sscanf (buf, "%7s %4095s", method, url) != 2)
        return;
      const char *q = strstr (url, "path=");
      url_decode (q ? q + 5 : "", path, sizeof path);
      fprintf (log, "%s %s\n", method, path);
      fflush (log);
      respond (fd, method, path);
      memmove (buf, buf + reqlen, have - reqlen);
      have -= reqlen;
    }
}

static pid_t start_server (const char *sock, const char *logpath)
{
  memset (long_name, 'L', 300);
  snprintf (listing, sizeof listing,
            "{\"type\":\"sync\",\"metadata\":[\"../escape\",\"..\",\".\",\"a/b\",\"/abs\",\"\","
            "\"nu\\u0000l\",\"%s\",\"ok\",\"ok\",\"sub\",\"liar\",\"zero\",\"link\"]}",
            long_name);
  int l = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  assert_true (l >= 0 && strlen (sock) < sizeof a.sun_path);
  strcpy (a.sun_path, sock);
  assert_int_equal (bind (l, (struct sockaddr *) &a, sizeof a), 0);
  assert_int_equal (listen (l, 8), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      FILE *log = fopen (logpath, "w");
      if (log == NULL)
        _exit (2);
      for (;;)
        {
          int c = accept (l, NULL, NULL);
          if (c < 0)
            _exit (1);
          serve_conn (c, log);
          close (c);
        }
    }
  close (l);
  return pid;
}

static void test_fake_server_names (void **s)
{
  struct ops_state *st = *s;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *sock = ops_path (st->dir, "fake.sock"), *log = ops_path (st->dir, "fake.log");
  _cleanup_free_ char *area = ops_path (st->dir, "area"), *dst = ops_path (st->dir, "area/dst");
  assert_int_equal (mkdir (area, 0755), 0);
  pid_t server = start_server (sock, log);

  struct incus_endpoint ep = { .name = (char *) "fake", .unix_path = sock };
  struct incus_client *c = NULL;
  OPS_OK (incus_client_open_endpoint (&c, &ep, NULL, &err), &err);
  struct incus_pull_opts o = { .warn = count_warn };
  int r = incus_file_pull_tree (c, "x", "/d", dst, &o, &err);
  incus_client_free (c);
  kill (server, SIGKILL);
  waitpid (server, NULL, 0);
  OPS_OK (r, &err);

  /* Exactly what is safe arrived, nothing else anywhere in the area. */
  _cleanup_buf_ struct buf out = { 0 };
  const char *argv[] = { "find", area, "-mindepth", "1", "-printf", "%P %y %s\n", NULL };
  assert_int_equal (ops_run (&out, argv), 0);
  const char *want[] = { "dst d", "dst/ok f 5", "dst/sub d", "dst/sub/inner f 5", "dst/zero f 0" };
  size_t lines = 0;
  for (char *p = out.data; p && *p; p = strchr (p, '\n') + 1, lines++)
    {
      bool ok = false;
      for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        ok |= strncmp (p, want[i], strlen (want[i])) == 0;
      if (!ok)
        fail_msg ("unexpected entry: %.*s", (int) strcspn (p, "\n"), p);
    }
  assert_int_equal (lines, 5);
  /* 8 bad names + duplicate ok, duplicate inner, ../../up2, liar, link. */
  assert_int_equal (o.skipped, 13);

  /* The server was never asked for a bad name, nor for the empty file. */
  _cleanup_free_ char *logdata = NULL;
  size_t loglen = 0;
  FILE *f = fopen (log, "r");
  assert_non_null (f);
  assert_int_equal (getdelim (&logdata, &loglen, '\0', f) > 0, 1);
  fclose (f);
  assert_null (strstr (logdata, ".."));
  assert_null (strstr (logdata, "/d/a/b"));
  assert_null (strstr (logdata, "LLLL"));
  assert_null (strstr (logdata, "GET /d/zero"));
  assert_non_null (strstr (logdata, "HEAD /d/zero"));
  assert_non_null (strstr (logdata, "GET /d/ok"));
}

static void test_name_rules (void **s)
{
  (void) s;
  assert_true (pathsafe_name_ok ("ok", 2));
  assert_true (pathsafe_name_ok ("..dots", 6));
  assert_true (pathsafe_name_ok ("...", 3));
  assert_false (pathsafe_name_ok ("", 0));
  assert_false (pathsafe_name_ok (".", 1));
  assert_false (pathsafe_name_ok ("..", 2));
  assert_false (pathsafe_name_ok ("../x", 4));
  assert_false (pathsafe_name_ok ("a/b", 3));
  assert_false (pathsafe_name_ok ("a\0b", 3));
  char big[300];
  memset (big, 'x', sizeof big);
  assert_true (pathsafe_name_ok (big, 255));
  assert_false (pathsafe_name_ok (big, 256));
  assert_false (pathsafe_name_ok ("a\nb", 3));
  assert_false (pathsafe_name_ok ("a\033b", 3));
  assert_false (pathsafe_name_ok ("a\177b", 3));
  assert_false (pathsafe_name_ok ("a\302\233b", 4)); /* U+009B, CSI */
  assert_true (pathsafe_name_ok ("caf\303\251", 5));
  assert_true (pathsafe_name_ok ("\302\240", 2)); /* U+00A0 is printable */
  assert_int_equal (pathsafe_host_mode (04755), 0755);
  assert_int_equal (pathsafe_host_mode (02750), 0750);
  assert_int_equal (pathsafe_host_mode (01777), 0755);
  assert_int_equal (pathsafe_host_mode (04777), 0755);
  assert_int_equal (pathsafe_host_mode (04666), 0644);
  assert_int_equal (pathsafe_host_mode (0600), 0600);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_name_rules),
    cmocka_unit_test (test_planted_links_and_fifo),
    cmocka_unit_test (test_destination_symlink_not_followed),
    cmocka_unit_test (test_file_over_limit),
    cmocka_unit_test (test_fake_server_names),
  };
  return ops_main ("hostile", tests, sizeof tests / sizeof tests[0], setup, teardown);
}
