#include "session/agent.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "incus/exec.h"
#include "incus/exec_env.h"
#include "session/attach_alerts.h"
#include "session/ready.h"
#include "session/session.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/clock.h"

/* Constant scripts after the loader (incus/exec_env.h): the variables are
 * exported, the command arrives as positional parameters. */
/* The agent, then a shell in the same pane once it exits (as COI does). */
static const char agent_script[] = INCUS_ENV_LOADER "trap : INT; \"$@\"; exec bash -l";
static const char exec_script[] = INCUS_ENV_LOADER "exec \"$@\"";
/* Root brings eth0 up, then becomes the agent's user exactly as an exec
   with a uid would (no supplementary groups, capabilities gone). */
static const char net_up_then_user[] =
    COI_NET_UP_SH "u=$3; g=$4; shift 4; "
    "exec setpriv --reuid=\"$u\" --regid=\"$g\" --clear-groups -- \"$@\"";

#define NET_UP_RETRY_MS 30000

/* The user's variables, readable only by the agent's user. */
static int push_env_file (struct incus_client *c, const char *container,
                          const struct coi_agent_user *u, const char *const *env,
                          char path[INCUS_ENV_PATH_MAX], coi_error_t *err)
{
  return incus_env_file_push (c, container, u->home, u->uid, u->gid, env, path, err);
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

int coi_agent_start (struct incus_client *c, const struct coi_agent_call *a, coi_error_t *err)
{
  const char *container = a->container;
  const struct coi_agent_user *u = a->user;
  _cleanup_free_ char *sess = NULL;
  if (coi_tmux_session_name (container, &sess, err) < 0)
    return -1;
  int running = coi_agent_running (c, container, u, err);
  if (running < 0)
    return -1;
  if (running)
    return 0;

  char envfile[INCUS_ENV_PATH_MAX];
  if (push_env_file (c, container, u, a->user_env, envfile, err) < 0)
    return -1;
  _cleanup_free_ const char **inner = incus_env_wrap (agent_script, envfile, a->argv);
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
  struct incus_exec_opts o = as_user (u, full, a->base_env);
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

/* sh -c NET_UP coi-net CIDR GW UID GID INNER... (borrowed strings). */
static const char **with_net_up (const struct coi_net_up *net, const struct coi_agent_user *u,
                                 const char **inner, char ids[2][16])
{
  size_t n = 0;
  while (inner[n])
    n++;
  const char **v = calloc (n + 9, sizeof (char *));
  if (v == NULL)
    return NULL;
  snprintf (ids[0], 16, "%d", u->uid);
  snprintf (ids[1], 16, "%d", u->gid);
  const char *head[] = { "sh", "-c", net_up_then_user, "coi-net", net->cidr, net->gateway,
                         ids[0], ids[1] };
  memcpy (v, head, sizeof head);
  memcpy (v + 8, inner, n * sizeof (char *));
  return v;
}

int coi_agent_exec (struct incus_client *c, const struct coi_agent_call *a,
                    const struct incus_exec_opts *io, int *exit_code, coi_error_t *err)
{
  const char *container = a->container;
  const struct coi_agent_user *u = a->user;
  const struct coi_net_up *net = a->net;
  long long begin = coi_now_ms ();
  char envfile[INCUS_ENV_PATH_MAX];
  if (push_env_file (c, container, u, a->user_env, envfile, err) < 0)
    return -1;
  _cleanup_free_ const char **inner = incus_env_wrap (exec_script, envfile, a->argv);
  if (inner == NULL)
    return coi_error_errno (err, ENOMEM, "run in %s", container);
  char ids[2][16];
  _cleanup_free_ const char **outer = net ? with_net_up (net, u, inner, ids) : NULL;
  if (net && outer == NULL)
    return coi_error_errno (err, ENOMEM, "run in %s", container);
  struct incus_exec_opts o = as_user (u, net ? outer : inner, a->base_env);
  if (net)
    o.uid = o.gid = 0;
  o.interactive = io->interactive;
  o.stdin_fd = io->stdin_fd;
  o.stdout_fd = io->stdout_fd;
  o.stderr_fd = io->stderr_fd;
  o.stop_signals = io->stop_signals;
  o.stopped_by = io->stopped_by;
  o.extra_fd = io->extra_fd;
  o.on_extra = io->on_extra;
  o.extra_data = io->extra_data;
  for (;;)
    {
      bool not_started = false;
      o.not_started = &not_started;
      if (incus_exec (c, container, &o, exit_code, err) == 0)
        return 0;
      /* Right after start the container may not take an exec yet. */
      if (!net || !not_started || coi_now_ms () - begin > NET_UP_RETRY_MS)
        return -1;
      coi_error_release (err);
      struct timespec pause = { 0, 20 * 1000 * 1000 };
      nanosleep (&pause, NULL);
    }
}

int coi_agent_attach (struct incus_client *c, const struct coi_agent_call *a, bool bash,
                      int *exit_code, coi_error_t *err)
{
  const char *container = a->container;
  _cleanup_free_ char *sess = NULL;
  if (coi_tmux_session_name (container, &sess, err) < 0)
    return -1;
  const char *tmux_argv[] = { "tmux", "attach-session", "-t", sess, NULL };
  const char *bash_argv[] = { "bash", "-l", NULL };
  struct incus_exec_opts o = as_user (a->user, bash ? bash_argv : tmux_argv, a->base_env);
  o.interactive = isatty (STDIN_FILENO) && isatty (STDOUT_FILENO);
  o.stdin_fd = STDIN_FILENO;
  o.stdout_fd = STDOUT_FILENO;
  o.stderr_fd = STDERR_FILENO;
  o.stop_signals = a->stop;
  o.stopped_by = a->stopped_by;
  /* The supervisor has no terminal: its alerts show up here. */
  _cleanup_attach_alerts_ struct coi_attach_alerts alerts;
  coi_attach_alerts_hook (&alerts, container, &o, a->sink);
  if (incus_exec (c, container, &o, exit_code, err) < 0)
    return coi_error_prefix (err, "attach to %s", container);
  return 0;
}

int coi_agent_run_direct (struct incus_client *c, const struct coi_agent_call *a, int *exit_code,
                          coi_error_t *err)
{
  struct incus_exec_opts io = INCUS_EXEC_OPTS_INIT;
  io.interactive = isatty (STDIN_FILENO) && isatty (STDOUT_FILENO);
  io.stdin_fd = STDIN_FILENO;
  io.stdout_fd = STDOUT_FILENO;
  io.stderr_fd = STDERR_FILENO;
  io.stop_signals = a->stop;
  io.stopped_by = a->stopped_by;
  struct coi_agent_call direct = *a;
  direct.net = NULL;
  if (coi_agent_exec (c, &direct, &io, exit_code, err) < 0)
    return coi_error_prefix (err, "run agent in %s", a->container);
  return 0;
}
