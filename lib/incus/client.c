#include "incus/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "incus/client_private.h"
#include "incus/remote.h"
#include "util/buf.h"
#include "util/cleanup.h"

/* JSON replies larger than this are refused rather than buffered. */
#define MAX_JSON_REPLY (256u * 1024 * 1024)

void incus_endpoint_clear (struct incus_endpoint *ep)
{
  free (ep->name);
  free (ep->unix_path);
  free (ep->url);
  free (ep->client_cert);
  free (ep->client_key);
  free (ep->server_cert);
  memset (ep, 0, sizeof (*ep));
}

static int copy_endpoint (struct incus_endpoint *dst, const struct incus_endpoint *src)
{
  memset (dst, 0, sizeof (*dst));
#define DUP(f)                                   \
  if (src->f && (dst->f = strdup (src->f)) == NULL) \
    return -1;
  DUP (name);
  DUP (unix_path);
  DUP (url);
  DUP (client_cert);
  DUP (client_key);
  DUP (server_cert);
#undef DUP
  return 0;
}

int incus_client_open_endpoint (struct incus_client **out, const struct incus_endpoint *ep,
                                const char *project, coi_error_t *err)
{
  static int curl_ready;
  if (!curl_ready)
    {
      if (curl_global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return coi_error_make (err, 0, "initialise libcurl: failed");
      curl_ready = 1;
    }
  struct incus_client *c = calloc (1, sizeof (*c));
  if (c == NULL)
    return coi_error_errno (err, errno, "open Incus client");
  if (copy_endpoint (&c->ep, ep) < 0 || (c->project = strdup (project ? project : "default")) == NULL)
    {
      incus_client_free (c);
      return coi_error_errno (err, ENOMEM, "open Incus client");
    }
  c->curl = curl_easy_init ();
  if (c->curl == NULL)
    {
      incus_client_free (c);
      return coi_error_make (err, 0, "open Incus client: curl_easy_init failed");
    }
  *out = c;
  return 0;
}

void incus_client_set_trace (struct incus_client *c, const struct coi_sink *sink)
{
  c->trace = sink;
}

int incus_client_open (struct incus_client **out, const char *remote, const char *project,
                       const char *const *env, coi_error_t *err)
{
  struct incus_endpoint ep = { 0 };
  if (incus_remote_resolve (remote, env, &ep, err) < 0)
    return -1;
  int r = incus_client_open_endpoint (out, &ep, project, err);
  incus_endpoint_clear (&ep);
  return r;
}

void incus_client_free (struct incus_client *c)
{
  if (c == NULL)
    return;
  if (c->curl)
    curl_easy_cleanup (c->curl);
  incus_endpoint_clear (&c->ep);
  free (c->project);
  free (c);
}

const char *incus_client_project (const struct incus_client *c)
{
  return c->project;
}

const struct incus_endpoint *incus_client_endpoint (const struct incus_client *c)
{
  return &c->ep;
}

char *incus_escape (const char *s)
{
  static const char safe[] = "-._~";
  size_t n = strlen (s);
  char *out = malloc (n * 3 + 1);
  if (out == NULL)
    return NULL;
  char *p = out;
  for (const unsigned char *q = (const unsigned char *) s; *q; q++)
    {
      if ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9')
          || strchr (safe, *q))
        *p++ = (char) *q;
      else
        p += sprintf (p, "%%%02X", *q);
    }
  *p = '\0';
  return out;
}

/* "<base>/1.0/...?a=b&project=P": projects apply to every call except the
 * project-independent ones, which ignore the parameter anyway. */
char *incus_client_url (struct incus_client *c, const char *path)
{
  _cleanup_free_ char *proj = incus_escape (c->project);
  if (proj == NULL)
    return NULL;
  const char *base = c->ep.unix_path ? "http://incus" : c->ep.url;
  const char *sep = strchr (path, '?') ? "&" : "?";
  char *url = NULL;
  if (strcmp (c->project, "default") == 0 || strncmp (path, "/1.0/operations", 15) == 0)
    {
      if (asprintf (&url, "%s%s", base, path) < 0)
        return NULL;
    }
  else if (asprintf (&url, "%s%s%sproject=%s", base, path, sep, proj) < 0)
    return NULL;
  return url;
}

int incus_client_setup_handle (struct incus_client *c, CURL *h)
{
  if (c->ep.unix_path)
    {
      if (curl_easy_setopt (h, CURLOPT_UNIX_SOCKET_PATH, c->ep.unix_path) != CURLE_OK)
        return -1;
    }
  else
    {
      if (c->ep.client_cert)
        curl_easy_setopt (h, CURLOPT_SSLCERT, c->ep.client_cert);
      if (c->ep.client_key)
        curl_easy_setopt (h, CURLOPT_SSLKEY, c->ep.client_key);
      if (c->ep.server_cert)
        {
          /* Incus servers present self-signed certificates whose names rarely
             match the address used: trust exactly the stored certificate. */
          curl_easy_setopt (h, CURLOPT_CAINFO, c->ep.server_cert);
          curl_easy_setopt (h, CURLOPT_SSL_VERIFYPEER, 1L);
          curl_easy_setopt (h, CURLOPT_SSL_VERIFYHOST, 0L);
        }
    }
  /* HTTP/1.1 always: a websocket is an upgraded HTTP/1.1 connection, and
     over TLS ALPN would otherwise pick HTTP/2, under which curl_easy_recv
     on a CONNECT_ONLY handle crashed inside nghttp2. */
  curl_easy_setopt (h, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
  curl_easy_setopt (h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (h, CURLOPT_USERAGENT, "coi");
  curl_easy_setopt (h, CURLOPT_CONNECTTIMEOUT, 10L);
  return 0;
}

int incus_client_transport_error (struct incus_client *c, CURLcode rc, const char *detail,
                                  coi_error_t *err)
{
  const char *why = detail && *detail ? detail : curl_easy_strerror (rc);
  if (c->ep.unix_path)
    {
      struct stat st;
      if (stat (c->ep.unix_path, &st) < 0)
        {
          coi_error_make (err, errno, "cannot reach the Incus server: socket %s does not exist",
                          c->ep.unix_path);
          coi_error_set_hint (err, "is incusd installed and running? (set INCUS_SOCKET to use another socket)");
          return -1;
        }
      if (rc == CURLE_COULDNT_CONNECT)
        {
          coi_error_make (err, ECONNREFUSED,
                          "cannot reach the Incus server at %s: connection refused",
                          c->ep.unix_path);
          coi_error_set_hint (err, "incusd is not running; start it (scripts/coi-up.sh does)");
          return -1;
        }
      return coi_error_make (err, 0, "cannot talk to the Incus server at %s: %s",
                             c->ep.unix_path, why);
    }
  return coi_error_make (err, 0, "cannot talk to Incus remote '%s' (%s): %s",
                         c->ep.name ? c->ep.name : "?", c->ep.url, why);
}

/* COI_TIMING_DEBUG=1: one stderr line per API call, for counting and timing
 * what a command costs (COI has the same switch). */
void incus_client_trace (struct incus_client *c, const char *method, const char *path,
                         struct timespec t0)
{
  if (!c->trace)
    return;
  struct timespec t1;
  clock_gettime (CLOCK_MONOTONIC, &t1);
  double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
  c->calls++;
  coi_info (c->trace, "coi: api #%u at %.3f s: %s %s %.1f ms", c->calls, t0.tv_sec + t0.tv_nsec / 1e9,
            method, path, ms);
}

static size_t collect_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct buf *b = userdata;
  if (buf_append (b, ptr, size * nmemb) < 0)
    return 0;
  return size * nmemb;
}

/* Turn an error envelope into "<server text>" (the caller names the action). */
static int envelope_error (json_t *resp, long status, coi_error_t *err)
{
  const char *text = json_string_value (json_object_get (resp, "error"));
  if (text == NULL || *text == '\0')
    return coi_error_make (err, (int) status, "server returned HTTP %ld", status);
  return coi_error_make (err, (int) status, "%s", text);
}

int incus_request (struct incus_client *c, const char *method, const char *path, json_t *body,
                   json_t **response, coi_error_t *err)
{
  _cleanup_free_ char *url = incus_client_url (c, path);
  _cleanup_free_ char *payload = NULL;
  _cleanup_buf_ struct buf reply = { .limit = MAX_JSON_REPLY };
  char errbuf[CURL_ERROR_SIZE] = "";
  struct curl_slist *hdrs = NULL;
  CURL *h = c->curl;

  *response = NULL;
  if (url == NULL)
    return coi_error_errno (err, ENOMEM, "%s %s", method, path);
  if (body)
    {
      payload = json_dumps (body, JSON_COMPACT);
      if (payload == NULL)
        return coi_error_make (err, 0, "%s %s: cannot encode request body", method, path);
      hdrs = curl_slist_append (hdrs, "Content-Type: application/json");
    }

  curl_easy_reset (h);
  if (incus_client_setup_handle (c, h) < 0)
    {
      curl_slist_free_all (hdrs);
      return coi_error_make (err, 0, "%s %s: cannot set up the connection", method, path);
    }
  curl_easy_setopt (h, CURLOPT_URL, url);
  curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, collect_cb);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, &reply);
  if (payload)
    {
      curl_easy_setopt (h, CURLOPT_POSTFIELDS, payload);
      curl_easy_setopt (h, CURLOPT_POSTFIELDSIZE, (long) strlen (payload));
    }
  else if (strcmp (method, "GET") == 0)
    curl_easy_setopt (h, CURLOPT_HTTPGET, 1L);
  if (hdrs)
    curl_easy_setopt (h, CURLOPT_HTTPHEADER, hdrs);

  struct timespec t0;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  CURLcode rc = curl_easy_perform (h);
  incus_client_trace (c, method, path, t0);
  curl_slist_free_all (hdrs);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, NULL);
  if (rc != CURLE_OK)
    {
      if (rc == CURLE_WRITE_ERROR)
        return coi_error_make (err, EFBIG, "%s %s: reply larger than %u bytes", method, path,
                               MAX_JSON_REPLY);
      return incus_client_transport_error (c, rc, errbuf, err);
    }
  long status = 0;
  curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &status);

  json_error_t jerr;
  json_t *resp = json_loadb (reply.data ? reply.data : "", reply.len, 0, &jerr);
  if (resp == NULL || !json_is_object (resp))
    {
      json_decref (resp);
      return coi_error_make (err, (int) status,
                             "%s %s: server sent an unreadable reply (HTTP %ld)", method, path,
                             status);
    }
  *response = resp;
  return (int) status;
}

int incus_call_async (struct incus_client *c, const char *method, const char *path,
                      json_t *body, json_t **operation, coi_error_t *err)
{
  _cleanup_json_ json_t *resp = NULL;
  int status = incus_request (c, method, path, body, &resp, err);
  if (status < 0)
    return -1;
  const char *type = json_string_value (json_object_get (resp, "type"));
  if (type && strcmp (type, "error") == 0)
    return envelope_error (resp, status, err);
  if (status >= 400)
    return envelope_error (resp, status, err);
  json_t *meta = json_object_get (resp, "metadata");
  if (type == NULL || strcmp (type, "async") != 0 || !json_is_object (meta))
    return coi_error_make (err, status, "%s %s: expected a background operation", method, path);
  *operation = json_incref (meta);
  return 0;
}

static int operation_failed (json_t *op, coi_error_t *err)
{
  const char *e = json_string_value (json_object_get (op, "err"));
  const char *st = json_string_value (json_object_get (op, "status"));
  if (e && *e)
    return coi_error_make (err, 0, "%s", e);
  return coi_error_make (err, 0, "operation ended with status %s", st ? st : "unknown");
}

int incus_operation_wait (struct incus_client *c, const char *op, int timeout_s,
                          json_t **operation, coi_error_t *err)
{
  const char *id = strrchr (op, '/');
  id = id ? id + 1 : op;
  _cleanup_free_ char *eid = incus_escape (id);
  _cleanup_free_ char *path = NULL;
  if (eid == NULL || asprintf (&path, "/1.0/operations/%s/wait?timeout=%d", eid, timeout_s) < 0)
    return coi_error_errno (err, ENOMEM, "wait for operation");

  for (;;)
    {
      _cleanup_json_ json_t *resp = NULL;
      int status = incus_request (c, "GET", path, NULL, &resp, err);
      if (status < 0)
        return -1;
      const char *type = json_string_value (json_object_get (resp, "type"));
      /* A failed operation may come back as an error envelope with HTTP 200. */
      if (status >= 400 || (type && strcmp (type, "error") == 0))
        {
          long code = json_integer_value (json_object_get (resp, "error_code"));
          return envelope_error (resp, code >= 400 ? code : status, err);
        }
      json_t *meta = json_object_get (resp, "metadata");
      if (!json_is_object (meta))
        return coi_error_make (err, status, "wait for operation %s: reply has no operation", id);
      const char *st = json_string_value (json_object_get (meta, "status"));
      if (st && strcmp (st, "Success") == 0)
        {
          if (operation)
            *operation = json_incref (meta);
          return 0;
        }
      if (st && (strcmp (st, "Failure") == 0 || strcmp (st, "Cancelled") == 0))
        return operation_failed (meta, err);
      /* Still running: only a server-side timeout brings us here. */
      if (timeout_s >= 0)
        return coi_error_make (err, ETIMEDOUT, "operation %s did not finish within %d s", id,
                               timeout_s);
    }
}

int incus_call (struct incus_client *c, const char *method, const char *path, json_t *body,
                json_t **metadata, coi_error_t *err)
{
  _cleanup_json_ json_t *resp = NULL;
  if (metadata)
    *metadata = NULL;
  int status = incus_request (c, method, path, body, &resp, err);
  if (status < 0)
    return -1;
  const char *type = json_string_value (json_object_get (resp, "type"));
  if (status >= 400 || (type && strcmp (type, "error") == 0))
    return envelope_error (resp, status, err);
  if (type && strcmp (type, "async") == 0)
    {
      const char *op = json_string_value (json_object_get (resp, "operation"));
      json_t *meta = json_object_get (resp, "metadata");
      const char *id = op ? op : json_string_value (json_object_get (meta, "id"));
      if (id == NULL)
        return coi_error_make (err, status, "%s %s: async reply without an operation", method,
                               path);
      _cleanup_json_ json_t *done = NULL;
      if (incus_operation_wait (c, id, -1, &done, err) < 0)
        return -1;
      if (metadata)
        {
          json_t *m = json_object_get (done, "metadata");
          *metadata = m ? json_incref (m) : json_null ();
        }
      return 0;
    }
  if (metadata)
    {
      json_t *m = json_object_get (resp, "metadata");
      *metadata = m ? json_incref (m) : json_null ();
    }
  return 0;
}

int incus_list (struct incus_client *c, const char *path, json_t **list, coi_error_t *err)
{
  *list = NULL;
  _cleanup_json_ json_t *meta = NULL;
  if (incus_call (c, "GET", path, NULL, &meta, err) < 0)
    return -1;
  if (meta == NULL || json_is_null (meta))
    {
      json_decref (meta);
      meta = json_array ();
      if (meta == NULL)
        return coi_error_errno (err, ENOMEM, "GET %s", path);
    }
  if (!json_is_array (meta))
    return coi_error_make (err, 0, "server reply is not a list");
  *list = steal_pointer (&meta);
  return 0;
}
