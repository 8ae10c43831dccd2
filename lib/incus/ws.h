/* Websockets to an Incus server (exec streams, events), framed by libwslay
 * over a connection libcurl opens with CONNECT_ONLY, so that the unix socket
 * and TLS remotes share one code path.  Everything here is non-blocking and
 * driven by the caller's poll loop: poll incus_ws_fd() for POLLIN, plus
 * POLLOUT while incus_ws_want_write().  Incoming payload is streamed to a
 * handler in chunks, so a hostile server cannot make us buffer without bound. */
#ifndef COI_INCUS_WS_H
#define COI_INCUS_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "incus/client.h"
#include "util/error.h"

enum incus_ws_kind
{
  INCUS_WS_TEXT = 1,
  INCUS_WS_BINARY = 2,
};

/* One piece of an incoming message.  In streaming mode (the default) a message
 * arrives as zero or more chunks, the last one with end set (possibly empty).
 * With a message limit (incus_ws_set_message_limit) each message arrives
 * whole, in one event with end set. */
struct incus_ws_event
{
  enum incus_ws_kind kind;
  const void *data;
  size_t len;
  bool end;         /* last piece of the message */
  uint64_t msg_len; /* bytes of the message so far, this piece included */
};

/* Return < 0 (with *err set) to stop reading; incus_ws_pump then fails. */
typedef int (*incus_ws_handler) (void *user, const struct incus_ws_event *ev, coi_error_t *err);

/* Incus marks the end of a stream with an empty text message. */
static inline bool incus_ws_is_barrier (const struct incus_ws_event *ev)
{
  return ev->end && ev->kind == INCUS_WS_TEXT && ev->msg_len == 0;
}

/* Open several websockets at once (all requests, then all replies), in order:
 * Incus's exec needs 2 to 4 and starts the command when they are all in.
 * On failure none is left open. */
int incus_ws_connect_many (struct incus_client *c, const char *const *paths, size_t n,
                           struct incus_ws **out, coi_error_t *err);

/* incus_ws_connect is declared in client.h.  This one wraps an already
 * upgraded, connected socket (it takes ownership of fd); `pending` are bytes
 * read past the handshake.  Used by tests and fuzzers. */
int incus_ws_from_fd (int fd, const void *pending, size_t pending_len, struct incus_ws **out,
                      coi_error_t *err);

/* Deliver whole messages up to `limit` bytes instead of chunks; a larger
 * message fails the connection.  0 returns to streaming. */
void incus_ws_set_message_limit (struct incus_ws *ws, size_t limit);

int incus_ws_fd (const struct incus_ws *ws);
bool incus_ws_want_write (const struct incus_ws *ws);
/* Payload bytes queued and not yet sent: callers stop reading their input
 * above a threshold, which is how back-pressure reaches the local side. */
size_t incus_ws_queued (const struct incus_ws *ws);

/* Queue one message (copied) and send what the socket takes now. */
int incus_ws_send (struct incus_ws *ws, enum incus_ws_kind kind, const void *data, size_t len,
                   coi_error_t *err);
/* Send queued frames until the socket would block. */
int incus_ws_flush (struct incus_ws *ws, coi_error_t *err);
/* Block up to timeout_ms (< 0: forever) until the queue is empty. */
int incus_ws_drain (struct incus_ws *ws, int timeout_ms, coi_error_t *err);

/* Read everything available now and hand it to `h`; answers pings.
 * Returns 1 when the stream has ended (close frame or EOF, both normal for
 * Incus), 0 when more may come, -1 on error. */
int incus_ws_pump (struct incus_ws *ws, incus_ws_handler h, void *user, coi_error_t *err);
bool incus_ws_ended (const struct incus_ws *ws);

/* Queue a close frame and try to send it (no waiting for the reply). */
int incus_ws_close (struct incus_ws *ws, coi_error_t *err);
void incus_ws_free (struct incus_ws *ws);

static inline void cleanup_incus_wsp (struct incus_ws **ws)
{
  if (*ws)
    incus_ws_free (*ws);
}
#define _cleanup_incus_ws_ __attribute__ ((cleanup (cleanup_incus_wsp)))

/* The handshake, exposed for unit tests and fuzzing. */
#define INCUS_WS_KEY_LEN 24 /* base64 of 16 random bytes */
/* Sec-WebSocket-Accept for a key: base64(SHA-1(key + RFC 6455 GUID)). */
int incus_ws_accept_for_key (const char *key, char out[29]);
/* Check an HTTP response head (up to and including the blank line) against
 * the key we sent.  A failed upgrade becomes "<status line>: <server error>". */
int incus_ws_check_upgrade (const char *head, size_t len, const char *body, size_t body_len,
                            const char *key, coi_error_t *err);

#endif
