#include "session/lifecycle.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "incus/exec.h"
#include "incus/instance.h"
#include "guard/state.h"
#include "session/agent.h"
#include "session/attach_alerts.h"
#include "session/ready.h"
#include "session/supervise.h"
#include "session/tool_state.h"
#include "util/cleanup.h"
#include "util/strv.h"

#define READY_TIMEOUT_MS 30000

struct run
{
  struct incus_client *c;
  struct coi_session_plan *p;
  const struct coi_sink *sink;
  struct coi_session s;
  char **base_env;   /* HOME, TERM, ...: may be seen */
  bool claimed;
  bool agent_started;
  bool detached;     /* a background session: its supervisor ends it */
  int stopped_by;    /* the abort signal that ended an attached run */
  int code;          /* the command's exit code */
  struct coi_net_up up;
  bool net_up;       /* the first exec brings eth0 up itself */
};

static bool attached (const struct run *r)
{
  return !(r->p->kind == COI_SESSION_AGENT && r->p->req->background);
}

static struct coi_agent_call agent_call (struct run *r, const char *const *argv)
{
  return (struct coi_agent_call) {
    .container = r->s.container,
    .user = &r->p->user,
    .argv = argv,
    .base_env = (const char *const *) r->base_env,
    .user_env = (const char *const *) r->p->env,
    .net = r->net_up ? &r->up : NULL,
    .stop = &r->p->abort_set,
    .stopped_by = &r->stopped_by,
    .sink = r->sink,
  };
}

/* 1-3: the container, its record and who ends it. */
static int launch (struct run *r, coi_error_t *err)
{
  struct coi_session_plan *p = r->p;
  bool agent = p->kind == COI_SESSION_AGENT;
  if (agent)
    coi_progress (r->sink, "Starting session...");
  if (coi_session_launch (r->c, &p->opts, &r->s, err) < 0)
    return -1;
  if (agent)
    {
      coi_info (r->sink, "Session ID: %s", r->s.id);
      coi_info (r->sink, "Container: %s", r->s.container);
      coi_info (r->sink, "Workspace: %s", r->s.workspace_abs);
      if (coi_session_save_meta (&r->s, err) < 0)
        return -1;
    }
  if (attached (r))
    {
      if (coi_session_claim (r->s.container, err) < 0)
        return -1;
      r->claimed = true;
    }
  return 0;
}

/* 4: agent sessions can be detached, so they always have a supervisor;
 * a command only when something must watch it.  A command waits until the
 * supervisor is armed only if it guards (not when it only reads the log). */
static int guard (struct run *r, coi_error_t *err)
{
  struct coi_session_plan *p = r->p;
  bool agent = p->kind == COI_SESSION_AGENT;
  if (!coi_session_needs_supervisor (p->cfg, &p->guards, agent))
    return 0;
  bool wait = agent || coi_session_supervisor_guards (p->cfg, &p->guards);
  return coi_session_supervise (&r->s, p->cfg, &p->guards, wait, err);
}

/* 5-6: the network, and the agent's own state. */
static int prepare (struct run *r, coi_error_t *err)
{
  struct coi_session_plan *p = r->p;
  const struct coi_net_target *t = coi_guards_net_target (&p->guards);
  if (coi_agent_env (&p->user, p->user_name, p->term, NULL, &r->base_env, err) < 0)
    return -1;
  if (p->kind == COI_SESSION_COMMAND)
    {
      /* The command's own exec brings eth0 up where the image allows. */
      r->net_up = coi_session_net_up_plan (&r->s, t, &r->up);
      return r->net_up ? 0 : coi_session_wait_ready (r->c, r->s.container, READY_TIMEOUT_MS, err);
    }
  if (coi_session_ready (r->c, &r->s, t, READY_TIMEOUT_MS, err) < 0)
    return -1;
  return coi_tool_state_push (r->c, &r->s, &p->user, err);
}

/* Did the security monitor stop the session?  The guard knows. */
static bool killed_by_monitor (struct run *r)
{
  _cleanup_json_ json_t *states = NULL;
  _cleanup_error_ coi_error_t e = NULL;
  struct coi_guard_state gs;
  if (!r->p->guards.guarded || coi_guard_states (&r->p->guard, &states, &e) < 0)
    return false;
  coi_guard_state_of (states, r->s.container, &gs);
  return strcmp (gs.hold, "killed") == 0;
}

static int run_command (struct run *r, coi_error_t *err)
{
  const struct coi_session_request *q = r->p->req;
  struct coi_agent_call a = agent_call (r, (const char *const *) r->p->command);
  struct incus_exec_opts io = INCUS_EXEC_OPTS_INIT;
  io.stdin_fd = q->stdin_fd;
  io.stdout_fd = q->stdout_fd;
  io.stderr_fd = q->stderr_fd;
  io.stop_signals = &r->p->abort_set;
  io.stopped_by = &r->stopped_by;
  /* The monitor's alerts (a pause, a kill) show where the user looks. */
  _cleanup_attach_alerts_ struct coi_attach_alerts alerts;
  coi_attach_alerts_hook (&alerts, r->s.container, &io, r->sink);
  fflush (stdout);
  bool failed = coi_agent_exec (r->c, &a, &io, &r->code, err) < 0;
  /* Only a command that died (a signal's code, or no code) may have been
     stopped by the monitor: the common exit costs no question. */
  if (!(failed || r->code >= 128) || !killed_by_monitor (r))
    return failed ? -1 : 0;
  if (failed)
    coi_error_release (err);
  coi_warn (r->sink, "the security monitor stopped %s (see: coi audit %s)", r->s.container, r->s.container);
  r->code = COI_EXIT_KILLED_BY_MONITOR;
  return 0;
}

static int run_agent (struct run *r, coi_error_t *err)
{
  struct coi_session_plan *p = r->p;
  const struct coi_session_request *q = p->req;
  _cleanup_strv_ char **argv = NULL;
  _cleanup_free_ char *resume_id = r->s.resumed ? coi_tool_state_resume_id (&r->s) : NULL;
  struct coi_tool_argv_opts t = {
    .tool = r->s.tool,
    .binary_override = p->opts.use_dummy ? "dummy" : p->opts.tool_binary,
    .session_id = r->s.id,
    .resume = r->s.resumed,
    .resume_cli_id = resume_id,
    .debug = q->debug,
  };
  if (coi_tool_argv (&t, &argv, err) < 0)
    return -1;
  struct coi_agent_call a = agent_call (r, (const char *const *) argv);
  a.net = NULL; /* coi_session_ready brought it up */
  if (!q->tmux)
    {
      if (coi_session_mark_ready (r->c, r->s.container, err) < 0)
        return -1;
      r->agent_started = true;
      return coi_agent_run_direct (r->c, &a, &r->code, err);
    }
  if (coi_agent_start (r->c, &a, err) < 0 || coi_session_mark_ready (r->c, r->s.container, err) < 0)
    return -1;
  r->agent_started = true;
  if (q->background)
    {
      coi_info (r->sink, "Session running in background. Attach with: %s attach %s",
                q->progname ? q->progname : "coi", r->s.container);
      r->detached = true;
      return 0;
    }
  return coi_agent_attach (r->c, &a, false, &r->code, err);
}

/* The user left an agent session: COI leaves a detached one running; one
 * whose agent is gone (ended by the user, or `sudo poweroff` inside) ends. */
static int end_agent (struct run *r, bool force, coi_error_t *err)
{
  struct coi_session *s = &r->s;
  struct coi_session_plan *p = r->p;
  if (!s->persistent && !force)
    {
      _cleanup_error_ coi_error_t probe = NULL;
      if (coi_agent_running (r->c, s->container, &p->user, &probe) == 1)
        {
          coi_info (r->sink, "Session %s is still running (detached). Attach with: coi attach %s",
                    s->container, s->container);
          return coi_tool_state_save (r->c, s, &p->user, r->sink, err);
        }
    }
  if (s->persistent)
    return coi_tool_state_save (r->c, s, &p->user, r->sink, err);
  /* Stop first: a stopped container's files can always be read, so the
     save cannot race the agent or a shutdown in progress. */
  _cleanup_error_ coi_error_t stop_err = NULL;
  _cleanup_free_ char *status = NULL;
  if (incus_instance_status (r->c, s->container, &status, &stop_err) == 0
      && strcmp (status, "Stopped") != 0)
    incus_instance_set_state (r->c, s->container, "stop", 10, true, &stop_err);
  if (coi_tool_state_save (r->c, s, &p->user, r->sink, err) < 0)
    {
      coi_error_set_hint (err, "container %s was kept so nothing is lost; remove it with `coi kill %s`",
                          s->container, s->container);
      return -1;
    }
  return coi_session_destroy (r->c, s, err);
}

/* 8: the same end on every path.  ok: the steps all succeeded. */
static int end (struct run *r, bool ok, coi_error_t *err)
{
  struct coi_session *s = &r->s;
  int sig = r->stopped_by ? r->stopped_by : coi_pending_abort (&r->p->abort_set);
  _cleanup_error_ coi_error_t e2 = NULL;
  coi_error_t *ep = ok ? err : &e2;
  int rc = 0;
  if (s->container == NULL || r->detached)
    ;
  else if (r->p->kind == COI_SESSION_AGENT && r->agent_started)
    rc = end_agent (r, !ok || sig != 0, ep);
  else if (r->p->kind == COI_SESSION_COMMAND ? !s->persistent : s->created && !s->persistent)
    rc = coi_session_destroy (r->c, s, ep);
  if (r->claimed)
    coi_session_unclaim (s->container);
  if (rc == 0 && s->container && !r->detached)
    coi_session_forget_alerts (r->c, s->container);
  if (!ok)
    return -1;
  if (rc < 0)
    return -1;
  if (sig)
    return 128 + sig;
  return r->p->kind == COI_SESSION_COMMAND ? r->code : 0;
}

static int steps (struct run *r, coi_error_t *err)
{
  if (launch (r, err) < 0 || guard (r, err) < 0 || prepare (r, err) < 0)
    return -1;
  return r->p->kind == COI_SESSION_COMMAND ? run_command (r, err) : run_agent (r, err);
}

int coi_session_run (struct incus_client *c, struct coi_session_plan *p, coi_error_t *err)
{
  struct run r = { .c = c, .p = p, .sink = p->req->sink };
  sigset_t saved;
  /* Signals wait until a step ends, so every exit runs the same end. */
  if (sigprocmask (SIG_BLOCK, &p->abort_set, &saved) < 0)
    return coi_error_errno (err, errno, "block signals");
  int ok = steps (&r, err) == 0;
  int rc = end (&r, ok, err);
  /* Swallow what arrived while blocked: it has been acted on. */
  struct timespec zero = { 0, 0 };
  while (coi_pending_abort (&p->abort_set))
    if (sigtimedwait (&p->abort_set, NULL, &zero) < 0)
      break;
  sigprocmask (SIG_SETMASK, &saved, NULL);
  coi_session_clear (&r.s);
  cleanup_strvp (&r.base_env);
  return rc;
}
