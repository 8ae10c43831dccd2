#include "session/agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "incus/exec.h"
#include "session/session.h"
#include "util/buf.h"
#include "util/cleanup.h"

/* A constant script: the agent's argv arrives as "$@", never spliced in. */
static const char agent_wrapper[] = "trap : INT; \"$@\"; exec bash -l";

static struct incus_exec_opts as_user (const struct coi_agent_user *u, const char *const *argv,
                                       const char *const *env)
{
  return (struct incus_exec_opts) {
    .argv = argv,
    .env = env,
    .cwd = COI_WORKSPACE_PATH,
    .uid = u->uid,
    .gid = u->gid,
    .stdin_fd = -1,
    .stdout_fd = -1,
    .stderr_fd = -1,
  };
}

int coi_agent_running (struct incus_client *c, const char *container,
                       const struct coi_agent_user *u, coi_error_t *err)
{
  _cleanup_free_ char *sess = NULL;
  _cleanup_strv_ char **env = NULL;
  if (coi_tmux_session_name (container, &sess, err) < 0
      || coi_agent_env (u, "code", NULL, NULL, &env, err) < 0)
    return -1;
  const char *argv[] = { "tmux", "has-session", "-t", sess, NULL };
  struct incus_exec_opts o = as_user (u, argv, (const char *const *) env);
  int code = -1;
  if (incus_exec (c, container, &o, &code, err) < 0)
    return -1;
  return code == 0;
}

int coi_agent_start (struct incus_client *c, const char *container,
                     const struct coi_agent_user *u, const char *const *argv,
                     const char *const *env, coi_error_t *err)
{
  _cleanup_free_ char *sess = NULL;
  if (coi_tmux_session_name (container, &sess, err) < 0)
    return -1;
  int running = coi_agent_running (c, container, u, err);
  if (running < 0)
    return -1;
  if (running)
    return 0;

  size_t n = 0;
  while (argv[n])
    n++;
  const char *head[] = { "tmux", "new-session", "-d", "-s", sess, "-c", COI_WORKSPACE_PATH,
                         "-x", "200", "-y", "50", "--", "bash", "-c", agent_wrapper, "coi-agent" };
  size_t nh = sizeof head / sizeof head[0];
  _cleanup_free_ const char **full = calloc (nh + n + 1, sizeof (char *));
  if (full == NULL)
    return coi_error_errno (err, ENOMEM, "start agent");
  memcpy (full, head, sizeof head);
  memcpy (full + nh, argv, n * sizeof (char *));
  struct incus_exec_opts o = as_user (u, full, env);
  _cleanup_buf_ struct buf out = { .limit = 65536 };
  _cleanup_buf_ struct buf errb = { .limit = 65536 };
  int code = -1;
  if (incus_exec_capture (c, container, &o, &out, &errb, &code, err) < 0)
    return coi_error_prefix (err, "start agent in %s", container);
  if (code != 0)
    return coi_error_make (err, 0, "start agent in %s: tmux exited with %d: %s", container, code,
                           errb.data ? errb.data : "");
  return 0;
}

static int run_attached (struct incus_client *c, const char *container,
                         const struct coi_agent_user *u, const char *const *argv,
                         const char *const *env, int *exit_code, coi_error_t *err)
{
  struct incus_exec_opts o = as_user (u, argv, env);
  o.interactive = isatty (STDIN_FILENO) && isatty (STDOUT_FILENO);
  o.stdin_fd = STDIN_FILENO;
  o.stdout_fd = STDOUT_FILENO;
  o.stderr_fd = STDERR_FILENO;
  if (incus_exec (c, container, &o, exit_code, err) < 0)
    return coi_error_prefix (err, "attach to %s", container);
  return 0;
}

int coi_agent_attach (struct incus_client *c, const char *container,
                      const struct coi_agent_user *u, const char *const *env, bool bash,
                      int *exit_code, coi_error_t *err)
{
  _cleanup_free_ char *sess = NULL;
  if (coi_tmux_session_name (container, &sess, err) < 0)
    return -1;
  const char *tmux_argv[] = { "tmux", "attach-session", "-t", sess, NULL };
  const char *bash_argv[] = { "bash", "-l", NULL };
  return run_attached (c, container, u, bash ? bash_argv : tmux_argv, env, exit_code, err);
}

int coi_agent_run_direct (struct incus_client *c, const char *container,
                          const struct coi_agent_user *u, const char *const *argv,
                          const char *const *env, int *exit_code, coi_error_t *err)
{
  return run_attached (c, container, u, argv, env, exit_code, err);
}

/* Boot finished (systemd "running" or "degraded") means /tmp has been
 * cleaned (a tmux socket made earlier would vanish) and DHCP has run.  An
 * image without systemd is ready as soon as exec works. */
int coi_session_wait_ready (struct incus_client *c, const char *container, int timeout_ms,
                            coi_error_t *err)
{
  char secs[16];
  snprintf (secs, sizeof secs, "%d", timeout_ms / 1000 > 0 ? timeout_ms / 1000 : 1);
  const char *argv[] = { "timeout", secs, "systemctl", "is-system-running", "--wait", NULL };
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = argv;
  struct timespec start, now;
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;)
    {
      _cleanup_error_ coi_error_t e = NULL;
      _cleanup_buf_ struct buf out = { .limit = 4096 };
      int code = -1;
      if (incus_exec_capture (c, container, &o, &out, NULL, &code, &e) == 0)
        {
          const char *state = out.data ? out.data : "";
          if (code == INCUS_EXEC_NOT_FOUND || strncmp (state, "running", 7) == 0
              || strncmp (state, "degraded", 8) == 0)
            return 0;
        }
      clock_gettime (CLOCK_MONOTONIC, &now);
      long elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
      if (elapsed >= timeout_ms)
        return coi_error_make (err, ETIMEDOUT, "container %s did not finish booting within %d s%s%s",
                               container, timeout_ms / 1000, e ? ": " : "", e ? e->msg : "");
      struct timespec pause = { 0, 50 * 1000 * 1000 };
      nanosleep (&pause, NULL);
    }
}
