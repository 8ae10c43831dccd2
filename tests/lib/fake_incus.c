#include "fake_incus.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct fake_incus
{
  json_t *replies;
  char dir[64];
  char sock[100];
  int listen_fd;
  int stop_pipe[2];
  pthread_t thread;
  int requests;
};

const char *fake_incus_socket (const struct fake_incus *f)
{
  return f->sock;
}

int fake_incus_requests (const struct fake_incus *f)
{
  return __atomic_load_n (&f->requests, __ATOMIC_SEQ_CST);
}

/* The client names the project; the recordings do not. */
static void strip_project (char *path)
{
  char *q = strchr (path, '?');
  if (q == NULL)
    return;
  char *p = strstr (q, "project=");
  if (p == NULL || (p[-1] != '?' && p[-1] != '&'))
    return;
  char *end = strchr (p, '&');
  if (end)
    memmove (p, end + 1, strlen (end + 1) + 1);
  else
    p[-1] = '\0';
}

static int write_all (int fd, const char *s, size_t n)
{
  while (n > 0)
    {
      /* The client may hang up mid-body (a limit it enforces): no SIGPIPE. */
      ssize_t w = send (fd, s, n, MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return -1;
      s += w;
      n -= (size_t) w;
    }
  return 0;
}

/* A reply given as {"fake_raw": {...}} (see fake_incus.h).  1: the
 * connection is to be closed. */
static int answer_raw (int fd, json_t *raw)
{
  json_t *cl = json_object_get (raw, "content_length");
  bool close_after = json_is_true (json_object_get (raw, "close"));
  bool no_body = json_is_true (json_object_get (raw, "no_body"));
  const char *body = json_string_value (json_object_get (raw, "body"));
  json_int_t repeat = json_is_integer (json_object_get (raw, "repeat"))
                          ? json_integer_value (json_object_get (raw, "repeat"))
                          : 1;
  json_int_t status = json_is_integer (json_object_get (raw, "status"))
                          ? json_integer_value (json_object_get (raw, "status"))
                          : 200;
  size_t blen = body ? strlen (body) : 0;
  char line[512];
  int n = snprintf (line, sizeof line, "HTTP/1.1 %d X\r\n", (int) status);
  if (write_all (fd, line, (size_t) n) < 0)
    return -1;
  size_t i;
  json_t *h;
  json_array_foreach (json_object_get (raw, "headers"), i, h)
  {
    n = snprintf (line, sizeof line, "%s\r\n", json_string_value (h) ? json_string_value (h) : "");
    if (write_all (fd, line, (size_t) n) < 0)
      return -1;
  }
  if (json_is_integer (cl))
    n = snprintf (line, sizeof line, "Content-Length: %lld\r\n", (long long) json_integer_value (cl));
  else if (!close_after)
    n = snprintf (line, sizeof line, "Content-Length: %llu\r\n",
                  no_body ? 0ull : (unsigned long long) blen * (unsigned long long) repeat);
  else
    n = snprintf (line, sizeof line, "Connection: close\r\n");
  if (write_all (fd, line, (size_t) n) < 0 || write_all (fd, "\r\n", 2) < 0)
    return -1;
  for (json_int_t r = 0; !no_body && r < repeat && blen > 0; r++)
    if (write_all (fd, body, blen) < 0)
      return -1;
  return close_after ? 1 : 0;
}

static int answer (struct fake_incus *f, int fd, const char *method, char *path)
{
  strip_project (path);
  char key[1100];
  snprintf (key, sizeof key, "%s %s", method, path);
  json_t *seq = json_object_get (f->replies, key);
  json_t *reply = json_is_array (seq) ? json_array_get (seq, 0) : seq;
  json_t *raw = json_object_get (reply, "fake_raw");
  if (raw)
    {
      __atomic_add_fetch (&f->requests, 1, __ATOMIC_SEQ_CST);
      return answer_raw (fd, raw);
    }
  char *body;
  int status = 200;
  if (reply)
    {
      body = json_dumps (reply, JSON_COMPACT);
      if (json_integer_value (json_object_get (reply, "error_code")) > 0)
        status = (int) json_integer_value (json_object_get (reply, "error_code"));
      if (json_is_array (seq) && json_array_size (seq) > 1)
        json_array_remove (seq, 0);
    }
  else
    {
      status = 404;
      body = strdup ("{\"type\":\"error\",\"error_code\":404,\"error\":\"not found\",\"metadata\":null}");
    }
  if (body == NULL)
    return -1;
  char head[256];
  int n = snprintf (head, sizeof head,
                    "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                    status, strlen (body));
  int r = write_all (fd, head, (size_t) n) < 0 || write_all (fd, body, strlen (body)) < 0 ? -1 : 0;
  free (body);
  __atomic_add_fetch (&f->requests, 1, __ATOMIC_SEQ_CST);
  return r;
}

/* Requests on one connection until it closes. */
static void serve (struct fake_incus *f, int fd)
{
  char buf[65536];
  size_t have = 0;
  for (;;)
    {
      char *end = memmem (buf, have, "\r\n\r\n", 4);
      if (end == NULL)
        {
          if (have == sizeof buf)
            return;
          ssize_t r = read (fd, buf + have, sizeof buf - have);
          if (r <= 0)
            return;
          have += (size_t) r;
          continue;
        }
      size_t head_len = (size_t) (end - buf) + 4;
      size_t body_len = 0;
      char *cl = strcasestr (buf, "\r\ncontent-length:");
      if (cl && cl < end)
        body_len = strtoul (cl + 17, NULL, 10);
      while (have < head_len + body_len && have < sizeof buf)
        {
          ssize_t r = read (fd, buf + have, sizeof buf - have);
          if (r <= 0)
            return;
          have += (size_t) r;
        }
      if (have < head_len + body_len)
        return;
      char method[16], path[1024];
      if (sscanf (buf, "%15s %1023s", method, path) != 2 || answer (f, fd, method, path) != 0)
        return;
      memmove (buf, buf + head_len + body_len, have - head_len - body_len);
      have -= head_len + body_len;
    }
}

static void *loop (void *arg)
{
  struct fake_incus *f = arg;
  for (;;)
    {
      struct pollfd p[2] = { { f->listen_fd, POLLIN, 0 }, { f->stop_pipe[0], POLLIN, 0 } };
      if (poll (p, 2, -1) < 0 && errno != EINTR)
        return NULL;
      if (p[1].revents)
        return NULL;
      if (p[0].revents & POLLIN)
        {
          int fd = accept4 (f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
          if (fd >= 0)
            {
              serve (f, fd);
              close (fd);
            }
        }
    }
}

struct fake_incus *fake_incus_start (json_t *replies)
{
  struct fake_incus *f = calloc (1, sizeof *f);
  if (f == NULL)
    return NULL;
  f->listen_fd = -1;
  snprintf (f->dir, sizeof f->dir, "/tmp/coi-fake-incus-XXXXXX");
  if (mkdtemp (f->dir) == NULL || pipe2 (f->stop_pipe, O_CLOEXEC) < 0)
    {
      perror ("fake incus");
      free (f);
      return NULL;
    }
  snprintf (f->sock, sizeof f->sock, "%s/unix.socket", f->dir);
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  snprintf (a.sun_path, sizeof a.sun_path, "%s", f->sock);
  f->listen_fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (f->listen_fd < 0 || bind (f->listen_fd, (struct sockaddr *) &a, sizeof a) < 0
      || listen (f->listen_fd, 8) < 0)
    {
      perror ("fake incus: listen");
      fake_incus_stop (f);
      return NULL;
    }
  f->replies = json_incref (replies);
  if (pthread_create (&f->thread, NULL, loop, f) != 0)
    {
      fake_incus_stop (f);
      return NULL;
    }
  return f;
}

void fake_incus_stop (struct fake_incus *f)
{
  if (f == NULL)
    return;
  if (f->replies)
    {
      (void) !write (f->stop_pipe[1], "x", 1);
      pthread_join (f->thread, NULL);
    }
  if (f->listen_fd >= 0)
    close (f->listen_fd);
  close (f->stop_pipe[0]);
  close (f->stop_pipe[1]);
  unlink (f->sock);
  rmdir (f->dir);
  json_decref (f->replies);
  free (f);
}

json_t *fake_incus_load (const char *name)
{
  char path[512];
  snprintf (path, sizeof path, "%s/testdata/%s", COI_SOURCE_DIR, name);
  json_error_t e;
  json_t *j = json_load_file (path, 0, &e);
  if (j == NULL)
    fprintf (stderr, "%s: %s (line %d)\n", path, e.text, e.line);
  return j;
}
