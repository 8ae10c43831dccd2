/* Websockets without Incus: the handshake check, the frame path fed by a
 * scripted (and a hostile, and a random) peer over a socketpair, and
 * incus_ws_connect against a fake server on a unix socket. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "incus/client.h"
#include "incus/ws.h"
#include "util/buf.h"
#include "util/cleanup.h"

/* ---- what the handler saw ---- */

struct seen
{
  struct buf data;     /* payload of complete messages, concatenated */
  int messages;
  int barriers;
  enum incus_ws_kind last_kind;
  int fail_after;      /* > 0: the handler fails on that event */
  int events;
};

static int record (void *user, const struct incus_ws_event *ev, coi_error_t *err)
{
  struct seen *s = user;
  if (s->fail_after > 0 && ++s->events >= s->fail_after)
    return coi_error_make (err, 0, "handler refused");
  if (buf_append (&s->data, ev->data, ev->len) < 0)
    return coi_error_make (err, 0, "test buffer full");
  if (ev->end)
    {
      s->messages++;
      s->last_kind = ev->kind;
      if (incus_ws_is_barrier (ev))
        s->barriers++;
    }
  return 0;
}

/* ---- a scripted peer ---- */

struct pair
{
  struct incus_ws *ws;
  int peer;
};

static void pair_open (struct pair *p, const void *pending, size_t pending_len)
{
  int sv[2];
  assert_int_equal (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  coi_error_t err = NULL;
  assert_int_equal (incus_ws_from_fd (sv[0], pending, pending_len, &p->ws, &err), 0);
  p->peer = sv[1];
}

static void pair_close (struct pair *p)
{
  incus_ws_free (p->ws);
  if (p->peer >= 0)
    close (p->peer);
}

/* An unmasked server frame. */
static size_t frame (uint8_t *out, int opcode, bool fin, const void *payload, size_t len)
{
  size_t n = 0;
  out[n++] = (uint8_t) ((fin ? 0x80 : 0) | opcode);
  if (len < 126)
    out[n++] = (uint8_t) len;
  else if (len < 65536)
    {
      out[n++] = 126;
      out[n++] = (uint8_t) (len >> 8);
      out[n++] = (uint8_t) len;
    }
  else
    {
      out[n++] = 127;
      for (int i = 7; i >= 0; i--)
        out[n++] = (uint8_t) ((uint64_t) len >> (8 * i));
    }
  if (len)
    memcpy (out + n, payload, len);
  return n + len;
}

static void peer_send (struct pair *p, const void *data, size_t len)
{
  assert_int_equal (write (p->peer, data, len), (ssize_t) len);
}

/* Pump until the handler has seen `messages` messages or the stream ended. */
static int pump_until (struct pair *p, struct seen *s, int messages, coi_error_t *err)
{
  for (int round = 0; round < 200; round++)
    {
      int r = incus_ws_pump (p->ws, record, s, err);
      if (r != 0 || s->messages >= messages)
        return r;
      struct pollfd pf = { .fd = incus_ws_fd (p->ws), .events = POLLIN };
      poll (&pf, 1, 20);
    }
  return 0;
}

/* Read one masked client frame from the peer side and unmask it. */
static size_t peer_read_frame (struct pair *p, int *opcode, uint8_t *payload, size_t cap)
{
  uint8_t h[14];
  assert_int_equal (read (p->peer, h, 2), 2);
  *opcode = h[0] & 0x0f;
  assert_true (h[1] & 0x80); /* clients must mask */
  size_t len = h[1] & 0x7f;
  if (len == 126)
    {
      assert_int_equal (read (p->peer, h, 2), 2);
      len = ((size_t) h[0] << 8) | h[1];
    }
  assert_true (len < 126 || len <= cap);
  uint8_t mask[4];
  assert_int_equal (read (p->peer, mask, 4), 4);
  assert_true (len <= cap);
  size_t got = 0;
  while (got < len)
    {
      ssize_t n = read (p->peer, payload + got, len - got);
      assert_true (n > 0);
      got += (size_t) n;
    }
  for (size_t i = 0; i < len; i++)
    payload[i] ^= mask[i % 4];
  return len;
}

/* ---- handshake ---- */

static void test_accept_key_rfc_example (void **state)
{
  (void) state;
  char out[29];
  assert_int_equal (incus_ws_accept_for_key ("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
  assert_string_equal (out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

#define KEY "dGhlIHNhbXBsZSBub25jZQ=="

static int check (const char *head, const char *body, coi_error_t *err)
{
  return incus_ws_check_upgrade (head, strlen (head), body, body ? strlen (body) : 0, KEY, err);
}

static void test_upgrade_checks (void **state)
{
  (void) state;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (check ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
                           NULL, &err),
                    0);
  /* Header names and tokens are case-insensitive; lists and spaces allowed. */
  assert_int_equal (check ("HTTP/1.1 101 OK\r\nupgrade:  WebSocket \r\n"
                           "connection: keep-alive, upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
                           NULL, &err),
                    0);

  assert_int_equal (check ("HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n",
                           NULL, &err),
                    -1);
  assert_non_null (strstr (err->msg, "Sec-WebSocket-Accept"));

  assert_int_equal (check ("HTTP/1.1 101 OK\r\nConnection: Upgrade\r\n\r\n", NULL, &err), -1);
  assert_non_null (strstr (err->msg, "did not upgrade"));

  assert_int_equal (check ("HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n\r\n",
                           "{\"type\":\"error\",\"error\":\"not authorized\",\"error_code\":403}", &err),
                    -1);
  assert_string_equal (err->msg, "not authorized");
  assert_int_equal (err->status, 403);

  assert_int_equal (check ("HTTP/1.1 500 Internal Server Error\r\n\r\n", "not json", &err), -1);
  assert_non_null (strstr (err->msg, "HTTP 500"));

  assert_int_equal (check ("SSH-2.0-OpenSSH\r\n\r\n", NULL, &err), -1);
  assert_non_null (strstr (err->msg, "not HTTP"));

  /* A NUL inside the head hides what follows: no header, no upgrade. */
  const char nul[] = "HTTP/1.1 101 OK\r\nUpgrade: websocket\0\r\nConnection: Upgrade\r\n\r\n";
  assert_int_equal (incus_ws_check_upgrade (nul, sizeof nul - 1, NULL, 0, KEY, &err), -1);
}

/* ---- frames ---- */

static void test_binary_and_barrier (void **state)
{
  (void) state;
  struct pair p;
  uint8_t b[64];
  size_t n = frame (b, 2, true, "hello", 5);
  /* Bytes read past the handshake come first. */
  pair_open (&p, b, n);
  n = frame (b, 1, true, NULL, 0);
  peer_send (&p, b, n);
  struct seen s = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (pump_until (&p, &s, 2, &err), 0);
  assert_int_equal (s.messages, 2);
  assert_int_equal (s.barriers, 1);
  assert_int_equal (s.data.len, 5);
  assert_memory_equal (s.data.data, "hello", 5);
  /* EOF without a close frame is a normal end. */
  close (p.peer);
  p.peer = -1;
  assert_int_equal (pump_until (&p, &s, 99, &err), 1);
  assert_true (incus_ws_ended (p.ws));
  buf_free (&s.data);
  pair_close (&p);
}

static void test_fragments_ping_and_close (void **state)
{
  (void) state;
  struct pair p;
  pair_open (&p, NULL, 0);
  uint8_t b[256];
  size_t n = frame (b, 1, false, "ab", 2);
  n += frame (b + n, 9, true, "keepalive", 9); /* a ping between fragments */
  n += frame (b + n, 0, true, "cd", 2);
  peer_send (&p, b, n);
  struct seen s = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (pump_until (&p, &s, 1, &err), 0);
  assert_int_equal (s.messages, 1);
  assert_int_equal (s.last_kind, INCUS_WS_TEXT);
  assert_memory_equal (s.data.data, "abcd", 4);

  int op = 0;
  uint8_t payload[128];
  size_t len = peer_read_frame (&p, &op, payload, sizeof payload);
  assert_int_equal (op, 0xa); /* pong */
  assert_int_equal (len, 9);
  assert_memory_equal (payload, "keepalive", 9);

  /* Sending: one masked binary frame. */
  assert_int_equal (incus_ws_send (p.ws, INCUS_WS_BINARY, "\0\1\2", 3, &err), 0);
  len = peer_read_frame (&p, &op, payload, sizeof payload);
  assert_int_equal (op, 2);
  assert_int_equal (len, 3);
  assert_memory_equal (payload, "\0\1\2", 3);

  /* The server's close is answered and ends the stream. */
  uint8_t code[2] = { 0x03, 0xe8 };
  n = frame (b, 8, true, code, 2);
  peer_send (&p, b, n);
  assert_int_equal (pump_until (&p, &s, 99, &err), 1);
  len = peer_read_frame (&p, &op, payload, sizeof payload);
  assert_int_equal (op, 8);
  buf_free (&s.data);
  pair_close (&p);
}

static void test_large_message_streams_in_chunks (void **state)
{
  (void) state;
  struct pair p;
  pair_open (&p, NULL, 0);
  size_t len = 3 * 1024 * 1024;
  uint8_t *b = malloc (len + 16);
  assert_non_null (b);
  _cleanup_free_ uint8_t *payload = malloc (len);
  assert_non_null (payload);
  for (size_t i = 0; i < len; i++)
    payload[i] = (uint8_t) (i * 7);
  size_t n = frame (b, 2, true, payload, len);
  struct seen s = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  /* Write in pieces while pumping: the socket buffer is smaller. */
  size_t off = 0;
  while (s.messages < 1)
    {
      if (off < n)
        {
          ssize_t w = write (p.peer, b + off, n - off > 65536 ? 65536 : n - off);
          assert_true (w > 0);
          off += (size_t) w;
        }
      assert_true (incus_ws_pump (p.ws, record, &s, &err) >= 0);
    }
  assert_int_equal (s.data.len, len);
  assert_memory_equal (s.data.data, payload, len);
  free (b);
  buf_free (&s.data);
  pair_close (&p);
}

static void expect_broken (const uint8_t *bytes, size_t n, const char *why)
{
  struct pair p;
  pair_open (&p, NULL, 0);
  peer_send (&p, bytes, n);
  struct seen s = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  int r = pump_until (&p, &s, 99, &err);
  if (r != -1)
    fail_msg ("%s: pump returned %d", why, r);
  assert_non_null (err);
  buf_free (&s.data);
  pair_close (&p);
}

static void test_protocol_violations (void **state)
{
  (void) state;
  /* Masked frame from a server. */
  expect_broken ((const uint8_t[]) { 0x82, 0x81, 1, 2, 3, 4, 'x' }, 7, "masked");
  /* Reserved bits without an extension. */
  expect_broken ((const uint8_t[]) { 0xc2, 0x01, 'x' }, 3, "rsv1");
  /* Continuation with nothing to continue. */
  expect_broken ((const uint8_t[]) { 0x80, 0x01, 'x' }, 3, "continuation");
  /* Unknown opcode. */
  expect_broken ((const uint8_t[]) { 0x83, 0x01, 'x' }, 3, "opcode 3");
  /* Fragmented control frame, and control payload over 125 bytes. */
  expect_broken ((const uint8_t[]) { 0x09, 0x00 }, 2, "fragmented ping");
  expect_broken ((const uint8_t[]) { 0x89, 0x7e, 0x00, 0x7e }, 4, "long ping");
  /* 64-bit length with the top bit set. */
  expect_broken ((const uint8_t[]) { 0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1 }, 10, "length msb");
  /* A new data message inside a fragmented one. */
  expect_broken ((const uint8_t[]) { 0x01, 0x01, 'a', 0x82, 0x01, 'b' }, 6, "interleaved");
}

static void test_huge_declared_length (void **state)
{
  (void) state;
  /* 1 GiB announced: streaming mode neither allocates nor fails before the
     bytes come; message mode refuses it at once. */
  const uint8_t gib[] = { 0x82, 0x7f, 0, 0, 0, 0, 0x40, 0, 0, 0, 'a', 'b' };
  struct pair p;
  pair_open (&p, NULL, 0);
  peer_send (&p, gib, sizeof gib);
  struct seen s = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (incus_ws_pump (p.ws, record, &s, &err), 0);
  assert_int_equal (s.data.len, 2);
  buf_free (&s.data);
  pair_close (&p);

  pair_open (&p, NULL, 0);
  incus_ws_set_message_limit (p.ws, 1024);
  peer_send (&p, gib, sizeof gib);
  struct seen s2 = { 0 };
  assert_int_equal (pump_until (&p, &s2, 99, &err), -1);
  buf_free (&s2.data);
  pair_close (&p);

  /* 2^62 bytes: over wslay's frame cap (2 GiB), a clean error either way. */
  const uint8_t absurd[] = { 0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0, 'a', 'b' };
  pair_open (&p, NULL, 0);
  peer_send (&p, absurd, sizeof absurd);
  struct seen s3 = { 0 };
  assert_int_equal (pump_until (&p, &s3, 99, &err), -1);
  assert_non_null (strstr (err->msg, "too big"));
  buf_free (&s3.data);
  pair_close (&p);
}

static void test_message_limit (void **state)
{
  (void) state;
  struct pair p;
  pair_open (&p, NULL, 0);
  incus_ws_set_message_limit (p.ws, 8);
  uint8_t b[64];
  size_t n = frame (b, 1, false, "1234", 4);
  n += frame (b + n, 0, true, "5678", 4);
  n += frame (b + n, 1, true, "123456789", 9);
  peer_send (&p, b, n);
  struct seen s = { 0 };
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (pump_until (&p, &s, 99, &err), -1);
  assert_int_equal (s.messages, 1); /* the 8-byte one, whole */
  assert_memory_equal (s.data.data, "12345678", 8);
  assert_non_null (strstr (err->msg, "larger than 8 bytes"));
  buf_free (&s.data);
  pair_close (&p);
}

static void test_handler_failure_stops (void **state)
{
  (void) state;
  struct pair p;
  pair_open (&p, NULL, 0);
  uint8_t b[64];
  size_t n = frame (b, 2, true, "one", 3);
  n += frame (b + n, 2, true, "two", 3);
  peer_send (&p, b, n);
  struct seen s = { .fail_after = 1 };
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (pump_until (&p, &s, 99, &err), -1);
  assert_string_equal (err->msg, "handler refused");
  assert_int_equal (s.messages, 0);
  buf_free (&s.data);
  pair_close (&p);
}

static void test_random_bytes_never_crash (void **state)
{
  (void) state;
  /* Deterministic noise, plus noise after a valid header, in both modes. */
  uint32_t x = 12345;
  for (int round = 0; round < 400; round++)
    {
      uint8_t b[512];
      size_t n = 1 + (round * 37) % sizeof b;
      for (size_t i = 0; i < n; i++)
        {
          x = x * 1664525u + 1013904223u;
          b[i] = (uint8_t) (x >> 24);
        }
      if (round % 3 == 0)
        b[0] = 0x82;
      struct pair p;
      pair_open (&p, NULL, 0);
      if (round % 2)
        incus_ws_set_message_limit (p.ws, 100);
      peer_send (&p, b, n);
      close (p.peer);
      p.peer = -1;
      struct seen s = { 0 };
      coi_error_t err = NULL;
      int r = pump_until (&p, &s, 1000, &err);
      assert_true (r == 1 || r == -1);
      coi_error_release (&err);
      buf_free (&s.data);
      pair_close (&p);
    }
}

/* ---- incus_ws_connect against a fake server ---- */

enum fake_mode
{
  FAKE_OK,          /* 101 plus a frame in the same write */
  FAKE_FORBIDDEN,   /* 403 with an error envelope */
  FAKE_BAD_ACCEPT,
  FAKE_ENDLESS_HEAD,
};

struct fake
{
  int listen_fd;
  enum fake_mode mode;
  char request[4096];
  uint8_t got[16];
  size_t got_len;
};

static void *fake_serve (void *arg)
{
  struct fake *f = arg;
  int fd = accept (f->listen_fd, NULL, NULL);
  if (fd < 0)
    return NULL;
  size_t n = 0;
  while (n < sizeof f->request - 1 && !strstr (f->request, "\r\n\r\n"))
    {
      ssize_t r = read (fd, f->request + n, sizeof f->request - 1 - n);
      if (r <= 0)
        break;
      n += (size_t) r;
      f->request[n] = '\0';
    }
  char key[64] = "";
  const char *k = strstr (f->request, "Sec-WebSocket-Key: ");
  if (k)
    sscanf (k + 19, "%63[^\r]", key);
  char accept_key[29] = "";
  incus_ws_accept_for_key (key, accept_key);
  char out[512];
  int len = 0;
  switch (f->mode)
    {
    case FAKE_OK:
      len = snprintf (out, sizeof out,
                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n"
                      "\x82\x03"
                      "abc",
                      accept_key);
      break;
    case FAKE_FORBIDDEN:
      {
        const char *body = "{\"type\":\"error\",\"error\":\"not authorized\",\"error_code\":403}";
        len = snprintf (out, sizeof out,
                        "HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                        "Content-Length: %zu\r\n\r\n%s",
                        strlen (body), body);
        break;
      }
    case FAKE_BAD_ACCEPT:
      len = snprintf (out, sizeof out,
                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: x%s\r\n\r\n",
                      accept_key);
      break;
    case FAKE_ENDLESS_HEAD:
      {
        len = snprintf (out, sizeof out, "HTTP/1.1 101 OK\r\n");
        if (write (fd, out, (size_t) len) < 0)
          break;
        memset (out, 'X', sizeof out);
        for (int i = 0; i < 200; i++)
          if (write (fd, out, sizeof out) < 0)
            break;
        len = 0;
        break;
      }
    }
  if (len > 0 && write (fd, out, (size_t) len) != len)
    {
      close (fd);
      return NULL;
    }
  if (f->mode == FAKE_OK)
    {
      /* Read the client's masked frame back. */
      uint8_t h[6];
      if (read (fd, h, 6) == 6)
        {
          size_t l = h[1] & 0x7f;
          if (l <= sizeof f->got && read (fd, f->got, l) == (ssize_t) l)
            {
              for (size_t i = 0; i < l; i++)
                f->got[i] ^= h[2 + i % 4];
              f->got_len = l;
            }
        }
    }
  close (fd);
  return NULL;
}

static int connect_fake (enum fake_mode mode, struct fake *f, struct incus_ws **ws,
                         coi_error_t *err)
{
  char dir[] = "/tmp/coi-test-ws-XXXXXX";
  assert_non_null (mkdtemp (dir));
  char path[64];
  snprintf (path, sizeof path, "%s/sock", dir);
  memset (f, 0, sizeof *f);
  f->mode = mode;
  f->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "%s", path);
  assert_int_equal (bind (f->listen_fd, (struct sockaddr *) &sa, sizeof sa), 0);
  assert_int_equal (listen (f->listen_fd, 1), 0);
  pthread_t t;
  assert_int_equal (pthread_create (&t, NULL, fake_serve, f), 0);

  struct incus_endpoint ep = { .name = "local", .unix_path = path };
  struct incus_client *c = NULL;
  assert_int_equal (incus_client_open_endpoint (&c, &ep, NULL, err), 0);
  int r = incus_ws_connect (c, "/1.0/operations/op1/websocket?secret=s3", ws, err);
  if (r == 0)
    {
      struct seen s = { 0 };
      for (int i = 0; i < 100 && s.messages == 0; i++)
        {
          assert_true (incus_ws_pump (*ws, record, &s, err) >= 0);
          struct pollfd pf = { .fd = incus_ws_fd (*ws), .events = POLLIN };
          poll (&pf, 1, 20);
        }
      assert_int_equal (s.messages, 1);
      assert_memory_equal (s.data.data, "abc", 3);
      buf_free (&s.data);
      if (incus_ws_send (*ws, INCUS_WS_BINARY, "xyz", 3, err) < 0)
        fail_msg ("send: %s", (*err)->msg);
      assert_int_equal (incus_ws_drain (*ws, 5000, err), 0);
    }
  else
    {
      /* Let the server finish writing before its socket goes. */
      shutdown (f->listen_fd, SHUT_RDWR);
    }
  assert_int_equal (pthread_join (t, NULL), 0);
  incus_client_free (c);
  close (f->listen_fd);
  unlink (path);
  rmdir (dir);
  return r;
}

static void test_connect_ok (void **state)
{
  (void) state;
  struct fake f;
  struct incus_ws *ws = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (connect_fake (FAKE_OK, &f, &ws, &err) < 0)
    fail_msg ("%s", err->msg);
  incus_ws_free (ws);
  assert_non_null (strstr (f.request, "GET /1.0/operations/op1/websocket?secret=s3 HTTP/1.1\r\n"));
  assert_non_null (strstr (f.request, "\r\nUpgrade: websocket\r\n"));
  assert_non_null (strstr (f.request, "\r\nSec-WebSocket-Version: 13\r\n"));
  assert_int_equal (f.got_len, 3);
  assert_memory_equal (f.got, "xyz", 3);
}

static void test_connect_refused_with_server_text (void **state)
{
  (void) state;
  struct fake f;
  struct incus_ws *ws = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (connect_fake (FAKE_FORBIDDEN, &f, &ws, &err), -1);
  assert_string_equal (err->msg, "not authorized");
}

static void test_connect_bad_accept (void **state)
{
  (void) state;
  struct fake f;
  struct incus_ws *ws = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (connect_fake (FAKE_BAD_ACCEPT, &f, &ws, &err), -1);
  assert_non_null (strstr (err->msg, "Sec-WebSocket-Accept"));
}

static void test_connect_endless_head (void **state)
{
  (void) state;
  struct fake f;
  struct incus_ws *ws = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (connect_fake (FAKE_ENDLESS_HEAD, &f, &ws, &err), -1);
  assert_non_null (strstr (err->msg, "no end of headers"));
}

static void test_connect_no_socket (void **state)
{
  (void) state;
  struct incus_endpoint ep = { .name = "local", .unix_path = "/nonexistent/unix.socket" };
  struct incus_client *c = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  assert_int_equal (incus_client_open_endpoint (&c, &ep, NULL, &err), 0);
  struct incus_ws *ws = NULL;
  assert_int_equal (incus_ws_connect (c, "/1.0/events", &ws, &err), -1);
  incus_client_free (c);
  assert_non_null (strstr (err->msg, "/nonexistent/unix.socket does not exist"));
}

int main (void)
{
  /* The fake server keeps writing after the client gave up on it. */
  signal (SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_accept_key_rfc_example),
    cmocka_unit_test (test_upgrade_checks),
    cmocka_unit_test (test_binary_and_barrier),
    cmocka_unit_test (test_fragments_ping_and_close),
    cmocka_unit_test (test_large_message_streams_in_chunks),
    cmocka_unit_test (test_protocol_violations),
    cmocka_unit_test (test_huge_declared_length),
    cmocka_unit_test (test_message_limit),
    cmocka_unit_test (test_handler_failure_stops),
    cmocka_unit_test (test_random_bytes_never_crash),
    cmocka_unit_test (test_connect_ok),
    cmocka_unit_test (test_connect_refused_with_server_text),
    cmocka_unit_test (test_connect_bad_accept),
    cmocka_unit_test (test_connect_endless_head),
    cmocka_unit_test (test_connect_no_socket),
  };
  return cmocka_run_group_tests_name ("ws", tests, NULL, NULL);
}
