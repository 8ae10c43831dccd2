/* The Incus REST client: one kept-alive connection to one server (local unix
 * socket or HTTPS remote with a TLS client certificate), scoped to a project. */
#ifndef COI_INCUS_CLIENT_H
#define COI_INCUS_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

struct incus_client;

/* Where a server lives and how to trust it.  Filled from the incus client
 * config (remote.h) or from INCUS_SOCKET/INCUS_DIR for the local server. */
struct incus_endpoint
{
  char *name;        /* remote name, "local" for the unix socket */
  char *unix_path;   /* set for a local server */
  char *url;         /* https://host:port for a remote server */
  char *client_cert; /* PEM paths, HTTPS only */
  char *client_key;
  char *server_cert; /* the stored server certificate: the only trust root */
};

void incus_endpoint_clear (struct incus_endpoint *ep);

/* Open a client to the named remote (NULL: the config's default remote, or
 * the local socket when there is no config).  project NULL means "default".
 * env (NAME=value list): INCUS_DIR, INCUS_SOCKET, INCUS_CONF, HOME. */
int incus_client_open (struct incus_client **out, const char *remote, const char *project,
                       const char *const *env, coi_error_t *err);
/* One line per API call to sink (NULL: none): what a command costs. */
struct coi_sink;
void incus_client_set_trace (struct incus_client *c, const struct coi_sink *sink);
/* Open a client to an explicit endpoint (ownership of ep's strings stays with caller). */
int incus_client_open_endpoint (struct incus_client **out, const struct incus_endpoint *ep,
                                const char *project, coi_error_t *err);
void incus_client_free (struct incus_client *c);
const char *incus_client_project (const struct incus_client *c);
const struct incus_endpoint *incus_client_endpoint (const struct incus_client *c);

static inline void cleanup_incus_clientp (struct incus_client **c)
{
  if (*c)
    incus_client_free (*c);
}
#define _cleanup_incus_client_ __attribute__ ((cleanup (cleanup_incus_clientp)))

/* Percent-encode one path segment or query value (caller frees). */
char *incus_escape (const char *s);

/* One request.  `path` starts with "/1.0"; the client adds ?project=.
 * Returns the HTTP status (>0) with *response the parsed JSON envelope, or -1
 * with *err set ("<why>" from the server's error text when it gave one). */
int incus_request (struct incus_client *c, const char *method, const char *path, json_t *body,
                   json_t **response, coi_error_t *err);

/* A request whose result is the envelope's metadata.  An async reply is
 * waited for and its operation's metadata returned; a failed operation becomes
 * an error with the operation's `err` text.  `metadata` may be NULL. */
int incus_call (struct incus_client *c, const char *method, const char *path, json_t *body,
                json_t **metadata, coi_error_t *err);

/* GET a collection as an array.  A server answers an empty collection with
 * null as well as [] (one with no storage pool does): both are [].  Any
 * other shape is an error ("server reply is not a list"). */
int incus_list (struct incus_client *c, const char *path, json_t **list, coi_error_t *err);

/* Start a request that returns an operation and hand the operation back
 * without waiting (exec needs its websocket secrets before it finishes). */
int incus_call_async (struct incus_client *c, const char *method, const char *path,
                      json_t *body, json_t **operation, coi_error_t *err);

/* Wait for an operation (path "/1.0/operations/<id>" or bare id). timeout_s < 0: forever.
 * Returns the final operation object; fails with the operation's error text. */
int incus_operation_wait (struct incus_client *c, const char *op, int timeout_s,
                          json_t **operation, coi_error_t *err);

/* Raw transfers, for the files API and image upload. */
struct incus_raw
{
  const char *method;
  const char *path;
  const char *const *headers; /* NULL-terminated "Name: value" list */
  int upload_fd;              /* -1: none; else body is read from this fd */
  const void *upload_data;    /* or from memory */
  size_t upload_len;
  long long upload_size;      /* known size for upload_fd, or -1 */
  int download_fd;            /* -1: body collected into json/body buffer */
  /* Most bytes written to download_fd, counted as they arrive (whatever
     the server announced); more fail the request with status EFBIG.
     0: no limit. */
  unsigned long long download_max;
  /* out */
  unsigned long long downloaded; /* bytes written to download_fd */
  long status;
  char *body;                 /* response body when download_fd < 0 (NUL-terminated) */
  size_t body_len;
  json_t *resp_headers;       /* lower-cased header name -> value */
};
int incus_raw_request (struct incus_client *c, struct incus_raw *req, coi_error_t *err);
void incus_raw_clear (struct incus_raw *req);

/* Open a fresh connection and upgrade it to a websocket on `path`
 * (e.g. "/1.0/operations/<id>/websocket?secret=S").  Returns a connected
 * handle for ws.h. */
struct incus_ws;
int incus_ws_connect (struct incus_client *c, const char *path, struct incus_ws **out,
                      coi_error_t *err);

#endif
