#include "test_ops_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "incus/instance.h"
#include "incus/pathsafe.h"
#include "test_image.h"
#include "util/cleanup.h"

extern char **environ;

static char prefix[96];
static char scratch_root[128];

const char *ops_prefix (void)
{
  return prefix;
}

struct incus_client *ops_client (void)
{
  struct incus_client *c = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err) < 0)
    fail_msg ("open client: %s", ops_errmsg (&err));
  if (coi_test_image_check (c) < 0)
    {
      incus_client_free (c);
      fail_msg ("no test image");
    }
  return c;
}

void ops_launch (struct incus_client *c, const char *suffix, int start, char **name)
{
  _cleanup_error_ coi_error_t err = NULL;
  assert_true (asprintf (name, "%s-%s", prefix, suffix) > 0);
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:{s:s, s:s}, s:b}", "name", *name, "source",
                                           "type", "image", "alias", coi_test_image (), "start", start);
  assert_non_null (body);
  OPS_OK (incus_instance_create (c, body, &err), &err);
}

struct ops_state *ops_state_new (const char *run, const char *stopped, const char *scratch)
{
  struct ops_state *st = calloc (1, sizeof *st);
  assert_non_null (st);
  st->c = ops_client ();
  ops_launch (st->c, run, 1, &st->inst);
  if (stopped)
    ops_launch (st->c, stopped, 0, &st->inst2);
  st->dir = ops_scratch (scratch);
  return st;
}

void ops_state_free (struct ops_state *st)
{
  if (st == NULL)
    return; /* the group setup failed and said why */
  incus_client_free (st->c);
  free (st->inst);
  free (st->inst2);
  free (st->dir);
  free (st);
}

char *ops_path (const char *dir, const char *rel)
{
  char *p = NULL;
  assert_true (asprintf (&p, "%s/%s", dir, rel) > 0);
  return p;
}

int ops_run (struct buf *out, const char *const *argv)
{
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return -1;
  pid_t pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      dup2 (pfd[1], 1);
      execvp (argv[0], (char *const *) argv);
      _exit (127);
    }
  close (pfd[1]);
  char chunk[4096];
  ssize_t n;
  while ((n = read (pfd[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR))
    if (n > 0 && out && buf_append (out, chunk, (size_t) n) < 0)
      break;
  close (pfd[0]);
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

int ops_sh (const char *name, const char *script, struct buf *out)
{
  const char *argv[] = { "incus", "exec", name, "--", "sh", "-c", script, NULL };
  return ops_run (out, argv);
}

char *ops_scratch (const char *what)
{
  char *p = NULL;
  assert_true (asprintf (&p, "%s/%s-XXXXXX", scratch_root, what) > 0);
  assert_non_null (mkdtemp (p));
  return p;
}

void ops_sha256_file (const char *path, char out[65])
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  assert_true (fd >= 0);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  assert_non_null (ctx);
  assert_int_equal (EVP_DigestInit_ex (ctx, EVP_sha256 (), NULL), 1);
  static char chunk[1 << 16];
  ssize_t n;
  while ((n = read (fd, chunk, sizeof chunk)) > 0)
    assert_int_equal (EVP_DigestUpdate (ctx, chunk, (size_t) n), 1);
  assert_true (n == 0);
  unsigned char md[32];
  unsigned len = 0;
  assert_int_equal (EVP_DigestFinal_ex (ctx, md, &len), 1);
  EVP_MD_CTX_free (ctx);
  for (unsigned i = 0; i < 32; i++)
    sprintf (out + 2 * i, "%02x", md[i]);
  out[64] = '\0';
}

void ops_write_random (const char *path, size_t len, unsigned seed, unsigned mode)
{
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true (fd >= 0);
  static unsigned char chunk[1 << 16];
  unsigned long long x = seed * 2654435761ull + 1;
  for (size_t done = 0; done < len;)
    {
      size_t n = len - done < sizeof chunk ? len - done : sizeof chunk;
      for (size_t i = 0; i < n; i++)
        {
          /* xorshift: every byte value occurs, including NUL and 0xff. */
          x ^= x << 13;
          x ^= x >> 7;
          x ^= x << 17;
          chunk[i] = (unsigned char) (x >> 24);
        }
      assert_int_equal (write (fd, chunk, n), (ssize_t) n);
      done += n;
    }
  assert_int_equal (fchmod (fd, mode), 0);
}

/* Whatever happened to the child, no container or scratch file of this run
 * survives. */
static void cleanup_run (void)
{
  struct incus_client *c = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *list = NULL;
  if (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err) == 0 && incus_instance_list (c, 0, NULL, &list, &err) == 0)
    {
      size_t i;
      json_t *u;
      json_array_foreach (list, i, u)
      {
        const char *url = json_string_value (u);
        const char *name = url ? strrchr (url, '/') : NULL;
        if (name == NULL || strncmp (name + 1, prefix, strlen (prefix)) != 0)
          continue;
        _cleanup_error_ coi_error_t e = NULL;
        if (incus_instance_force_delete (c, name + 1, &e) < 0)
          fprintf (stderr, "cleanup: delete %s: %s\n", name + 1, ops_errmsg (&e));
      }
    }
  else
    fprintf (stderr, "cleanup: %s\n", ops_errmsg (&err));
  if (c)
    incus_client_free (c);
  if (pathsafe_remove_tree (AT_FDCWD, scratch_root) < 0)
    fprintf (stderr, "cleanup: remove %s: %s\n", scratch_root, strerror (errno));
}

int ops_main (const char *kind, const struct CMUnitTest *tests, size_t n,
              CMFixtureFunction setup, CMFixtureFunction teardown)
{
  snprintf (prefix, sizeof prefix, "coi-test-ops-%s-%d", kind, (int) getpid ());
  snprintf (scratch_root, sizeof scratch_root, "/tmp/%s", prefix);
  if (mkdir (scratch_root, 0700) < 0)
    {
      perror (scratch_root);
      return 1;
    }
  fflush (NULL);
  pid_t pid = fork ();
  if (pid < 0)
    return 1;
  if (pid == 0)
    exit (_cmocka_run_group_tests (kind, tests, n, setup, teardown));
  int st = 0;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      break;
  cleanup_run ();
  if (WIFSIGNALED (st))
    {
      fprintf (stderr, "%s tests killed by signal %d\n", kind, WTERMSIG (st));
      return 1;
    }
  return WIFEXITED (st) ? WEXITSTATUS (st) : 1;
}
