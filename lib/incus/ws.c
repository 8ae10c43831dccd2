/* Websocket framing: libwslay's event API in non-buffering mode, so payload
 * is handed on as it arrives and memory stays bounded whatever the peer
 * sends.  The transport is either a libcurl CONNECT_ONLY handle (unix socket
 * or TLS) or a plain socket (tests, fuzzing). */
#include "incus/ws.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <wslay/wslay.h>

#include "incus/ws_private.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/clock.h"

struct incus_ws
{
  CURL *curl; /* NULL: plain socket */
  int fd;
  wslay_event_context_ptr ctx;
  uint8_t *pending; /* bytes read past the handshake, consumed first */
  size_t pending_len, pending_off;

  /* Set for the duration of one incus_ws_pump. */
  incus_ws_handler handler;
  void *user;
  coi_error_t *err;

  bool failed;      /* handler, protocol or receive failed: stop reading */
  bool send_failed; /* the peer stopped taking data; reading may go on */
  bool eof;      /* the peer closed the connection */
  bool ended;
  int io_errno;
  CURLcode io_rc;

  /* The data message being received (frames may be fragmented). */
  bool frame_is_data;
  bool frame_fin;
  enum incus_ws_kind msg_kind;
  uint64_t msg_len;
  size_t msg_limit; /* 0: stream chunks */
  struct buf msg;
};

/* A curl send/recv result as a read()/write() one.  curl keeps the socket's
 * errno: a reset is the peer hanging up with our last bytes unread, which
 * Incus does routinely, so it is told apart from other failures. */
static ssize_t curl_result (struct incus_ws *ws, CURLcode rc, size_t n)
{
  if (rc == CURLE_OK)
    return (ssize_t) n;
  if (rc == CURLE_AGAIN)
    {
      errno = EAGAIN;
      return -1;
    }
  long os_errno = 0;
  curl_easy_getinfo (ws->curl, CURLINFO_OS_ERRNO, &os_errno);
  ws->io_rc = rc;
  errno = os_errno == ECONNRESET ? ECONNRESET : EIO;
  return -1;
}

static ssize_t transport_recv (struct incus_ws *ws, uint8_t *buf, size_t len)
{
  if (ws->curl)
    {
      size_t n = 0;
      CURLcode rc = curl_easy_recv (ws->curl, buf, len, &n);
      return curl_result (ws, rc, n);
    }
  ssize_t n;
  do
    n = recv (ws->fd, buf, len, 0);
  while (n < 0 && errno == EINTR);
  return n;
}

static ssize_t transport_send (struct incus_ws *ws, const uint8_t *data, size_t len)
{
  if (ws->curl)
    {
      size_t n = 0;
      CURLcode rc = curl_easy_send (ws->curl, data, len, &n);
      return curl_result (ws, rc, n);
    }
  ssize_t n;
  do
    n = send (ws->fd, data, len, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

static ssize_t recv_cb (wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
                        void *user)
{
  (void) flags;
  struct incus_ws *ws = user;
  if (ws->failed)
    {
      wslay_event_set_error (ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
  if (ws->pending_off < ws->pending_len)
    {
      size_t n = ws->pending_len - ws->pending_off;
      if (n > len)
        n = len;
      memcpy (buf, ws->pending + ws->pending_off, n);
      ws->pending_off += n;
      return (ssize_t) n;
    }
  ssize_t n = transport_recv (ws, buf, len);
  if (n > 0)
    return n;
  if (n == 0)
    {
      ws->eof = true;
      wslay_event_set_error (ctx, WSLAY_ERR_CALLBACK_FAILURE);
      return -1;
    }
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    {
      wslay_event_set_error (ctx, WSLAY_ERR_WOULDBLOCK);
      return -1;
    }
  /* A reset after the command ended is how Incus hangs up, too. */
  if (errno == ECONNRESET)
    ws->eof = true;
  else
    ws->io_errno = errno;
  wslay_event_set_error (ctx, WSLAY_ERR_CALLBACK_FAILURE);
  return -1;
}

static ssize_t send_cb (wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
                        void *user)
{
  (void) flags;
  struct incus_ws *ws = user;
  ssize_t n = transport_send (ws, data, len);
  if (n > 0)
    return n;
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    wslay_event_set_error (ctx, WSLAY_ERR_WOULDBLOCK);
  else
    {
      ws->io_errno = n < 0 ? errno : EPIPE;
      wslay_event_set_error (ctx, WSLAY_ERR_CALLBACK_FAILURE);
    }
  return -1;
}

static int genmask_cb (wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *user)
{
  (void) user;
  if (getrandom (buf, len, 0) != (ssize_t) len)
    {
      wslay_event_set_error (ctx, WSLAY_ERR_CALLBACK_FAILURE);
      return -1;
    }
  return 0;
}

static void deliver (struct incus_ws *ws, const void *data, size_t len, bool end)
{
  if (ws->failed || ws->handler == NULL)
    return;
  struct incus_ws_event ev = {
    .kind = ws->msg_kind, .data = data, .len = len, .end = end, .msg_len = ws->msg_len,
  };
  if (ws->handler (ws->user, &ev, ws->err) < 0)
    ws->failed = true;
}

static void frame_start_cb (wslay_event_context_ptr ctx,
                            const struct wslay_event_on_frame_recv_start_arg *arg, void *user)
{
  (void) ctx;
  struct incus_ws *ws = user;
  ws->frame_is_data = !wslay_is_ctrl_frame (arg->opcode);
  ws->frame_fin = arg->fin;
  if (!ws->frame_is_data)
    return;
  if (arg->opcode != WSLAY_CONTINUATION_FRAME)
    {
      ws->msg_kind = arg->opcode == WSLAY_TEXT_FRAME ? INCUS_WS_TEXT : INCUS_WS_BINARY;
      ws->msg_len = 0;
      buf_reset (&ws->msg);
    }
  /* Refuse on the announced length rather than after buffering it. */
  if (ws->msg_limit && !ws->failed && arg->payload_length > ws->msg_limit - ws->msg.len)
    {
      coi_error_make (ws->err, EFBIG, "websocket: message larger than %zu bytes", ws->msg_limit);
      ws->failed = true;
    }
}

static void frame_chunk_cb (wslay_event_context_ptr ctx,
                            const struct wslay_event_on_frame_recv_chunk_arg *arg, void *user)
{
  (void) ctx;
  struct incus_ws *ws = user;
  if (!ws->frame_is_data || ws->failed)
    return;
  ws->msg_len += arg->data_length;
  if (ws->msg_limit == 0)
    {
      deliver (ws, arg->data, arg->data_length, false);
      return;
    }
  if (buf_append (&ws->msg, arg->data, arg->data_length) < 0)
    {
      coi_error_make (ws->err, EFBIG, "websocket: message larger than %zu bytes", ws->msg_limit);
      ws->failed = true;
    }
}

static void frame_end_cb (wslay_event_context_ptr ctx, void *user)
{
  (void) ctx;
  struct incus_ws *ws = user;
  if (!ws->frame_is_data || !ws->frame_fin)
    return;
  if (ws->msg_limit == 0)
    deliver (ws, NULL, 0, true);
  else
    deliver (ws, ws->msg.data, ws->msg.len, true);
  buf_reset (&ws->msg);
}

static const struct wslay_event_callbacks callbacks = {
  .recv_callback = recv_cb,
  .send_callback = send_cb,
  .genmask_callback = genmask_cb,
  .on_frame_recv_start_callback = frame_start_cb,
  .on_frame_recv_chunk_callback = frame_chunk_cb,
  .on_frame_recv_end_callback = frame_end_cb,
};

static int ws_new (CURL *h, int fd, const void *pending, size_t pending_len, struct incus_ws **out,
                   coi_error_t *err)
{
  struct incus_ws *ws = calloc (1, sizeof (*ws));
  if (ws == NULL)
    return coi_error_errno (err, errno, "websocket");
  ws->curl = h;
  ws->fd = fd;
  if (pending_len)
    {
      ws->pending = malloc (pending_len);
      if (ws->pending == NULL)
        {
          incus_ws_free (ws);
          return coi_error_errno (err, ENOMEM, "websocket");
        }
      memcpy (ws->pending, pending, pending_len);
      ws->pending_len = pending_len;
    }
  if (wslay_event_context_client_init (&ws->ctx, &callbacks, ws) != 0)
    {
      incus_ws_free (ws);
      return coi_error_errno (err, ENOMEM, "websocket");
    }
  wslay_event_config_set_no_buffering (ws->ctx, 1);
  *out = ws;
  return 0;
}

int incus_ws_from_curl (CURL *h, int fd, const void *pending, size_t pending_len,
                        struct incus_ws **out, coi_error_t *err)
{
  if (ws_new (h, fd, pending, pending_len, out, err) < 0)
    {
      curl_easy_cleanup (h);
      return -1;
    }
  return 0;
}

int incus_ws_from_fd (int fd, const void *pending, size_t pending_len, struct incus_ws **out,
                      coi_error_t *err)
{
  int fl = fcntl (fd, F_GETFL);
  if (fl < 0 || fcntl (fd, F_SETFL, fl | O_NONBLOCK) < 0)
    {
      coi_error_errno (err, errno, "websocket: cannot make the socket non-blocking");
      close (fd);
      return -1;
    }
  if (ws_new (NULL, fd, pending, pending_len, out, err) < 0)
    {
      close (fd);
      return -1;
    }
  return 0;
}

void incus_ws_set_message_limit (struct incus_ws *ws, size_t limit)
{
  ws->msg_limit = limit;
  ws->msg.limit = limit;
}

int incus_ws_fd (const struct incus_ws *ws)
{
  return ws->fd;
}

bool incus_ws_want_write (const struct incus_ws *ws)
{
  return !ws->send_failed && wslay_event_want_write (ws->ctx);
}

size_t incus_ws_queued (const struct incus_ws *ws)
{
  return wslay_event_get_queued_msg_length (ws->ctx);
}

bool incus_ws_ended (const struct incus_ws *ws)
{
  return ws->ended;
}

static int io_error (struct incus_ws *ws, const char *what, coi_error_t *err)
{
  if (ws->io_rc != CURLE_OK)
    return coi_error_make (err, 0, "websocket %s: %s", what, curl_easy_strerror (ws->io_rc));
  if (ws->io_errno)
    return coi_error_errno (err, ws->io_errno, "websocket %s", what);
  return coi_error_make (err, 0, "websocket %s: connection failed", what);
}

int incus_ws_flush (struct incus_ws *ws, coi_error_t *err)
{
  if (ws->send_failed)
    return coi_error_make (err, EPIPE, "websocket send: the connection is closed");
  if (!wslay_event_want_write (ws->ctx))
    return 0;
  int r = wslay_event_send (ws->ctx);
  if (r == 0)
    return 0;
  ws->send_failed = true;
  if (r == WSLAY_ERR_NOMEM)
    return coi_error_errno (err, ENOMEM, "websocket send");
  if (ws->io_errno == EPIPE || ws->io_errno == ECONNRESET)
    return coi_error_make (err, ws->io_errno, "websocket send: the server closed the connection");
  return io_error (ws, "send", err);
}

int incus_ws_send (struct incus_ws *ws, enum incus_ws_kind kind, const void *data, size_t len,
                   coi_error_t *err)
{
  struct wslay_event_msg m = {
    .opcode = kind == INCUS_WS_TEXT ? WSLAY_TEXT_FRAME : WSLAY_BINARY_FRAME,
    .msg = data,
    .msg_length = len,
  };
  int r = wslay_event_queue_msg (ws->ctx, &m);
  if (r == WSLAY_ERR_NO_MORE_MSG)
    return coi_error_make (err, EPIPE, "websocket send: the connection is closing");
  if (r != 0)
    return coi_error_make (err, ENOMEM, "websocket send: cannot queue the message");
  return incus_ws_flush (ws, err);
}

int incus_ws_drain (struct incus_ws *ws, int timeout_ms, coi_error_t *err)
{
  long long deadline = timeout_ms < 0 ? -1 : coi_now_ms () + timeout_ms;
  for (;;)
    {
      if (incus_ws_flush (ws, err) < 0)
        return -1;
      if (!wslay_event_want_write (ws->ctx))
        return 0;
      int wait = -1;
      if (deadline >= 0)
        {
          long long left = deadline - coi_now_ms ();
          if (left <= 0)
            return coi_error_make (err, ETIMEDOUT, "websocket send: timed out");
          wait = (int) left;
        }
      struct pollfd p = { .fd = ws->fd, .events = POLLOUT };
      if (poll (&p, 1, wait) < 0 && errno != EINTR)
        return coi_error_errno (err, errno, "websocket send: poll");
    }
}

int incus_ws_pump (struct incus_ws *ws, incus_ws_handler h, void *user, coi_error_t *err)
{
  if (ws->ended)
    return 1;
  if (ws->failed)
    return coi_error_make (err, 0, "websocket receive: connection already failed");
  ws->handler = h;
  ws->user = user;
  ws->err = err;
  int r = wslay_event_recv (ws->ctx);
  ws->handler = NULL;
  ws->user = NULL;
  ws->err = NULL;
  if (ws->failed)
    return -1; /* the handler (or the message limit) set *err */
  if (r != 0 && !ws->eof)
    {
      ws->failed = true;
      if (r == WSLAY_ERR_NOMEM)
        return coi_error_errno (err, ENOMEM, "websocket receive");
      return io_error (ws, "receive", err);
    }
  if (ws->eof)
    {
      ws->ended = true;
      return 1;
    }
  if (wslay_event_get_read_enabled (ws->ctx))
    {
      /* Pongs are queued by wslay; send them now.  A failed send shows up
         on the next send or as EOF here, so it is not an error yet. */
      if (incus_ws_want_write (ws))
        {
          coi_error_t ignored = NULL;
          if (incus_ws_flush (ws, &ignored) < 0)
            coi_error_release (&ignored);
        }
      return 0;
    }
  /* wslay stops reading after a close frame, or after a protocol violation
     (it then queues a close of its own). */
  ws->ended = true;
  if (incus_ws_want_write (ws))
    (void) wslay_event_send (ws->ctx);
  if (wslay_event_get_close_received (ws->ctx))
    return 1;
  uint16_t code = wslay_event_get_status_code_sent (ws->ctx);
  ws->failed = true;
  if (code == WSLAY_CODE_MESSAGE_TOO_BIG)
    return coi_error_make (err, EFBIG, "websocket receive: message too big");
  return coi_error_make (err, EPROTO, "websocket receive: the server broke the protocol (close code %u)",
                         code);
}

int incus_ws_close (struct incus_ws *ws, coi_error_t *err)
{
  if (ws->send_failed || ws->ended || wslay_event_get_close_sent (ws->ctx))
    return 0;
  int r = wslay_event_queue_close (ws->ctx, WSLAY_CODE_NORMAL_CLOSURE, NULL, 0);
  if (r != 0 && r != WSLAY_ERR_NO_MORE_MSG)
    return coi_error_make (err, ENOMEM, "websocket close: cannot queue the close frame");
  return incus_ws_flush (ws, err);
}

void incus_ws_free (struct incus_ws *ws)
{
  if (ws == NULL)
    return;
  if (ws->ctx)
    wslay_event_context_free (ws->ctx);
  if (ws->curl)
    curl_easy_cleanup (ws->curl);
  else if (ws->fd >= 0)
    close (ws->fd);
  free (ws->pending);
  buf_free (&ws->msg);
  free (ws);
}
