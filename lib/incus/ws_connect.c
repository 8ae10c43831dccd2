/* The websocket opening handshake (RFC 6455 section 4) over a fresh libcurl
 * CONNECT_ONLY connection: curl does the connect and any TLS, we write the
 * Upgrade request and check the reply ourselves. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "incus/client_private.h"
#include "incus/ws.h"
#include "incus/ws_private.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/clock.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
/* A reply head bigger than this is not from an Incus server we want. */
#define MAX_HEAD 16384
/* Enough for any error envelope worth showing. */
#define MAX_ERROR_BODY 65536
#define HANDSHAKE_TIMEOUT_MS 30000

int incus_ws_accept_for_key (const char *key, char out[29])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  _cleanup_free_ char *cat = NULL;
  if (asprintf (&cat, "%s" WS_GUID, key) < 0)
    return -1;
  if (EVP_Digest (cat, strlen (cat), md, &mdlen, EVP_sha1 (), NULL) != 1 || mdlen != 20)
    return -1;
  /* 20 bytes encode to 28 characters plus NUL. */
  if (EVP_EncodeBlock ((unsigned char *) out, md, 20) != 28)
    return -1;
  return 0;
}

static int make_key (char out[INCUS_WS_KEY_LEN + 1])
{
  unsigned char raw[16];
  if (getrandom (raw, sizeof raw, 0) != (ssize_t) sizeof raw)
    return -1;
  return EVP_EncodeBlock ((unsigned char *) out, raw, sizeof raw) == INCUS_WS_KEY_LEN ? 0 : -1;
}

/* The value of header `name` in a NUL-terminated head, trimmed, or NULL. */
static char *header_value (const char *head, const char *name)
{
  size_t nlen = strlen (name);
  const char *line = strstr (head, "\r\n");
  while (line && line[2] != '\r' && line[2] != '\0')
    {
      line += 2;
      const char *eol = strstr (line, "\r\n");
      if (eol == NULL)
        return NULL;
      if ((size_t) (eol - line) > nlen && line[nlen] == ':' && strncasecmp (line, name, nlen) == 0)
        {
          const char *v = line + nlen + 1;
          while (v < eol && (*v == ' ' || *v == '\t'))
            v++;
          const char *e = eol;
          while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
          return strndup (v, (size_t) (e - v));
        }
      line = eol;
    }
  return NULL;
}

/* Whether a comma-separated header value holds `token` (case-insensitive). */
static bool has_token (const char *value, const char *token)
{
  size_t tlen = strlen (token);
  for (const char *p = value; p && *p;)
    {
      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      const char *e = p;
      while (*e && *e != ',')
        e++;
      const char *t = e;
      while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
        t--;
      if ((size_t) (t - p) == tlen && strncasecmp (p, token, tlen) == 0)
        return true;
      p = e;
    }
  return false;
}

int incus_ws_check_upgrade (const char *head_in, size_t len, const char *body, size_t body_len,
                            const char *key, coi_error_t *err)
{
  _cleanup_free_ char *head = strndup (head_in, len);
  if (head == NULL)
    return coi_error_errno (err, ENOMEM, "websocket handshake");
  int status = 0;
  if (sscanf (head, "HTTP/1.%*1[01] %3d", &status) != 1)
    return coi_error_make (err, EPROTO, "websocket handshake: the server's reply is not HTTP");
  if (status != 101)
    {
      char *eol = strstr (head, "\r\n");
      if (eol)
        *eol = '\0';
      const char *line = head + strlen ("HTTP/1.1 ");
      _cleanup_json_ json_t *j = body_len ? json_loadb (body, body_len, 0, NULL) : NULL;
      const char *text = json_string_value (json_object_get (j, "error"));
      if (text && *text)
        return coi_error_make (err, status, "%s", text);
      return coi_error_make (err, status, "websocket upgrade refused: HTTP %.64s", line);
    }
  _cleanup_free_ char *upgrade = header_value (head, "Upgrade");
  _cleanup_free_ char *connection = header_value (head, "Connection");
  _cleanup_free_ char *accept = header_value (head, "Sec-WebSocket-Accept");
  if (upgrade == NULL || !has_token (upgrade, "websocket") || connection == NULL
      || !has_token (connection, "upgrade"))
    return coi_error_make (err, EPROTO, "websocket handshake: the server did not upgrade");
  char want[29];
  if (incus_ws_accept_for_key (key, want) < 0)
    return coi_error_make (err, 0, "websocket handshake: cannot compute the accept key");
  if (accept == NULL || strcmp (accept, want) != 0)
    return coi_error_make (err, EPROTO, "websocket handshake: wrong Sec-WebSocket-Accept");
  return 0;
}

static int wait_fd (int fd, short events, long long deadline, coi_error_t *err)
{
  for (;;)
    {
      long long left = deadline - coi_now_ms ();
      if (left <= 0)
        return coi_error_make (err, ETIMEDOUT, "websocket handshake: the server did not answer");
      struct pollfd p = { .fd = fd, .events = events };
      int r = poll (&p, 1, (int) left);
      if (r > 0)
        return 0;
      if (r < 0 && errno != EINTR)
        return coi_error_errno (err, errno, "websocket handshake: poll");
    }
}

static int send_all (CURL *h, int fd, const char *data, size_t len, long long deadline,
                     coi_error_t *err)
{
  while (len > 0)
    {
      size_t n = 0;
      CURLcode rc = curl_easy_send (h, data, len, &n);
      if (rc == CURLE_AGAIN)
        {
          if (wait_fd (fd, POLLOUT, deadline, err) < 0)
            return -1;
          continue;
        }
      if (rc != CURLE_OK)
        return coi_error_make (err, 0, "websocket handshake: send: %s", curl_easy_strerror (rc));
      data += n;
      len -= n;
    }
  return 0;
}

/* Read into b until `done` says the reply is complete, EOF, or the limit. */
static int recv_until (CURL *h, int fd, struct buf *b, long long deadline,
                       bool (*done) (const struct buf *b, void *arg), void *arg, coi_error_t *err)
{
  char chunk[4096];
  while (!done (b, arg))
    {
      size_t n = 0;
      CURLcode rc = curl_easy_recv (h, chunk, sizeof chunk, &n);
      if (rc == CURLE_AGAIN)
        {
          if (wait_fd (fd, POLLIN, deadline, err) < 0)
            return -1;
          continue;
        }
      if (rc != CURLE_OK)
        return coi_error_make (err, 0, "websocket handshake: receive: %s", curl_easy_strerror (rc));
      if (n == 0)
        return 1;
      if (buf_append (b, chunk, n) < 0)
        return 1; /* over the limit: judge what we have */
    }
  return 0;
}

static bool head_complete (const struct buf *b, void *arg)
{
  (void) arg;
  return b->data && memmem (b->data, b->len, "\r\n\r\n", 4) != NULL;
}

static bool body_complete (const struct buf *b, void *arg)
{
  return b->len >= *(size_t *) arg;
}

/* "GET /path?query HTTP/1.1" target and Host value from the request URL. */
static int split_url (const char *url, char **target, char **host)
{
  CURLU *u = curl_url ();
  if (u == NULL)
    return -1;
  char *path = NULL, *query = NULL, *h = NULL, *port = NULL;
  int r = -1;
  if (curl_url_set (u, CURLUPART_URL, url, 0) != CURLUE_OK
      || curl_url_get (u, CURLUPART_PATH, &path, 0) != CURLUE_OK
      || curl_url_get (u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
    goto out;
  (void) curl_url_get (u, CURLUPART_QUERY, &query, 0);
  (void) curl_url_get (u, CURLUPART_PORT, &port, 0);
  if (asprintf (target, "%s%s%s", path, query ? "?" : "", query ? query : "") < 0)
    goto out;
  if (asprintf (host, "%s%s%s", h, port ? ":" : "", port ? port : "") < 0)
    {
      free (*target);
      goto out;
    }
  r = 0;
out:
  curl_free (path);
  curl_free (query);
  curl_free (h);
  curl_free (port);
  curl_url_cleanup (u);
  return r;
}

/* One upgrade in flight: the request is sent, the reply not read yet. */
struct ws_opening
{
  CURL *h;
  int fd;
  char *url;
  char key[INCUS_WS_KEY_LEN + 1];
};

static void opening_clear (struct ws_opening *o)
{
  if (o->h)
    curl_easy_cleanup (o->h);
  free (o->url);
  memset (o, 0, sizeof (*o));
}

/* Connect (and TLS) through curl, then write the Upgrade request. */
static int open_begin (struct incus_client *c, const char *path, struct ws_opening *o,
                       long long deadline, coi_error_t *err)
{
  o->url = incus_client_url (c, path);
  if (o->url == NULL)
    return coi_error_errno (err, ENOMEM, "websocket %s", path);
  o->h = curl_easy_init ();
  if (o->h == NULL)
    return coi_error_make (err, 0, "websocket: curl_easy_init failed");
  char errbuf[CURL_ERROR_SIZE] = "";
  if (incus_client_setup_handle (c, o->h) < 0
      || curl_easy_setopt (o->h, CURLOPT_URL, o->url) != CURLE_OK
      || curl_easy_setopt (o->h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK
      || curl_easy_setopt (o->h, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK)
    return coi_error_make (err, 0, "websocket: cannot set up the connection");
  struct timespec t0;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  CURLcode rc = curl_easy_perform (o->h);
  incus_client_trace (c, "WS", o->url, t0);
  curl_easy_setopt (o->h, CURLOPT_ERRORBUFFER, NULL);
  if (rc != CURLE_OK)
    return incus_client_transport_error (c, rc, errbuf, err);
  curl_socket_t sock = CURL_SOCKET_BAD;
  if (curl_easy_getinfo (o->h, CURLINFO_ACTIVESOCKET, &sock) != CURLE_OK || sock == CURL_SOCKET_BAD)
    return coi_error_make (err, 0, "websocket: no socket after connecting");
  o->fd = (int) sock;

  _cleanup_free_ char *target = NULL, *host = NULL, *req = NULL;
  if (split_url (o->url, &target, &host) < 0 || make_key (o->key) < 0)
    return coi_error_make (err, 0, "websocket handshake: cannot build the request");
  int n = asprintf (&req,
                    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: coi\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                    target, host, o->key);
  if (n < 0)
    return coi_error_errno (err, ENOMEM, "websocket handshake");
  return send_all (o->h, o->fd, req, (size_t) n, deadline, err);
}

/* Read and check the reply; on success the handle moves into *out. */
static int open_finish (struct ws_opening *o, long long deadline, struct incus_ws **out,
                        coi_error_t *err)
{
  _cleanup_buf_ struct buf reply = { .limit = MAX_HEAD };
  if (recv_until (o->h, o->fd, &reply, deadline, head_complete, NULL, err) < 0)
    return -1;
  const char *end = reply.data ? memmem (reply.data, reply.len, "\r\n\r\n", 4) : NULL;
  if (end == NULL)
    return coi_error_make (err, EPROTO, "websocket handshake: %s",
                           reply.len ? "the server's reply has no end of headers"
                                     : "the server closed the connection");
  size_t head_len = (size_t) (end + 4 - reply.data);

  /* A refusal carries the server's error envelope: read it for the message. */
  if (reply.len >= 12 && memcmp (reply.data + 9, "101", 3) != 0)
    {
      _cleanup_free_ char *head = strndup (reply.data, head_len);
      _cleanup_free_ char *cl = head ? header_value (head, "Content-Length") : NULL;
      size_t want = cl ? strtoul (cl, NULL, 10) : 0;
      if (want > MAX_ERROR_BODY)
        want = MAX_ERROR_BODY;
      want += head_len;
      reply.limit = head_len + MAX_ERROR_BODY;
      coi_error_t ignored = NULL;
      if (recv_until (o->h, o->fd, &reply, deadline, body_complete, &want, &ignored) < 0)
        coi_error_release (&ignored);
    }
  if (incus_ws_check_upgrade (reply.data, head_len, reply.data + head_len, reply.len - head_len,
                              o->key, err) < 0)
    return -1;
  /* Frames that came in with the 101 reply are fed to wslay first. */
  CURL *h = o->h;
  o->h = NULL;
  return incus_ws_from_curl (h, o->fd, reply.data + head_len, reply.len - head_len, out, err);
}

int incus_ws_connect_many (struct incus_client *c, const char *const *paths, size_t n,
                           struct incus_ws **out, coi_error_t *err)
{
  long long deadline = coi_now_ms () + HANDSHAKE_TIMEOUT_MS;
  struct ws_opening *o = calloc (n ? n : 1, sizeof (*o));
  if (o == NULL)
    return coi_error_errno (err, ENOMEM, "websocket");
  for (size_t i = 0; i < n; i++)
    out[i] = NULL;
  int r = 0;
  /* All requests first, then all replies: one round trip instead of n. */
  for (size_t i = 0; i < n && r == 0; i++)
    r = open_begin (c, paths[i], &o[i], deadline, err);
  for (size_t i = 0; i < n && r == 0; i++)
    r = open_finish (&o[i], deadline, &out[i], err);
  for (size_t i = 0; i < n; i++)
    opening_clear (&o[i]);
  free (o);
  if (r < 0)
    for (size_t i = 0; i < n; i++)
      {
        incus_ws_free (out[i]);
        out[i] = NULL;
      }
  return r;
}

int incus_ws_connect (struct incus_client *c, const char *path, struct incus_ws **out,
                      coi_error_t *err)
{
  return incus_ws_connect_many (c, &path, 1, out, err);
}
