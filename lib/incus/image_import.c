/* Image upload: POST /1.0/images with the tarballs as the request body.  A
 * split image goes as multipart/form-data, produced by a writer thread into a
 * socket pair that libcurl reads from, so that a rootfs of any size is
 * streamed and never held in memory. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "incus/image.h"
#include "incus/image_private.h"
#include "util/buf.h"
#include "util/cleanup.h"

#define COPY_CHUNK (256 * 1024)

struct mp_writer
{
  int sock; /* owned: closing it is the end of the body */
  int meta_fd;
  int rootfs_fd;
  const char *head;   /* framing before the metadata part's bytes */
  const char *middle; /* between the two parts */
  const char *tail;
  int error;          /* first errno, read after join */
};

static int send_all (int sock, const char *p, size_t n)
{
  while (n > 0)
    {
      /* MSG_NOSIGNAL: a reader that gave up must not kill us with SIGPIPE. */
      ssize_t w = send (sock, p, n, MSG_NOSIGNAL);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -errno;
        }
      p += w;
      n -= (size_t) w;
    }
  return 0;
}

static int copy_fd (int sock, int fd, char *chunk)
{
  for (;;)
    {
      ssize_t r = read (fd, chunk, COPY_CHUNK);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -errno;
      if (r == 0)
        return 0;
      int e = send_all (sock, chunk, (size_t) r);
      if (e < 0)
        return e;
    }
}

static void *mp_write (void *arg)
{
  struct mp_writer *w = arg;
  char *chunk = malloc (COPY_CHUNK);
  int e = chunk ? 0 : -ENOMEM;
  if (e == 0)
    e = send_all (w->sock, w->head, strlen (w->head));
  if (e == 0)
    e = copy_fd (w->sock, w->meta_fd, chunk);
  if (e == 0)
    e = send_all (w->sock, w->middle, strlen (w->middle));
  if (e == 0)
    e = copy_fd (w->sock, w->rootfs_fd, chunk);
  if (e == 0)
    e = send_all (w->sock, w->tail, strlen (w->tail));
  free (chunk);
  w->error = -e;
  close (w->sock);
  w->sock = -1;
  return NULL;
}

/* Bytes left from the current offset of a regular file, or -1 if unknown. */
static long long remaining (int fd)
{
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return -1;
  off_t pos = lseek (fd, 0, SEEK_CUR);
  if (pos < 0 || pos > st.st_size)
    return -1;
  return (long long) (st.st_size - pos);
}

/* "a=1&b=2" with each key and value percent-encoded. */
static int query_string (struct buf *b, json_t *props)
{
  const char *k;
  json_t *v;
  json_object_foreach (props, k, v)
  {
    const char *s = json_string_value (v);
    if (s == NULL)
      continue;
    _cleanup_free_ char *ek = incus_escape (k);
    _cleanup_free_ char *ev = incus_escape (s);
    if (ek == NULL || ev == NULL || buf_printf (b, "%s%s=%s", b->len ? "&" : "", ek, ev) < 0)
      return -1;
  }
  return 0;
}

struct headers
{
  char *v[8];
  int n;
};

static void headers_free (struct headers *h)
{
  for (int i = 0; i < h->n; i++)
    free (h->v[i]);
  h->n = 0;
}

static int headers_add (struct headers *h, const char *name, const char *value)
{
  if (h->n >= (int) (sizeof (h->v) / sizeof (h->v[0])) - 1)
    return -1;
  if (asprintf (&h->v[h->n], "%s: %s", name, value) < 0)
    return -1;
  h->v[++h->n] = NULL;
  return 0;
}

static int build_headers (struct headers *h, const struct incus_image_import *in,
                          const char *content_type)
{
  _cleanup_buf_ struct buf props = { 0 };
  _cleanup_buf_ struct buf aliases = { 0 };
  if (headers_add (h, "Content-Type", content_type) < 0)
    return -1;
  if (in->public_ && headers_add (h, "X-Incus-public", "true") < 0)
    return -1;
  /* The server takes the file name verbatim: only a clean one is sent. */
  if (in->filename && strcspn (in->filename, "\r\n") == strlen (in->filename)
      && headers_add (h, "X-Incus-filename", in->filename) < 0)
    return -1;
  if (in->properties && query_string (&props, in->properties) < 0)
    return -1;
  if (props.len && headers_add (h, "X-Incus-properties", props.data) < 0)
    return -1;
  for (const char *const *a = in->aliases; a && *a; a++)
    {
      _cleanup_free_ char *ea = incus_escape (*a);
      if (ea == NULL || buf_printf (&aliases, "%salias=%s", aliases.len ? "&" : "", ea) < 0)
        return -1;
    }
  if (aliases.len && headers_add (h, "X-Incus-aliases", aliases.data) < 0)
    return -1;
  return 0;
}

/* The upload answers with an async envelope: wait for it and take the
 * fingerprint from the finished operation. */
static int finish_upload (struct incus_client *c, struct incus_raw *req, char **fingerprint,
                          coi_error_t *err)
{
  _cleanup_json_ json_t *resp = json_loadb (req->body ? req->body : "", req->body_len, 0, NULL);
  const char *op = json_string_value (json_object_get (resp, "operation"));
  if (op == NULL)
    op = json_string_value (json_object_get (json_object_get (resp, "metadata"), "id"));
  if (op == NULL)
    return coi_error_make (err, (int) req->status, "import image: server sent no operation");
  _cleanup_json_ json_t *done = NULL;
  if (incus_operation_wait (c, op, -1, &done, err) < 0)
    return coi_error_prefix (err, "import image");
  return incus_image_op_fingerprint (json_object_get (done, "metadata"), fingerprint,
                                     "import image", err);
}

/* After the body went out (r = 0) or failed: the result, once. */
static int conclude (struct incus_client *c, struct incus_raw *req, int r, char **fingerprint,
                     coi_error_t *err)
{
  if (r == 0)
    r = finish_upload (c, req, fingerprint, err);
  else
    coi_error_prefix (err, "import image");
  incus_raw_clear (req);
  return r;
}

static int random_boundary (char *out, size_t size)
{
  uint8_t rnd[16];
  if (getrandom (rnd, sizeof (rnd), 0) != (ssize_t) sizeof (rnd))
    return -1;
  size_t n = (size_t) snprintf (out, size, "coi-");
  for (size_t i = 0; i < sizeof (rnd) && n + 2 < size; i++)
    n += (size_t) snprintf (out + n, size - n, "%02x", rnd[i]);
  return 0;
}

static int upload_split (struct incus_client *c, const struct incus_image_import *in,
                         char **fingerprint, coi_error_t *err)
{
  char boundary[48];
  if (random_boundary (boundary, sizeof (boundary)) < 0)
    return coi_error_errno (err, errno, "import image: random boundary");
  _cleanup_free_ char *head = NULL, *middle = NULL, *tail = NULL, *ctype = NULL;
  if (asprintf (&head,
                "--%s\r\nContent-Disposition: form-data; name=\"metadata\"; filename=\"meta.tar\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n", boundary) < 0
      || asprintf (&middle,
                   "\r\n--%s\r\nContent-Disposition: form-data; name=\"rootfs\"; filename=\"rootfs.tar\"\r\n"
                   "Content-Type: application/octet-stream\r\n\r\n", boundary) < 0
      || asprintf (&tail, "\r\n--%s--\r\n", boundary) < 0
      || asprintf (&ctype, "multipart/form-data; boundary=%s", boundary) < 0)
    return coi_error_errno (err, ENOMEM, "import image");

  long long meta_len = remaining (in->meta_fd), rootfs_len = remaining (in->rootfs_fd);
  long long total = -1; /* unknown: libcurl sends it chunked */
  if (meta_len >= 0 && rootfs_len >= 0)
    total = (long long) (strlen (head) + strlen (middle) + strlen (tail)) + meta_len + rootfs_len;

  __attribute__ ((cleanup (headers_free))) struct headers h = { 0 };
  if (build_headers (&h, in, ctype) < 0)
    return coi_error_errno (err, ENOMEM, "import image");

  int sv[2];
  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
    return coi_error_errno (err, errno, "import image: socketpair");
  _cleanup_close_ int rd = sv[0];
  struct mp_writer w = { .sock = sv[1], .meta_fd = in->meta_fd, .rootfs_fd = in->rootfs_fd,
                         .head = head, .middle = middle, .tail = tail };
  pthread_t th;
  int pe = pthread_create (&th, NULL, mp_write, &w);
  if (pe != 0)
    {
      close (sv[1]);
      return coi_error_errno (err, pe, "import image: start upload thread");
    }

  struct incus_raw req = { .method = "POST", .path = "/1.0/images",
                           .headers = (const char *const *) h.v, .upload_fd = rd,
                           .upload_size = total, .download_fd = -1 };
  int r = incus_raw_request (c, &req, err);
  /* Closing our end unblocks a writer the server stopped reading from. */
  close (steal_fd (&rd));
  pthread_join (th, NULL);
  if (r == 0 && w.error)
    r = coi_error_errno (err, w.error, "read the tarballs");
  return conclude (c, &req, r, fingerprint, err);
}

static int upload_unified (struct incus_client *c, const struct incus_image_import *in,
                           char **fingerprint, coi_error_t *err)
{
  __attribute__ ((cleanup (headers_free))) struct headers h = { 0 };
  if (build_headers (&h, in, "application/octet-stream") < 0)
    return coi_error_errno (err, ENOMEM, "import image");
  struct incus_raw req = { .method = "POST", .path = "/1.0/images",
                           .headers = (const char *const *) h.v, .upload_fd = in->meta_fd,
                           .upload_size = remaining (in->meta_fd), .download_fd = -1 };
  return conclude (c, &req, incus_raw_request (c, &req, err), fingerprint, err);
}

int incus_image_import (struct incus_client *c, const struct incus_image_import *in,
                        char **fingerprint, coi_error_t *err)
{
  if (fingerprint)
    *fingerprint = NULL;
  if (in->meta_fd < 0)
    return coi_error_make (err, EINVAL, "import image: no metadata tarball");
  return in->rootfs_fd >= 0 ? upload_split (c, in, fingerprint, err)
                            : upload_unified (c, in, fingerprint, err);
}
