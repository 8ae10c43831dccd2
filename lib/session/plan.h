/* A session plan: what the user asked for (flags, configuration, host
 * environment) turned into everything the lifecycle needs, before anything
 * touches Incus.  `coi run` and `coi shell` only fill a request. */
#ifndef COI_SESSION_PLAN_H
#define COI_SESSION_PLAN_H

#include <signal.h>
#include <stdbool.h>

#include "session/guards.h"
#include "session/mounts.h"
#include "session/session.h"
#include "session/tool_state.h"
#include "util/hostenv.h"
#include "util/sink.h"

struct coi_config;

/* What the session does once its container is up. */
enum coi_session_kind
{
  COI_SESSION_COMMAND, /* `run`: one command, its exit code, then the end */
  COI_SESSION_AGENT,   /* `shell`: the agent in tmux (or directly), attached or not */
};

/* What flags say; every field may be left zero. */
struct coi_session_request
{
  enum coi_session_kind kind;
  const char *workspace;          /* NULL: the current directory */
  int slot;                       /* 0: automatic */
  const char *image;
  int persistent;                 /* -1: as configured, 0 or 1: --persistent[=false] */
  const char *resume;             /* --resume / --continue: NULL, "auto" or an id */
  const char *profile;
  const char *const *env_flags;   /* --env KEY=VALUE or KEY */
  const char *const *mount_flags; /* --mount HOST:CONTAINER */
  const char *network;            /* --network */
  const char *remote;             /* for the supervisor's own client */
  const char *project;
  /* COMMAND: argv to run (NULL: ./coi-run).  AGENT: unused. */
  const char *const *command;
  /* AGENT */
  bool background;
  bool tmux;
  bool debug; /* bash instead of the agent */
  /* COMMAND: the command's stdio (-1: none) */
  int stdin_fd;
  int stdout_fd;
  int stderr_fd;
  const char *const *env;         /* the host environment */
  const struct coi_sink *sink;    /* notices: progress, warnings */
  const char *progname;           /* in hints such as "<progname> attach NAME" */
};

struct coi_session_plan
{
  enum coi_session_kind kind;
  struct coi_config *cfg;
  struct coi_mounts mounts;
  char **env;                   /* KEY=VALUE for the agent: forward_env, environment, --env */
  char **command;               /* COMMAND: the argv that runs in the container */
  struct coi_session_opts opts; /* for coi_session_launch */
  struct coi_agent_user user;
  const char *user_name;
  const char *term;             /* the host's TERM */
  char *workspace;              /* owned: opts.workspace points here */
  char *agent_home;             /* owned: user.home points here */
  struct coi_session_hooks hooks;
  struct coi_guard_link guard;      /* this server's guard service */
  bool has_guard;                   /* a local server: it may have one */
  struct coi_session_guards guards; /* network policy and limits behind the hooks */
  const struct coi_session_request *req;
  /* Signals that end the session through its normal clean-up, blocked by
     coi_session_run while it runs. */
  sigset_t abort_set;
};

/* Load the configuration for the request's workspace and plan the session.
 * c is the client the session will use (network plans read the bridge). */
int coi_session_plan_init (struct coi_session_plan *p, struct incus_client *c,
                           const struct coi_session_request *req, coi_error_t *err);
void coi_session_plan_clear (struct coi_session_plan *p);

#endif
