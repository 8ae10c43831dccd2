/* Limits (spec G.5) on this host's cgroup v1/v2 hybrid, verified from
 * inside a container created with the one request coi_limits_apply_to_body
 * fills: CPU count (nproc), memory limit and OOM, pids limit, CPU shares
 * and disk read throttling as the host's cgroups hold them.  An invalid
 * value fails before anything is created.  Container: coi-test-mon-limits-*. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "incus/exec.h"
#include "incus/instance.h"
#include "session/limits.h"
#include "test_image.h"
#include "util/cleanup.h"

extern char **environ;

struct fixture
{
  struct incus_client *c;
  char name[64];
};

static void set (struct coi_limits *l, const char *k, const char *v)
{
  coi_error_t err = NULL;
  if (coi_limits_set (l, k, v, &err) < 0)
    fail_msg ("%s: %s", k, err->msg);
}

static int setup (void **state)
{
  static struct fixture f;
  coi_error_t err = NULL;
  if (incus_client_open (&f.c, NULL, NULL, (const char *const *) environ, &err) < 0)
    {
      fprintf (stderr, "incus: %s\n", err->msg);
      return -1;
    }
  snprintf (f.name, sizeof f.name, "coi-test-mon-limits-%d", (int) getpid ());
  _cleanup_limits_ struct coi_limits l;
  coi_limits_init (&l);
  set (&l, "cpu.count", "1");
  set (&l, "cpu.allowance", "50%");
  set (&l, "cpu.priority", "5");
  set (&l, "memory.limit", "256MiB");
  set (&l, "memory.enforce", "hard");
  set (&l, "memory.swap", "false");
  set (&l, "disk.read", "10MB");
  set (&l, "disk.write", "20MB");
  set (&l, "runtime.max_processes", "50");
  l.root_pool = strdup ("default");
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:{s:s, s:s}, s:[s]}", "name", f.name, "source", "type", "image",
                                           "alias", coi_test_image (), "profiles", "default");
  if (body == NULL || coi_limits_apply_to_body (&l, body, &err) < 0 || incus_instance_create (f.c, body, &err) < 0
      || incus_instance_set_state (f.c, f.name, "start", -1, false, &err) < 0)
    {
      fprintf (stderr, "create %s: %s\n", f.name, err ? err->msg : "?");
      return -1;
    }
  *state = &f;
  return 0;
}

static int teardown (void **state)
{
  struct fixture *f = *state;
  coi_error_t err = NULL;
  if (f && f->c)
    {
      incus_instance_force_delete (f->c, f->name, &err);
      incus_client_free (f->c);
    }
  return 0;
}

/* Output of a shell line in the container (trailing newline cut). */
static char *sh (struct fixture *f, const char *line, int *code)
{
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  const char *argv[] = { "sh", "-c", line, NULL };
  o.argv = argv;
  struct buf out = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  int rc = -1;
  if (incus_exec_capture (f->c, f->name, &o, &out, NULL, &rc, &err) < 0)
    fail_msg ("exec %s: %s", line, err->msg);
  if (code)
    *code = rc;
  char *s = buf_steal (&out);
  if (s == NULL)
    s = strdup ("");
  s[strcspn (s, "\n")] = '\0';
  return s;
}

/* systemd in the container mounts its cgroup views a moment after start. */
static char *sh_retry (struct fixture *f, const char *line)
{
  for (int i = 0; i < 50; i++)
    {
      int rc;
      char *s = sh (f, line, &rc);
      if (rc == 0 && *s)
        return s;
      free (s);
      usleep (100000);
    }
  fail_msg ("no answer from: %s", line);
  return NULL;
}

static void test_cpu_count (void **state)
{
  _cleanup_free_ char *n = sh_retry (*state, "nproc");
  assert_string_equal (n, "1");
}

static void test_memory_limit_and_oom (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *lim = sh_retry (f, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max");
  assert_string_equal (lim, "268435456");
  /* 400 MB under a 256 MiB hard limit without swap: the allocator dies. */
  int rc = 0;
  _cleanup_free_ char *o = sh (f, "head -c 400000000 /dev/zero | tail > /dev/null; echo $?", &rc);
  assert_string_equal (o, "137"); /* SIGKILL from the OOM killer */
}

static void test_pids_limit (void **state)
{
  struct fixture *f = *state;
  _cleanup_free_ char *max = sh_retry (f, "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max");
  assert_string_equal (max, "50");
  /* 80 sleepers cannot all start. */
  int rc = 0;
  _cleanup_free_ char *o = sh (f, "n=0; for i in $(seq 80); do sleep 5 & n=$((n+1)); done 2>/dev/null; "
                                  "c=$(ls /proc | grep -c '^[0-9]'); kill $(jobs -p) 2>/dev/null; echo $c", &rc);
  assert_true (atoi (o) <= 50);
}

/* The first line of a host cgroup file of the container, NULL if absent. */
static char *host_cgroup (const struct fixture *f, const char *controller, const char *file, char *buf, size_t len)
{
  char path[256];
  snprintf (path, sizeof path, "/sys/fs/cgroup/%s/lxc.payload.%s/%s", controller, f->name, file);
  FILE *fp = fopen (path, "re");
  if (fp == NULL)
    return NULL;
  char *line = fgets (buf, (int) len, fp);
  fclose (fp);
  return line;
}

static void test_host_side_cgroups (void **state)
{
  struct fixture *f = *state;
  char buf[256];
  /* Disk rates land on the root disk's block device. */
  if (host_cgroup (f, "blkio", "blkio.throttle.read_bps_device", buf, sizeof buf) == NULL)
    skip (); /* not a v1 blkio host */
  assert_non_null (strstr (buf, " 10000000"));
  assert_non_null (host_cgroup (f, "blkio", "blkio.throttle.write_bps_device", buf, sizeof buf));
  assert_non_null (strstr (buf, " 20000000"));
  /* A 50% allowance is a share (cpu.shares), not a quota. */
  assert_non_null (host_cgroup (f, "cpu", "cpu.shares", buf, sizeof buf));
  assert_true (atoi (buf) > 0 && atoi (buf) < 1024);
}

static void test_invalid_limit_creates_nothing (void **state)
{
  struct fixture *f = *state;
  _cleanup_limits_ struct coi_limits l;
  coi_limits_init (&l);
  _cleanup_error_ coi_error_t err = NULL;
  /* Validation happens when the value is read, before any request. */
  assert_int_equal (coi_limits_set (&l, "limits.memory.limit", "lots", &err), -1);
  assert_non_null (strstr (err->msg, "limits.memory.limit"));
  char other[80];
  snprintf (other, sizeof other, "%s-x", f->name);
  _cleanup_error_ coi_error_t e2 = NULL;
  assert_int_equal (incus_instance_exists (f->c, other, &e2), 0);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_cpu_count),
    cmocka_unit_test (test_memory_limit_and_oom),
    cmocka_unit_test (test_pids_limit),
    cmocka_unit_test (test_host_side_cgroups),
    cmocka_unit_test (test_invalid_limit_creates_nothing),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
