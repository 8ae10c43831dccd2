/* Single-entry operations of the instance files API. */
#include "incus/files.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "incus/client_private.h"
#include "incus/files_private.h"
#include "incus/instance.h"
#include "incus/pathsafe.h"
#include "util/size.h"
#include "util/cleanup.h"

char *incus_files_url (const char *inst, const char *path)
{
  _cleanup_free_ char *ei = incus_escape (inst);
  _cleanup_free_ char *ep = NULL;
  /* The server prepends '/' too; doing it here keeps messages and URLs alike. */
  if (path[0] != '/')
    {
      _cleanup_free_ char *abs = NULL;
      if (asprintf (&abs, "/%s", path) < 0)
        return NULL;
      ep = incus_escape (abs);
    }
  else
    ep = incus_escape (path);
  char *url = NULL;
  if (ei == NULL || ep == NULL || asprintf (&url, "/1.0/instances/%s/files?path=%s", ei, ep) < 0)
    return NULL;
  return url;
}

char *incus_files_join (const char *dir, const char *name)
{
  size_t n = strlen (dir);
  char *out = NULL;
  if (asprintf (&out, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name) < 0)
    return NULL;
  return out;
}

void incus_files_warn (incus_file_warn_fn fn, void *data, const char *path, const char *why)
{
  _cleanup_free_ char *shown = strdup (path);
  if (shown)
    {
      size_t n = strlen (shown), o = 0;
      for (size_t i = 0; i < n;)
        {
          size_t k = pathsafe_control_len (shown + i, n - i);
          if (k > 0)
            shown[o++] = '?';
          else
            shown[o++] = shown[i];
          i += k > 0 ? k : 1;
        }
      shown[o] = '\0';
    }
  if (fn)
    fn (data, shown ? shown : "?", why);
  else
    fprintf (stderr, "warning: skipped %s: %s\n", shown ? shown : "?", why);
}

/* HEAD over the client's connection.  raw.c sends a HEAD as a custom method
 * and would then wait for a body that never comes, so this sets NOBODY. */
struct head_state
{
  struct incus_file_stat *st;
  bool have_type;
};

static bool header_is (const char *line, size_t n, const char *name, const char **value,
                       size_t *vlen)
{
  size_t k = strlen (name);
  if (n <= k || strncasecmp (line, name, k) != 0 || line[k] != ':')
    return false;
  const char *v = line + k + 1;
  const char *end = line + n;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  *value = v;
  *vlen = (size_t) (end - v);
  return true;
}

static long long parse_ll (const char *v, size_t n, int base)
{
  char tmp[32];
  if (n == 0 || n >= sizeof tmp)
    return -1;
  memcpy (tmp, v, n);
  tmp[n] = '\0';
  char *end = NULL;
  errno = 0;
  long long r = strtoll (tmp, &end, base);
  if (errno || *end || r < 0)
    return -1;
  return r;
}

static size_t head_header_cb (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  struct head_state *hs = userdata;
  size_t n = size * nmemb;
  const char *v;
  size_t vl;
  if (n >= 5 && strncmp (ptr, "HTTP/", 5) == 0)
    {
      *hs->st = (struct incus_file_stat) { .uid = -1, .gid = -1, .size = -1 };
      hs->have_type = false;
    }
  else if (header_is (ptr, n, "X-Incus-type", &v, &vl))
    {
      hs->have_type = true;
      if (vl == 4 && !strncmp (v, "file", 4))
        hs->st->type = INCUS_FILE_REGULAR;
      else if (vl == 9 && !strncmp (v, "directory", 9))
        hs->st->type = INCUS_FILE_DIRECTORY;
      else if (vl == 7 && !strncmp (v, "symlink", 7))
        hs->st->type = INCUS_FILE_SYMLINK;
      else
        hs->st->type = INCUS_FILE_OTHER;
    }
  else if (header_is (ptr, n, "X-Incus-mode", &v, &vl))
    {
      long long m = parse_ll (v, vl, 8);
      hs->st->mode = m < 0 ? 0 : (unsigned) (m & 07777);
    }
  else if (header_is (ptr, n, "X-Incus-uid", &v, &vl))
    hs->st->uid = parse_ll (v, vl, 10);
  else if (header_is (ptr, n, "X-Incus-gid", &v, &vl))
    hs->st->gid = parse_ll (v, vl, 10);
  else if (header_is (ptr, n, "Content-Length", &v, &vl))
    hs->st->size = parse_ll (v, vl, 10);
  return n;
}

int incus_file_stat (struct incus_client *c, const char *inst, const char *path,
                     struct incus_file_stat *st, coi_error_t *err)
{
  _cleanup_free_ char *p = incus_files_url (inst, path);
  _cleanup_free_ char *url = p ? incus_client_url (c, p) : NULL;
  struct head_state hs = { .st = st };
  char errbuf[CURL_ERROR_SIZE] = "";
  CURL *h = c->curl;

  *st = (struct incus_file_stat) { .uid = -1, .gid = -1, .size = -1 };
  if (url == NULL)
    return coi_error_errno (err, ENOMEM, "stat %s in %s", path, inst);
  curl_easy_reset (h);
  if (incus_client_setup_handle (c, h) < 0)
    return coi_error_make (err, 0, "stat %s in %s: cannot set up the connection", path, inst);
  curl_easy_setopt (h, CURLOPT_URL, url);
  curl_easy_setopt (h, CURLOPT_NOBODY, 1L);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (h, CURLOPT_HEADERFUNCTION, head_header_cb);
  curl_easy_setopt (h, CURLOPT_HEADERDATA, &hs);
  struct timespec t0;
  clock_gettime (CLOCK_MONOTONIC, &t0);
  CURLcode rc = curl_easy_perform (h);
  incus_client_trace (c, "HEAD", path, t0);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, NULL);
  if (rc != CURLE_OK)
    return incus_client_transport_error (c, rc, errbuf, err);
  long status = 0;
  curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &status);
  if (status == 404)
    {
      /* A HEAD reply has no body to say whether the file or the instance
         is missing; only on this path is the extra request worth it. */
      int ex = incus_instance_exists (c, inst, err);
      if (ex < 0)
        return -1;
      if (ex == 0)
        return coi_error_make (err, ENXIO, "instance '%s' not found", inst);
      return coi_error_make (err, 404, "%s in %s: no such file or directory", path, inst);
    }
  if (status >= 400)
    return coi_error_make (err, (int) status, "stat %s in %s: server returned HTTP %ld", path,
                           inst, status);
  if (!hs.have_type)
    return coi_error_make (err, 0, "stat %s in %s: the server did not say what it is", path,
                           inst);
  if (st->type != INCUS_FILE_REGULAR)
    st->size = -1;
  return 0;
}

int incus_file_exists (struct incus_client *c, const char *inst, const char *path,
                       struct incus_file_stat *st, coi_error_t *err)
{
  struct incus_file_stat tmp;
  if (incus_file_stat (c, inst, path, st ? st : &tmp, err) < 0)
    {
      if ((*err)->status == 404)
        {
          coi_error_release (err);
          return 0;
        }
      return -1;
    }
  return 1;
}

/* One POST: a file (from fd or memory), a directory or a symlink. */
struct post
{
  const char *type;
  int fd;
  long long size;
  const void *data;
  size_t len;
};

static int file_post (struct incus_client *c, const char *inst, const char *path,
                      const struct post *body, struct incus_file_attrs a, coi_error_t *err)
{
  _cleanup_free_ char *p = incus_files_url (inst, path);
  char h_type[64], h_mode[64], h_uid[64], h_gid[64];
  const char *headers[6];
  size_t nh = 0;
  snprintf (h_type, sizeof h_type, "X-Incus-type: %s", body->type);
  headers[nh++] = h_type;
  headers[nh++] = "X-Incus-write: overwrite";
  if (a.mode >= 0)
    {
      /* The server parses the mode with base 0: without the leading 0 it
         would read "4755" as decimal. */
      snprintf (h_mode, sizeof h_mode, "X-Incus-mode: 0%o", (unsigned) a.mode & 07777);
      headers[nh++] = h_mode;
    }
  if (a.uid >= 0)
    {
      snprintf (h_uid, sizeof h_uid, "X-Incus-uid: %lld", a.uid);
      headers[nh++] = h_uid;
    }
  if (a.gid >= 0)
    {
      snprintf (h_gid, sizeof h_gid, "X-Incus-gid: %lld", a.gid);
      headers[nh++] = h_gid;
    }
  headers[nh] = NULL;
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "write %s in %s", path, inst);
  struct incus_raw req = {
    .method = "POST",
    .path = p,
    .headers = headers,
    .upload_fd = body->fd,
    .upload_size = body->size,
    /* An empty body is still sent as one, so the request is never ambiguous. */
    .upload_data = body->fd >= 0 ? NULL : (body->data ? body->data : ""),
    .upload_len = body->len,
    .download_fd = -1,
  };
  int r = incus_raw_request (c, &req, err);
  incus_raw_clear (&req);
  if (r < 0)
    return coi_error_prefix (err, "write %s in %s", path, inst);
  return 0;
}

/* The server keeps an existing file's mode and owner on overwrite and will
 * not replace a symlink: remove either first so the push is exact. */
static int clear_for_file (struct incus_client *c, const char *inst, const char *path,
                           coi_error_t *err)
{
  struct incus_file_stat st;
  int ex = incus_file_exists (c, inst, path, &st, err);
  if (ex < 0)
    return -1;
  if (ex == 0)
    return 0;
  if (st.type == INCUS_FILE_DIRECTORY)
    return coi_error_make (err, EISDIR, "write %s in %s: is a directory", path, inst);
  return incus_file_delete (c, inst, path, err);
}

int incus_files_post_fd (struct incus_client *c, const char *inst, const char *path, int fd,
                         long long size, struct incus_file_attrs attrs, coi_error_t *err)
{
  struct post b = { .type = "file", .fd = fd, .size = size };
  return file_post (c, inst, path, &b, attrs, err);
}

int incus_file_push_fd (struct incus_client *c, const char *inst, const char *path, int fd,
                        long long size, struct incus_file_attrs attrs, coi_error_t *err)
{
  if (clear_for_file (c, inst, path, err) < 0)
    return -1;
  return incus_files_post_fd (c, inst, path, fd, size, attrs, err);
}

int incus_file_push_data (struct incus_client *c, const char *inst, const char *path,
                          const void *data, size_t len, struct incus_file_attrs attrs,
                          coi_error_t *err)
{
  if (clear_for_file (c, inst, path, err) < 0)
    return -1;
  struct post b = { .type = "file", .fd = -1, .data = data, .len = len };
  return file_post (c, inst, path, &b, attrs, err);
}

int incus_file_mkdir (struct incus_client *c, const char *inst, const char *path,
                      struct incus_file_attrs attrs, coi_error_t *err)
{
  struct post b = { .type = "directory", .fd = -1 };
  return file_post (c, inst, path, &b, attrs, err);
}

int incus_file_symlink (struct incus_client *c, const char *inst, const char *path,
                        const char *target, struct incus_file_attrs attrs, coi_error_t *err)
{
  struct post b = { .type = "symlink", .fd = -1, .data = target, .len = strlen (target) };
  return file_post (c, inst, path, &b, attrs, err);
}

int incus_file_delete (struct incus_client *c, const char *inst, const char *path,
                       coi_error_t *err)
{
  _cleanup_free_ char *p = incus_files_url (inst, path);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "delete %s in %s", path, inst);
  if (incus_call (c, "DELETE", p, NULL, NULL, err) < 0)
    return coi_error_prefix (err, "delete %s in %s", path, inst);
  return 0;
}

int incus_files_list_json (struct incus_client *c, const char *inst, const char *path,
                           json_t **names, coi_error_t *err)
{
  _cleanup_free_ char *p = incus_files_url (inst, path);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "list %s in %s", path, inst);
  struct incus_raw req = { .method = "GET", .path = p, .upload_fd = -1, .download_fd = -1 };
  if (incus_raw_request (c, &req, err) < 0)
    {
      incus_raw_clear (&req);
      return coi_error_prefix (err, "list %s in %s", path, inst);
    }
  const char *type = json_string_value (json_object_get (req.resp_headers, "x-incus-type"));
  bool is_dir = type && strcmp (type, "directory") == 0;
  _cleanup_json_ json_t *j = NULL;
  if (is_dir)
    /* ALLOW_NUL: one name with a NUL in it is skipped later, instead of
       making the whole listing unreadable. */
    j = json_loadb (req.body ? req.body : "", req.body_len, JSON_ALLOW_NUL, NULL);
  incus_raw_clear (&req);
  if (!is_dir)
    return coi_error_make (err, ENOTDIR, "list %s in %s: not a directory", path, inst);
  json_t *meta = json_object_get (j, "metadata");
  if (json_is_null (meta))
    {
      /* An empty directory's listing may be null. */
      *names = json_array ();
      return *names ? 0 : coi_error_errno (err, ENOMEM, "list %s in %s", path, inst);
    }
  if (!json_is_array (meta))
    return coi_error_make (err, 0, "list %s in %s: server sent an unreadable listing", path, inst);
  *names = json_incref (meta);
  return 0;
}

int incus_file_list (struct incus_client *c, const char *inst, const char *path, char ***names,
                     coi_error_t *err)
{
  _cleanup_json_ json_t *arr = NULL;
  if (incus_files_list_json (c, inst, path, &arr, err) < 0)
    return -1;
  _cleanup_strv_ char **v = calloc (json_array_size (arr) + 1, sizeof (char *));
  if (v == NULL)
    return coi_error_errno (err, ENOMEM, "list %s in %s", path, inst);
  size_t i, n = 0;
  json_t *e;
  json_array_foreach (arr, i, e)
  {
    const char *s = json_string_value (e);
    /* A name with an embedded NUL cannot be named in C; leave it out. */
    if (s == NULL || strlen (s) != json_string_length (e))
      continue;
    if ((v[n++] = strdup (s)) == NULL)
      return coi_error_errno (err, ENOMEM, "list %s in %s", path, inst);
  }
  *names = steal_pointer (&v);
  return 0;
}

int incus_files_get_into (struct incus_client *c, const char *inst, const char *path,
                          const struct incus_file_stat *st, int fd, unsigned long long max,
                          unsigned long long *got, coi_error_t *err)
{
  char limit[32];
  *got = 0;
  if (st->type != INCUS_FILE_REGULAR)
    return coi_error_make (err, EINVAL, "pull %s from %s: not a regular file", path, inst);
  /* Fifos, sockets and devices look like empty files, and opening a fifo
     blocks the server: an empty file needs no GET at all. */
  if (st->size == 0)
    return 0;
  /* An honest size over the limit needs no transfer to be refused. */
  if (max && st->size > 0 && (unsigned long long) st->size > max)
    return coi_error_make (err, EFBIG, "pull %s from %s: larger than the limit of %s", path, inst,
                           coi_size_str (max, limit));
  _cleanup_free_ char *p = incus_files_url (inst, path);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "pull %s from %s", path, inst);
  struct incus_raw req = { .method = "GET", .path = p, .upload_fd = -1, .download_fd = fd,
                           .download_max = max };
  int r = incus_raw_request (c, &req, err);
  const char *type = json_string_value (json_object_get (req.resp_headers, "x-incus-type"));
  bool is_file = type && strcmp (type, "file") == 0;
  *got = req.downloaded;
  incus_raw_clear (&req);
  if (r < 0 && (*err)->status == EFBIG && req.status < 400)
    {
      coi_error_release (err);
      return coi_error_make (err, EFBIG, "pull %s from %s: larger than the limit of %s", path,
                             inst, coi_size_str (max, limit));
    }
  if (r < 0)
    return coi_error_prefix (err, "pull %s from %s", path, inst);
  if (!is_file)
    return coi_error_make (err, EAGAIN, "pull %s from %s: it changed into something else", path,
                           inst);
  return 0;
}

int incus_file_pull_fd (struct incus_client *c, const char *inst, const char *path, int fd,
                        struct incus_file_stat *st, coi_error_t *err)
{
  struct incus_file_stat tmp;
  struct incus_file_stat *s = st ? st : &tmp;
  if (incus_file_stat (c, inst, path, s, err) < 0)
    return -1;
  if (s->type == INCUS_FILE_DIRECTORY)
    return coi_error_make (err, EISDIR, "pull %s from %s: is a directory", path, inst);
  unsigned long long got;
  return incus_files_get_into (c, inst, path, s, fd, 0, &got, err);
}
