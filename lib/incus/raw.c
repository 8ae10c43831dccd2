/* Non-JSON transfers: file contents and image uploads, streamed from and to
 * file descriptors so that large files never sit in memory. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "incus/client_private.h"
#include "util/buf.h"
#include "util/cleanup.h"

#define MAX_RAW_REPLY (64u * 1024 * 1024)

struct raw_state
{
  struct incus_raw *req;
  struct buf body;
  size_t sent; /* for upload_data */
  int write_errno;
  bool too_big; /* download_max would be exceeded */
};

static size_t write_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct raw_state *st = userdata;
  size_t n = size * nmemb;
  /* Error replies are JSON even when the body was meant for a file. */
  if (st->req->download_fd < 0 || st->req->status >= 400)
    return buf_append (&st->body, ptr, n) < 0 ? 0 : n;
  /* Nothing past the limit is written: the caller removes what was. */
  unsigned long long max = st->req->download_max;
  if (max && (n > max || st->req->downloaded > max - n))
    {
      st->too_big = true;
      return 0;
    }
  size_t done = 0;
  while (done < n)
    {
      ssize_t w = write (st->req->download_fd, ptr + done, n - done);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          st->write_errno = errno;
          return 0;
        }
      done += (size_t) w;
      st->req->downloaded += (unsigned long long) w;
    }
  return n;
}

static size_t read_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct raw_state *st = userdata;
  size_t n = size * nmemb;
  if (st->req->upload_fd >= 0)
    {
      for (;;)
        {
          ssize_t r = read (st->req->upload_fd, ptr, n);
          if (r >= 0)
            return (size_t) r;
          if (errno != EINTR)
            return CURL_READFUNC_ABORT;
        }
    }
  size_t left = st->req->upload_len - st->sent;
  if (n > left)
    n = left;
  memcpy (ptr, (const char *) st->req->upload_data + st->sent, n);
  st->sent += n;
  return n;
}

static size_t header_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct raw_state *st = userdata;
  size_t n = size * nmemb;
  const char *colon = memchr (ptr, ':', n);
  if (!strncmp (ptr, "HTTP/", 5))
    {
      /* A new status line: forget headers of an interim (100) reply. */
      json_object_clear (st->req->resp_headers);
      long code = strtol (ptr + 9 < ptr + n ? ptr + 9 : ptr, NULL, 10);
      st->req->status = code;
      return n;
    }
  if (colon == NULL || colon - ptr > 128)
    return n;
  char name[129];
  size_t nl = (size_t) (colon - ptr);
  for (size_t i = 0; i < nl; i++)
    name[i] = (char) tolower ((unsigned char) ptr[i]);
  name[nl] = '\0';
  const char *v = colon + 1;
  const char *end = ptr + n;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  json_object_set_new (st->req->resp_headers, name, json_stringn (v, (size_t) (end - v)));
  return n;
}

void incus_raw_clear (struct incus_raw *req)
{
  free (req->body);
  req->body = NULL;
  req->body_len = 0;
  json_decref (req->resp_headers);
  req->resp_headers = NULL;
}

int incus_raw_request (struct incus_client *c, struct incus_raw *req, coi_error_t *err)
{
  struct raw_state st = { .req = req, .body = { .limit = MAX_RAW_REPLY } };
  _cleanup_free_ char *url = incus_client_url (c, req->path);
  char errbuf[CURL_ERROR_SIZE] = "";
  struct curl_slist *hdrs = NULL;
  CURL *h = c->curl;

  req->status = 0;
  req->downloaded = 0;
  req->body = NULL;
  req->body_len = 0;
  req->resp_headers = json_object ();
  if (url == NULL || req->resp_headers == NULL)
    return coi_error_errno (err, ENOMEM, "%s %s", req->method, req->path);
  for (const char *const *hp = req->headers; hp && *hp; hp++)
    hdrs = curl_slist_append (hdrs, *hp);
  bool upload = req->upload_fd >= 0 || req->upload_data != NULL;
  if (upload)
    hdrs = curl_slist_append (hdrs, "Expect:");

  curl_easy_reset (h);
  if (incus_client_setup_handle (c, h) < 0)
    {
      curl_slist_free_all (hdrs);
      return coi_error_make (err, 0, "%s %s: cannot set up the connection", req->method, req->path);
    }
  curl_easy_setopt (h, CURLOPT_URL, url);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, write_cb);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, &st);
  curl_easy_setopt (h, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (h, CURLOPT_HEADERDATA, &st);
  if (hdrs)
    curl_easy_setopt (h, CURLOPT_HTTPHEADER, hdrs);
  if (upload)
    {
      curl_easy_setopt (h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (h, CURLOPT_READFUNCTION, read_cb);
      curl_easy_setopt (h, CURLOPT_READDATA, &st);
      curl_off_t size = req->upload_fd >= 0 ? (curl_off_t) req->upload_size : (curl_off_t) req->upload_len;
      if (size >= 0)
        curl_easy_setopt (h, CURLOPT_INFILESIZE_LARGE, size);
    }
  if (strcmp (req->method, "HEAD") == 0)
    curl_easy_setopt (h, CURLOPT_NOBODY, 1L); /* or curl waits for a body that never comes */
  else
    curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, req->method);
  /* A hostile container can turn a file into a fifo between stat and
     read: a transfer that stalls for a minute is given up. */
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_TIME, 60L);

  struct timespec t0;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  CURLcode rc = curl_easy_perform (h);
  incus_client_trace (c, req->method, req->path, t0);
  curl_slist_free_all (hdrs);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, NULL);
  long status = 0;
  curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &status);
  req->status = status;
  req->body_len = st.body.len;
  req->body = buf_steal (&st.body);
  if (rc != CURLE_OK)
    {
      if (st.too_big)
        return coi_error_make (err, EFBIG, "%s %s: more than %llu bytes", req->method, req->path,
                               req->download_max);
      if (st.write_errno)
        return coi_error_errno (err, st.write_errno, "%s %s: write local file", req->method, req->path);
      if (rc == CURLE_WRITE_ERROR)
        return coi_error_make (err, EFBIG, "%s %s: reply too large", req->method, req->path);
      return incus_client_transport_error (c, rc, errbuf, err);
    }
  if (status >= 400)
    {
      json_t *j = json_loadb (req->body, req->body_len, 0, NULL);
      const char *text = json_string_value (json_object_get (j, "error"));
      int r = coi_error_make (err, (int) status, "%s", text && *text ? text : "request failed");
      if (!(text && *text))
        coi_error_prefix (err, "HTTP %ld", status);
      json_decref (j);
      return r;
    }
  return 0;
}
