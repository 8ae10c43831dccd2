/* GET instance and exec of `true`: coi's client against the incus CLI (the
 * witness) doing the same.  Runs are interleaved so that load on the machine
 * hits both sides alike; prints medians and ratios (target: at most 0.5).
 *
 * Usage: bench_exec [RUNS] [INSTANCE] [COI]
 *   INSTANCE: a running container (default, or "": one made from $COI_TEST_IMAGE, else coi
 *   and deleted afterwards).  COI: path of the coi binary, to also time
 *   `coi container exec NAME -- true` as a process. */
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "incus/exec.h"
#include "incus/instance.h"
#include "test_image.h"
#include "util/cleanup.h"

#include "bench_util.h"

extern char **environ;

enum
{
  GET_OURS,
  GET_CLI,
  EXEC_OURS,
  EXEC_OURS_FRESH,
  EXEC_FLOOR,
  EXEC_CLI,
  EXEC_COI_PROCESS,
  NSERIES
};

static const char *const labels[NSERIES] = {
  "GET instance, coi client (kept-open connection)",
  "GET instance, incus query",
  "exec true, coi client (kept-open connection)",
  "exec true, coi client (fresh client per run)",
  "exec true, server floor (POST + /wait, no sockets)",
  "exec true, incus exec",
  "exec true, coi container exec (process)",
};


/* Run argv with stdin and stdout on /dev/null; its exit status or -1. */
static int run_process (char *const argv[])
{
  posix_spawn_file_actions_t fa;
  if (posix_spawn_file_actions_init (&fa) != 0)
    return -1;
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int r = posix_spawnp (&pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  if (r != 0)
    return -1;
  int st;
  if (waitpid (pid, &st, 0) < 0 || !WIFEXITED (st))
    return -1;
  return WEXITSTATUS (st);
}

static int exec_true (struct incus_client *c, const char *name)
{
  _cleanup_error_ coi_error_t err = NULL;
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = (const char *const[]) { "true", NULL };
  int code = -1;
  if (incus_exec (c, name, &o, &code, &err) < 0)
    {
      fprintf (stderr, "exec: %s\n", err->msg);
      return -1;
    }
  return code;
}

/* What the server alone takes: the exec started without websockets (output
 * dropped by the server) and waited for.  The client's cost is what exec
 * with its four sockets adds on top. */
static int exec_floor (struct incus_client *c, const char *name)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *body = json_pack ("{s:[s], s:b, s:b, s:b}", "command", "true",
                                           "wait-for-websocket", 0, "interactive", 0,
                                           "record-output", 0);
  _cleanup_json_ json_t *op = NULL, *done = NULL;
  char path[256];
  snprintf (path, sizeof path, "/1.0/instances/%s/exec", name);
  if (body == NULL || incus_call_async (c, "POST", path, body, &op, &err) < 0
      || incus_operation_wait (c, json_string_value (json_object_get (op, "id")), -1, &done, &err) < 0)
    {
      fprintf (stderr, "exec floor: %s\n", err ? err->msg : "out of memory");
      return -1;
    }
  return 0;
}

/* One timed run of series k; returns milliseconds, or -1 on failure. */
static double one (int k, struct incus_client *c, const char *name, const char *coi)
{
  char query[256];
  snprintf (query, sizeof query, "/1.0/instances/%s", name);
  double t0 = now_ms ();
  int r = 0;
  switch (k)
    {
    case GET_OURS:
      {
        _cleanup_error_ coi_error_t err = NULL;
        _cleanup_json_ json_t *inst = NULL;
        r = incus_instance_get (c, name, &inst, &err);
        break;
      }
    case GET_CLI:
      r = run_process ((char *const[]) { "incus", "query", query, NULL });
      break;
    case EXEC_OURS:
      r = exec_true (c, name);
      break;
    case EXEC_OURS_FRESH:
      {
        _cleanup_error_ coi_error_t err = NULL;
        struct incus_client *fresh = NULL;
        r = incus_client_open (&fresh, NULL, NULL, (const char *const *) environ, &err);
        if (r == 0)
          r = exec_true (fresh, name);
        incus_client_free (fresh);
        break;
      }
    case EXEC_FLOOR:
      r = exec_floor (c, name);
      break;
    case EXEC_CLI:
      r = run_process ((char *const[]) { "incus", "exec", (char *) name, "--", "true", NULL });
      break;
    case EXEC_COI_PROCESS:
      r = run_process ((char *const[]) { (char *) coi, "container", "exec", (char *) name, "--",
                                         "true", NULL });
      break;
    }
  double t = now_ms () - t0;
  return r == 0 ? t : -1;
}

static int make_instance (struct incus_client *c, char *name, size_t len)
{
  snprintf (name, len, "coi-test-exec-bench-%ld", (long) getpid ());
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:{s:s, s:s}, s:b}", "name", name, "source",
                                           "type", "image", "alias", coi_test_image (), "start", 1);
  if (body == NULL || incus_instance_create (c, body, &err) < 0)
    {
      fprintf (stderr, "create %s: %s\n", name, err ? err->msg : "out of memory");
      return -1;
    }
  return 0;
}

int main (int argc, char **argv)
{
  int runs = argc > 1 ? atoi (argv[1]) : 30;
  const char *coi = argc > 3 ? argv[3] : NULL;
  if (runs < 1)
    runs = 30;
  _cleanup_error_ coi_error_t err = NULL;
  struct incus_client *c = NULL;
  if (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err) < 0)
    return coi_error_report (&err, stderr);
  char name[64];
  bool made = argc <= 2 || argv[2][0] == '\0';
  if (made)
    {
      if (make_instance (c, name, sizeof name) < 0)
        {
          incus_client_free (c);
          return 1;
        }
    }
  else
    snprintf (name, sizeof name, "%s", argv[2]);

  int nseries = coi ? NSERIES : NSERIES - 1;
  double *t[NSERIES];
  int n[NSERIES] = { 0 };
  int status = 0;
  for (int k = 0; k < NSERIES; k++)
    t[k] = calloc ((size_t) runs, sizeof (double));
  /* Two warm-up rounds (page cache, the server's first-exec costs) are
     discarded. */
  for (int round = -2; round < runs && status == 0; round++)
    for (int k = 0; k < nseries; k++)
      {
        double ms = one (k, c, name, coi);
        if (ms < 0)
          {
            fprintf (stderr, "%s: failed\n", labels[k]);
            status = 1;
            break;
          }
        if (round >= 0)
          t[k][n[k]++] = ms;
      }

  if (status == 0)
    {
      double m[NSERIES];
      printf ("instance %s, %d runs each, medians:\n", name, runs);
      for (int k = 0; k < nseries; k++)
        {
          m[k] = median (t[k], n[k]);
          printf ("  %-50s %8.2f ms\n", labels[k], m[k]);
        }
      printf ("ratios (target <= 0.50):\n");
      printf ("  GET instance, client / CLI             %.2f\n", m[GET_OURS] / m[GET_CLI]);
      printf ("  exec true, client / CLI                %.2f\n", m[EXEC_OURS] / m[EXEC_CLI]);
      printf ("  exec true, fresh client / CLI          %.2f\n", m[EXEC_OURS_FRESH] / m[EXEC_CLI]);
      if (coi)
        printf ("  exec true, coi process / CLI           %.2f\n",
                m[EXEC_COI_PROCESS] / m[EXEC_CLI]);
      printf ("overhead of the client over the server floor:\n");
      printf ("  exec true, client - floor              %+.2f ms\n", m[EXEC_OURS] - m[EXEC_FLOOR]);
    }
  for (int k = 0; k < NSERIES; k++)
    free (t[k]);
  if (made && incus_instance_force_delete (c, name, &err) < 0)
    {
      fprintf (stderr, "delete %s: %s\n", name, err->msg);
      status = 1;
    }
  incus_client_free (c);
  return status;
}
