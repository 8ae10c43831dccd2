/* A coi session: one container for one workspace slot, the agent inside it,
 * and what is saved and cleaned up when it ends. */
#ifndef COI_SESSION_SESSION_H
#define COI_SESSION_SESSION_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "incus/client.h"
#include "session/mounts.h"
#include "session/spec.h"
#include "session/tool.h"
#include "util/hostenv.h"
#include "util/sink.h"

#define COI_DEFAULT_MAX_SLOTS 10
#define COI_WORKSPACE_PATH "/workspace"

struct coi_session;

/* Called after the create body is complete and before it is sent, and again
 * after creation before start, so that network policy and limits are part of
 * the one create request and in force before the first packet. */
struct coi_session_hooks
{
  void *data;
  int (*prepare_body) (void *data, const char *container, json_t *body, coi_error_t *err);
  int (*before_start) (void *data, const struct coi_session *s, coi_error_t *err);
  /* A create attempt failed (the slot was taken): release what
     prepare_body reserved for it, and nothing else under that name. */
  void (*abandon) (void *data, const char *container);
  /* An existing container is taken over (persistent, resume): put its
     policy in place before it is started. */
  int (*reuse) (void *data, const char *container, coi_error_t *err);
  /* Undo before_start when launch fails or an ephemeral session ends. */
  void (*teardown) (void *data, const char *container);
};

struct coi_session_opts
{
  const char *workspace;     /* as given; NULL = cwd */
  int slot;                  /* 0 = auto */
  int max_slots;
  const char *image;
  bool persistent;
  bool persistent_explicit;  /* --persistent given: not inherited on resume */
  const char *resume;        /* NULL, "auto", or a session id */
  const char *profile;
  const char *tool_name;
  const char *tool_binary;
  bool use_dummy;
  const char *const *env;    /* KEY=VALUE for the agent */
  const struct coi_mounts *mounts;
  bool disable_shift;
  int code_uid;
  const char *code_user;
  const char *storage_pool;
  const struct coi_session_hooks *hooks;
  /* Blocked signals that abort a launch between steps (SIGINT/TERM/HUP). */
  const sigset_t *abort_signals;
  const struct coi_sink *sink;     /* notices (NULL: none) */
  const char *const *env_host;    /* the host environment */
};

struct coi_session
{
  char id[37];
  char *container;
  char *workspace_abs;  /* lexical absolute path: names the container */
  char *workspace_real; /* symlinks resolved: what is mounted */
  char *tool_name;      /* sessions-<tool_name> */
  const struct coi_tool *tool;
  char *image;
  char *profile;
  int slot;
  bool persistent;
  bool resumed;
  bool reused;          /* an existing persistent container was reused */
  bool created;         /* this launch created the container */
  bool hooks_applied;
  bool image_renders_network; /* a coi image: eth0 and resolv.conf from user.coi.net.* */
  /* Who the workspace is mapped for: files the agent writes belong to this
     host user (coi_workspace_owner). */
  uid_t host_uid;
  gid_t host_gid;
  const struct coi_session_hooks *hooks;
};

void coi_session_clear (struct coi_session *s);

/* The host user a workspace is mapped for: the invoking user; under sudo
 * the user who ran sudo (SUDO_UID in env); root only when root really owns
 * the workspace (root running coi in alice's project maps alice). */
int coi_workspace_owner (const char *workspace_real, const char *const *env, uid_t *uid, gid_t *gid,
                         coi_error_t *err);

/* Resolve names and resume, create (or reuse) and start the container. On
 * failure nothing this call created is left behind. */
int coi_session_launch (struct incus_client *c, const struct coi_session_opts *o,
                        struct coi_session *s, coi_error_t *err);

/* Remove the container and its policy (an ephemeral session's end). */
int coi_session_destroy (struct incus_client *c, struct coi_session *s, coi_error_t *err);

/* Set user.coi.state=ready once the agent runs. */
int coi_session_mark_ready (struct incus_client *c, const char *container, coi_error_t *err);

/* Wait until an exec works in the container and eth0 has its address
 * (timeout_ms). */
int coi_session_wait_ready (struct incus_client *c, const char *container, int timeout_ms,
                            coi_error_t *err);
/* The same for a session just launched, at once where its image allows:
 * t is its network plan (NULL: none known). */
struct coi_net_target;
int coi_session_ready (struct incus_client *c, const struct coi_session *s,
                       const struct coi_net_target *t, int timeout_ms, coi_error_t *err);

/* Which of the abort signals is pending (0: none). */
int coi_pending_abort (const sigset_t *set);

#endif
