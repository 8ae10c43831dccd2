/* CPU of idle session supervisors: N containers (copies of IMAGE), one
 * supervisor each with every monitor on, started as the launcher starts
 * them; after a warm-up, utime+stime of each supervisor from
 * /proc/<pid>/stat over a window.  Target: at most 1% of one core per
 * session.  Needs root and incusd.  Containers coi-test-mon-bench-*, all
 * deleted at the end.
 * Usage: bench_supervisor COI_BINARY [IMAGE] [SESSIONS] [SECONDS] */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "incus/client.h"
#include "incus/instance.h"
#include "monitor/guard_spec.h"
#include "monitor/supervisor.h"
#include "test_image.h"
#include "util/cleanup.h"

extern char **environ;

#define MAX_SESSIONS 64

/* utime + stime in clock ticks, or -1 when the process is gone. */
static long long cpu_ticks (pid_t pid)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return -1;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  if (p == NULL)
    return -1;
  unsigned long long ut = 0, st = 0;
  /* After comm: state(3) ... utime(14) stime(15). */
  if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
    return -1;
  return (long long) (ut + st);
}

/* Processes created on the whole host so far (/proc/stat "processes"):
 * every exec on the host wakes every supervisor, so the figure depends on
 * how busy the host is. */
static long long host_forks (void)
{
  FILE *f = fopen ("/proc/stat", "re");
  char line[256];
  long long v = -1;
  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "processes %lld", &v) == 1)
      break;
  if (f)
    fclose (f);
  return v;
}

static double now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s COI_BINARY [IMAGE] [SESSIONS] [SECONDS]\n", argv[0]);
      return 2;
    }
  const char *coi = argv[1];
  const char *image = argc > 2 ? argv[2] : coi_test_image ();
  int n = argc > 3 ? atoi (argv[3]) : 10;
  int seconds = argc > 4 ? atoi (argv[4]) : 30;
  if (n < 1 || n > MAX_SESSIONS || seconds < 1)
    return 2;
  /* Keep the bench's run files and audit logs out of the user's. */
  char tmp[] = "/tmp/coi-bench-sup-XXXXXX";
  if (mkdtemp (tmp) == NULL)
    return 1;
  char run[64], home[64];
  snprintf (run, sizeof run, "%s/run", tmp);
  snprintf (home, sizeof home, "%s/home", tmp);
  setenv ("COI_RUN_DIR", run, 1);
  setenv ("HOME", home, 1);

  coi_error_t err = NULL;
  struct incus_client *c = NULL;
  if (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err) < 0)
    return coi_error_report (&err, stderr);
  char names[MAX_SESSIONS][64];
  pid_t sup[MAX_SESSIONS] = { 0 };
  int created = 0, rc = 0;
  for (int i = 0; i < n && rc == 0; i++)
    {
      snprintf (names[i], sizeof names[i], "coi-test-mon-bench-%d-%d", i, (int) getpid ());
      json_t *body = json_pack ("{s:s, s:{s:s, s:s}}", "name", names[i], "source", "type", "image", "alias", image);
      rc = incus_instance_create (c, body, &err);
      json_decref (body);
      if (rc == 0)
        created++;
      if (rc == 0)
        rc = incus_instance_set_state (c, names[i], "start", -1, false, &err);
    }
  sleep (3); /* let the containers boot (addresses, systemd settling) */
  for (int i = 0; i < created && rc == 0; i++)
    {
      struct coi_guard_spec spec;
      coi_guard_spec_init (&spec);
      spec.container = strdup (names[i]);
      spec.started_at = time (NULL);
      spec.network_mode = strdup ("restricted");
      spec.monitoring.enabled = true;
      char path[128];
      snprintf (path, sizeof path, "%s/%s.json", tmp, names[i]);
      rc = coi_guard_spec_save (path, &spec, &err);
      coi_guard_spec_clear (&spec);
      if (rc == 0)
        rc = coi_supervisor_spawn (coi, path, -1, &sup[i], &err);
    }
  if (rc < 0)
    coi_error_report (&err, stderr);
  else
    {
      sleep (5); /* warm-up: arming, first samples */
      long long t0[MAX_SESSIONS];
      for (int i = 0; i < n; i++)
        t0[i] = cpu_ticks (sup[i]);
      double w0 = now_s ();
      long long f0 = host_forks ();
      sleep ((unsigned) seconds);
      double window = now_s () - w0;
      long long f1 = host_forks ();
      long hz = sysconf (_SC_CLK_TCK);
      double total = 0, worst = 0;
      printf ("supervisor CPU at idle, %d sessions, %.1f s window (%ld ticks/s):\n", n, window, hz);
      for (int i = 0; i < n; i++)
        {
          long long t1 = cpu_ticks (sup[i]);
          if (t0[i] < 0 || t1 < 0)
            {
              printf ("  %s: supervisor %d gone\n", names[i], (int) sup[i]);
              rc = 1;
              continue;
            }
          double pct = (double) (t1 - t0[i]) / (double) hz / window * 100.0;
          total += pct;
          if (pct > worst)
            worst = pct;
          printf ("  %-32s pid %-7d %6.3f%% of one core\n", names[i], (int) sup[i], pct);
        }
      printf ("mean %.3f%% per session, worst %.3f%%, all %d together %.3f%% (target <= 1%% each)\n", total / n, worst,
              n, total);
      printf ("host activity meanwhile: %.0f process creations/s\n", (double) (f1 - f0) / window);
    }
  for (int i = 0; i < n; i++)
    if (sup[i] > 0)
      kill (sup[i], SIGTERM);
  for (int i = 0; i < created; i++)
    {
      coi_error_t e = NULL;
      if (incus_instance_force_delete (c, names[i], &e) < 0)
        coi_error_report (&e, stderr);
    }
  incus_client_free (c);
  char cmd[128];
  snprintf (cmd, sizeof cmd, "rm -rf %s", tmp);
  if (system (cmd) != 0)
    fprintf (stderr, "could not remove %s\n", tmp);
  return rc < 0 ? 1 : rc;
}
