#include "session/agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "incus/exec.h"
#include "incus/files.h"
#include "incus/instance.h"
#include "session/attach_alerts.h"
#include "session/session.h"
#include "util/buf.h"
#include "util/cleanup.h"

/* Constant scripts: the environment file and the command arrive as
 * positional parameters, never spliced into the script.  Exported values
 * live only in the processes' environments: Incus puts an exec's
 * environment on the command line of its `incusd forkexec` helper, so
 * secrets must not travel in the exec request. */
#define LOAD_ENV                                                       \
  "f=$1; shift; if [ -n \"$f\" ]; then "                                \
  "while IFS= read -r -d '' kv; do export \"$kv\"; done < \"$f\"; "      \
  "rm -f -- \"$f\"; fi; "
/* The agent, then a shell in the same pane once it exits (as COI does). */
static const char agent_script[] = LOAD_ENV "trap : INT; \"$@\"; exec bash -l";
static const char exec_script[] = LOAD_ENV "exec \"$@\"";

/* Push the variables as NUL-separated KEY=VALUE pairs, readable only by the
 * agent's user.  No variables: *path stays empty. */
static int push_env_file (struct incus_client *c, const char *container,
                          const struct coi_agent_user *u, const char *const *env, char path[128],
                          coi_error_t *err)
{
  path[0] = '\0';
  if (env == NULL || env[0] == NULL)
    return 0;
  _cleanup_buf_ struct buf data = { .limit = 4u * 1024 * 1024 };
  for (const char *const *e = env; *e; e++)
    if (buf_append (&data, *e, strlen (*e) + 1) < 0)
      return coi_error_errno (err, errno, "pass environment to %s", container);
  unsigned char rnd[8];
  if (getrandom (rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
    return coi_error_errno (err, errno, "pass environment to %s", container);
  snprintf (path, 128, "%s/.coi-env-%02x%02x%02x%02x%02x%02x%02x%02x", u->home, rnd[0], rnd[1],
            rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
  struct incus_file_attrs a = { u->uid, u->gid, 0600 };
  if (incus_file_push_data (c, container, path, data.data, data.len, a, err) < 0)
    return coi_error_prefix (err, "pass environment to %s", container);
  return 0;
}

/* argv = bash -c SCRIPT coi-env ENVFILE CMD... (borrowed strings). */
static const char **wrap (const char *script, const char *envfile, const char *const *cmd)
{
  size_t n = 0;
  while (cmd[n])
    n++;
  const char **v = calloc (n + 6, sizeof (char *));
  if (v == NULL)
    return NULL;
  v[0] = "bash";
  v[1] = "-c";
  v[2] = script;
  v[3] = "coi-env";
  v[4] = envfile;
  memcpy (v + 5, cmd, n * sizeof (char *));
  return v;
}

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
                     const char *const *base_env, const char *const *user_env, coi_error_t *err)
{
  _cleanup_free_ char *sess = NULL;
  if (coi_tmux_session_name (container, &sess, err) < 0)
    return -1;
  int running = coi_agent_running (c, container, u, err);
  if (running < 0)
    return -1;
  if (running)
    return 0;

  char envfile[128];
  if (push_env_file (c, container, u, user_env, envfile, err) < 0)
    return -1;
  _cleanup_free_ const char **inner = wrap (agent_script, envfile, argv);
  if (inner == NULL)
    return coi_error_errno (err, ENOMEM, "start agent");
  size_t n = 0;
  while (inner[n])
    n++;
  const char *head[] = { "tmux", "new-session", "-d", "-s", sess, "-c", COI_WORKSPACE_PATH,
                         "-x", "200", "-y", "50", "--" };
  size_t nh = sizeof head / sizeof head[0];
  _cleanup_free_ const char **full = calloc (nh + n + 1, sizeof (char *));
  if (full == NULL)
    return coi_error_errno (err, ENOMEM, "start agent");
  memcpy (full, head, sizeof head);
  memcpy (full + nh, inner, n * sizeof (char *));
  struct incus_exec_opts o = as_user (u, full, base_env);
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

int coi_agent_exec (struct incus_client *c, const char *container, const struct coi_agent_user *u,
                    const char *const *argv, const char *const *base_env,
                    const char *const *user_env, const struct incus_exec_opts *io,
                    int *exit_code, coi_error_t *err)
{
  char envfile[128];
  if (push_env_file (c, container, u, user_env, envfile, err) < 0)
    return -1;
  _cleanup_free_ const char **full = wrap (exec_script, envfile, argv);
  if (full == NULL)
    return coi_error_errno (err, ENOMEM, "run in %s", container);
  struct incus_exec_opts o = as_user (u, full, base_env);
  o.interactive = io->interactive;
  o.stdin_fd = io->stdin_fd;
  o.stdout_fd = io->stdout_fd;
  o.stderr_fd = io->stderr_fd;
  o.stop_signals = io->stop_signals;
  o.stopped_by = io->stopped_by;
  return incus_exec (c, container, &o, exit_code, err);
}

int coi_agent_attach (struct incus_client *c, const char *container,
                      const struct coi_agent_user *u, const char *const *env, bool bash,
                      const sigset_t *stop, int *stopped_by, int *exit_code, coi_error_t *err)
{
  _cleanup_free_ char *sess = NULL;
  if (coi_tmux_session_name (container, &sess, err) < 0)
    return -1;
  const char *tmux_argv[] = { "tmux", "attach-session", "-t", sess, NULL };
  const char *bash_argv[] = { "bash", "-l", NULL };
  struct incus_exec_opts o = as_user (u, bash ? bash_argv : tmux_argv, env);
  o.interactive = isatty (STDIN_FILENO) && isatty (STDOUT_FILENO);
  o.stdin_fd = STDIN_FILENO;
  o.stdout_fd = STDOUT_FILENO;
  o.stderr_fd = STDERR_FILENO;
  o.stop_signals = stop;
  o.stopped_by = stopped_by;
  /* The supervisor has no terminal: its alerts show up here. */
  _cleanup_attach_alerts_ struct coi_attach_alerts alerts;
  coi_attach_alerts_hook (&alerts, container, &o);
  if (incus_exec (c, container, &o, exit_code, err) < 0)
    return coi_error_prefix (err, "attach to %s", container);
  return 0;
}

int coi_agent_run_direct (struct incus_client *c, const char *container,
                          const struct coi_agent_user *u, const char *const *argv,
                          const char *const *base_env, const char *const *user_env,
                          const sigset_t *stop, int *stopped_by, int *exit_code, coi_error_t *err)
{
  struct incus_exec_opts io = INCUS_EXEC_OPTS_INIT;
  io.interactive = isatty (STDIN_FILENO) && isatty (STDOUT_FILENO);
  io.stdin_fd = STDIN_FILENO;
  io.stdout_fd = STDOUT_FILENO;
  io.stderr_fd = STDERR_FILENO;
  io.stop_signals = stop;
  io.stopped_by = stopped_by;
  if (coi_agent_exec (c, container, u, argv, base_env, user_env, &io, exit_code, err) < 0)
    return coi_error_prefix (err, "run agent in %s", container);
  return 0;
}

/* Ready means eth0 has its address: networkd runs after sysinit.target,
 * so by then /tmp has been cleaned (a tmux socket made earlier would
 * vanish) and the network works.  One exec waits for it inside the
 * container, where polling is cheap; an image without the tools falls back
 * to polling the instance state from here. */
static const char wait_script[] =
    "until ip -4 -o addr show dev eth0 2>/dev/null | grep -q ' inet '; do sleep 0.02; done";

static long elapsed_ms (const struct timespec *start)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return (now.tv_sec - start->tv_sec) * 1000 + (now.tv_nsec - start->tv_nsec) / 1000000;
}

static int poll_state (struct incus_client *c, const char *container, int timeout_ms,
                       const struct timespec *start, coi_error_t *err)
{
  for (;;)
    {
      _cleanup_error_ coi_error_t e = NULL;
      _cleanup_json_ json_t *state = NULL;
      if (incus_instance_state (c, container, &state, &e) == 0)
        {
          if (incus_state_ipv4 (state, "eth0"))
            return 0;
          if (json_object_get (json_object_get (state, "network"), "eth0") == NULL
              && json_integer_value (json_object_get (state, "pid")) > 0)
            return 0; /* no network to wait for */
        }
      if (elapsed_ms (start) >= timeout_ms)
        return coi_error_make (err, ETIMEDOUT, "container %s got no network address within %d s%s%s",
                               container, timeout_ms / 1000, e ? ": " : "", e ? e->msg : "");
      struct timespec pause = { 0, 50 * 1000 * 1000 };
      nanosleep (&pause, NULL);
    }
}

int coi_session_wait_ready (struct incus_client *c, const char *container, int timeout_ms,
                            coi_error_t *err)
{
  struct timespec start;
  clock_gettime (CLOCK_MONOTONIC, &start);
  char secs[16];
  snprintf (secs, sizeof secs, "%d", timeout_ms / 1000 > 0 ? timeout_ms / 1000 : 1);
  const char *argv[] = { "timeout", secs, "sh", "-c", wait_script, NULL };
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = argv;
  for (;;)
    {
      _cleanup_error_ coi_error_t e = NULL;
      int code = -1;
      if (incus_exec (c, container, &o, &code, &e) == 0)
        {
          if (code == 0)
            return 0;
          if (code == 124)
            return coi_error_make (err, ETIMEDOUT, "container %s got no network address within %s s",
                                   container, secs);
          if (code == 126 || code == 127)
            return poll_state (c, container, timeout_ms, &start, err);
        }
      /* The exec itself can fail while init is still coming up. */
      if (elapsed_ms (&start) >= timeout_ms)
        return coi_error_make (err, ETIMEDOUT, "container %s did not become ready within %d s%s%s",
                               container, timeout_ms / 1000, e ? ": " : "", e ? e->msg : "");
      struct timespec pause = { 0, 20 * 1000 * 1000 };
      nanosleep (&pause, NULL);
    }
}
