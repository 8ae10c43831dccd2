/* The guard protocol: what a coi process asks of the guard service (the one
 * root process that installs network rules and runs supervisors).
 *
 * Transport: a SOCK_SEQPACKET unix socket, one JSON object per message, at
 * most COI_GUARD_MAX_MSG bytes; a message may carry one descriptor.
 *   request:  {"v": 1, "op": "<name>", "args": {...}}
 *   reply:    {"v": 1, "ok": true, "result": {...}}
 *          or {"v": 1, "ok": false, "kind": "<kind>", "error": "<one line>"}
 * The caller is whoever SO_PEERCRED names; nothing in a request says who
 * it is.  Every field is checked by the accessors below before use: a
 * request that is not exactly what an op expects is refused, never guessed
 * at (docs/guard.md lists the ops). */
#ifndef COI_GUARD_PROTO_H
#define COI_GUARD_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

#define COI_GUARD_PROTO_VERSION 1
#define COI_GUARD_MAX_MSG 65536

/* Why a request failed, as the reply's "kind". */
enum coi_guard_kind
{
  COI_GUARD_OK = 0,
  COI_GUARD_INVALID,     /* malformed request */
  COI_GUARD_DENIED,      /* the caller may not act on that container */
  COI_GUARD_NOT_FOUND,   /* no such container or session */
  COI_GUARD_BUSY,        /* try again */
  COI_GUARD_UNSUPPORTED, /* unknown op or protocol version */
  COI_GUARD_FAILED,      /* the guard tried and could not */
};

const char *coi_guard_kind_name (enum coi_guard_kind k);
enum coi_guard_kind coi_guard_kind_parse (const char *s);

/* One message out (with fd unless < 0).  0, or -1 with *err. */
int coi_guard_send (int sock, json_t *msg, int fd, coi_error_t *err);
/* One message in: 1 with *msg (and *fd, -1 when none), 0 at end of
 * stream, -1 with *err (an oversized or non-object message included). */
int coi_guard_recv (int sock, json_t **msg, int *fd, coi_error_t *err);

/* A request, or a reply.  The builders steal `args`/`result`. */
json_t *coi_guard_request (const char *op, json_t *args);
json_t *coi_guard_reply_ok (json_t *result);
json_t *coi_guard_reply_error (enum coi_guard_kind kind, const char *msg);

/* Checked access to a request.  Each returns 0 or fills *err with a
 * "<field>: <why>" message (status EINVAL) and returns -1. */
int coi_guard_parse_request (json_t *msg, const char **op, json_t **args, coi_error_t *err);
/* A required string of at most max bytes, printable ASCII only. */
int coi_guard_arg_string (json_t *args, const char *key, size_t max, const char **out,
                          coi_error_t *err);
/* An optional one: *out NULL when absent. */
int coi_guard_arg_string_opt (json_t *args, const char *key, size_t max, const char **out,
                              coi_error_t *err);
/* A required container name (an Incus instance name). */
int coi_guard_arg_container (json_t *args, const char **out, coi_error_t *err);
/* An optional Incus project name ("default" when absent): letters, digits,
 * '-' and '_', at most 63 bytes, so that it is safe in a URL and a record. */
int coi_guard_arg_project (json_t *args, const char **out, coi_error_t *err);
int coi_guard_arg_bool (json_t *args, const char *key, bool dflt, bool *out, coi_error_t *err);
int coi_guard_arg_int (json_t *args, const char *key, int64_t lo, int64_t hi, int64_t dflt,
                       int64_t *out, coi_error_t *err);
/* A required object (borrowed). */
int coi_guard_arg_object (json_t *args, const char *key, json_t **out, coi_error_t *err);
/* Refuse keys outside `allowed` (NULL-terminated): a typo is an error. */
int coi_guard_args_only (json_t *args, const char *const *allowed, coi_error_t *err);

#endif
