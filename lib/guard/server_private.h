/* The guard service's insides: one process, one epoll loop, the sessions it
 * guards (each persisted under <state>/sessions/ so that a restarted guard
 * carries on), the Incus event stream, and the supervisors it watches. */
#ifndef COI_GUARD_SERVER_PRIVATE_H
#define COI_GUARD_SERVER_PRIVATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "guard/proto.h"
#include "guard/server.h"
#include "guard/where.h"
#include "incus/client.h"
#include "incus/ws.h"
#include "netpolicy/net.h"
#include "util/sink.h"

/* A reservation whose container never appeared is released after this. */
#define GUARD_PENDING_TTL_S 120
/* A supervisor that keeps dying is restarted at most this often. */
#define GUARD_RESTART_MIN_GAP_MS 500

struct guard_owner
{
  uid_t uid;
  gid_t gid;
  char name[64];
  char state_dir[256]; /* the owner's ~/.coi, as the owner's coi sees it */
};

struct gsession
{
  struct gsession *next;
  char container[64];     /* unique among the guard's sessions, whatever the project */
  char project[64];       /* the Incus project it lives in */
  struct guard_owner owner;
  uint32_t addr;          /* 0: not reserved */
  bool pending;           /* reserved; the container is not created yet */
  struct gconn *reserver; /* the connection creating it, while it lasts */
  time_t reserved_at;
  json_t *policy;         /* validated network policy (NULL: none applied yet) */
  bool rules;             /* the policy is in the kernel */
  uint16_t log_group;     /* nflog group of its rejects (0: none) */
  json_t *supervise;      /* the client's part of the supervisor's spec, or NULL */
  int nflog_fd;           /* bound before start, for the supervisor */
  pid_t sup_pid;
  int sup_pidfd;          /* -1: none watched */
  int ready_fd;           /* -1, or a starting supervisor's ready pipe */
  int waiter;             /* connection fd awaiting the supervisor's readiness, -1 */
  int restarts;
  long long last_start_ms;
  bool restart_due;       /* died: start again at the next tick */
};

/* A client for one more Incus project, opened when a session there first
 * needs it. */
struct gproject
{
  struct gproject *next;
  char name[64];
  struct incus_client *incus;
};

struct gconn
{
  struct gconn *next;
  int fd;
  struct guard_owner peer;
};

struct guard
{
  struct coi_guard_where where;
  const char *coi_binary;
  const char *incus_socket; /* NULL: the default */
  const struct coi_sink *sink;
  struct incus_client *incus; /* the default project's */
  struct gproject *projects;  /* the others' */
  struct incus_ws *events;
  int listen_fd, epfd, sigfd, tick_fd, lock_fd;
  struct gsession *sessions;
  struct gconn *conns;
  long long events_retry_ms;
  bool stopping;
};

/* The Incus client for a project (NULL with *err set). */
struct incus_client *guard_incus (struct guard *g, const char *project, coi_error_t *err);

/* Persisted records. */
int gsession_save (struct guard *g, const struct gsession *s, coi_error_t *err);
void gsession_unlink (struct guard *g, const char *container);
int gsession_load_all (struct guard *g, coi_error_t *err);
struct gsession *gsession_find (struct guard *g, const char *container);
struct gsession *gsession_new (struct guard *g, const char *container, const char *project);
/* Forget a session: its rules, reservation, supervisor and record. */
void gsession_drop (struct guard *g, struct gsession *s, const char *why);
void gsession_free (struct gsession *s);

/* Paths under the state directory. */
int guard_session_path (struct guard *g, const char *container, const char *suffix, char *out,
                        size_t cap);

/* One request being answered. */
struct guard_call
{
  struct guard *g;
  struct gconn *conn;
  json_t *args;
  /* out */
  int fd;                   /* a descriptor to send with the reply, -1: none */
  bool deferred;            /* the reply comes later, through guard_reply */
  enum coi_guard_kind kind; /* why it failed (with err set) */
  coi_error_t err;
};
/* The result object on success; NULL with call->err (and call->kind) set. */
typedef json_t *(*guard_op_fn) (struct guard_call *call);
guard_op_fn guard_op_lookup (const char *name);
/* Fail a call: returns NULL for `return guard_fail (...)`. */
json_t *guard_fail (struct guard_call *call, enum coi_guard_kind kind, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Is the container guarded as part of another project?  Fails the call. */
bool guard_other_project (struct guard_call *call, const struct gsession *s, const char *project);

/* Network: reserve, apply, forget. */
json_t *guard_op_net_reserve (struct guard_call *call);
json_t *guard_op_net_abandon (struct guard_call *call);
int guard_apply_rules (struct guard *g, struct gsession *s, coi_error_t *err);
void guard_remove_rules (struct guard *g, struct gsession *s);

/* Poll fd in the loop (readable: dispatched to its session). */
void guard_watch (struct guard *g, int fd);
/* A pidfd for pid (-1 when it is gone). */
int guard_pidfd (pid_t pid);

/* Supervisors. */
int guard_supervisor_start (struct guard *g, struct gsession *s, bool restarted, coi_error_t *err);
void guard_supervisor_ready (struct guard *g, struct gsession *s);
void guard_supervisor_exited (struct guard *g, struct gsession *s);
/* From the tick: start a supervisor that died, at most every
   GUARD_RESTART_MIN_GAP_MS. */
void guard_supervisor_restart_due (struct guard *g, struct gsession *s);
void guard_supervisor_stop (struct guard *g, struct gsession *s);
/* Is a supervisor holding the session's lock (pid in *pid)? */
bool guard_supervisor_alive (struct guard *g, const char *container, pid_t *pid);

/* Sessions: the ops of the session.* family. */
json_t *guard_op_session_guard (struct guard_call *call);
json_t *guard_op_session_supervise (struct guard_call *call);
json_t *guard_op_session_release (struct guard_call *call);
json_t *guard_op_session_status (struct guard_call *call);
json_t *guard_op_session_unfreeze (struct guard_call *call);
json_t *guard_op_clean (struct guard_call *call);
/* May the caller act on the session? (root may act on any) */
bool guard_may (const struct gconn *c, const struct gsession *s);
/* The request's args are {"container"} and nothing else. */
int guard_args_container_only (struct guard_call *call, const char **name);
/* The named session: 1 with *s the caller's, 0 when there is none, -1 with
 * the call failed when it is someone else's. */
int guard_session_of (struct guard_call *call, const char *name, struct gsession **s);

/* Bring every session in line with Incus: gone containers lose their
 * rules, live ones get them back, dead supervisors start again, holds are
 * enforced.  Run at start, after the event stream reconnects, and on each
 * tick. */
void guard_reconcile (struct guard *g);
/* One event from /1.0/events (a lifecycle message). */
void guard_on_event (struct guard *g, json_t *ev);
int guard_events_connect (struct guard *g, coi_error_t *err);

/* A held session (paused or stopped by its supervisor) stays so. */
void guard_enforce_hold (struct guard *g, struct gsession *s);

/* The reply to one request (NULL: deferred, or out of memory); *fd a
 * descriptor to send with it, or -1. */
json_t *guard_answer (struct guard *g, struct gconn *c, json_t *msg, int *fd);

/* Reply to a deferred request. */
void guard_reply (struct guard *g, int conn_fd, json_t *reply, int fd);

#endif
