/* create+start+delete of a container: coi's client against the same REST
 * sequence done with bare libcurl, and against the incus CLI.  Prints
 * medians and ratios.  Usage: bench_lifecycle IMAGE [RUNS] */
#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "incus/client.h"
#include "incus/instance.h"
#include "test_image.h"
#include "util/buf.h"

#include "bench_util.h"

extern char **environ;


static int ours (struct incus_client *c, const char *image, const char *name)
{
  coi_error_t err = NULL;
  json_t *body = json_pack ("{s:s, s:{s:s, s:s}}", "name", name, "source", "type", "image", "alias", image);
  int r = incus_instance_create (c, body, &err);
  json_decref (body);
  if (r == 0)
    r = incus_instance_set_state (c, name, "start", -1, false, &err);
  if (r == 0)
    r = incus_instance_force_delete (c, name, &err);
  if (r < 0)
    coi_error_report (&err, stderr);
  return r;
}

/* The raw sequence: exactly the requests, nothing of ours around them. */
static size_t sink (char *p, size_t s, size_t n, void *u)
{
  struct buf *b = u;
  buf_append (b, p, s * n);
  return s * n;
}

static json_t *raw (CURL *h, const char *method, const char *url, const char *body)
{
  struct buf b = { 0 };
  curl_easy_setopt (h, CURLOPT_URL, url);
  curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt (h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, sink);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, &b);
  if (body == NULL)
    curl_easy_setopt (h, CURLOPT_HTTPGET, 1L), curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, method);
  json_t *j = curl_easy_perform (h) == CURLE_OK ? json_loadb (b.data, b.len, 0, NULL) : NULL;
  buf_free (&b);
  return j;
}

static int raw_wait (CURL *h, json_t *resp)
{
  const char *op = json_string_value (json_object_get (resp, "operation"));
  char url[256];
  if (op == NULL)
    return -1;
  snprintf (url, sizeof url, "http://incus%s/wait?timeout=60", op);
  json_t *w = raw (h, "GET", url, NULL);
  int ok = w && json_object_get (w, "metadata")
           && strcmp (json_string_value (json_object_get (json_object_get (w, "metadata"), "status")) ?: "", "Success") == 0;
  json_decref (w);
  return ok ? 0 : -1;
}

static int raw_sequence (CURL *h, const char *image, const char *name)
{
  char body[256], url[256];
  snprintf (body, sizeof body, "{\"name\":\"%s\",\"source\":{\"type\":\"image\",\"alias\":\"%s\"}}", name, image);
  json_t *r = raw (h, "POST", "http://incus/1.0/instances", body);
  int rc = raw_wait (h, r);
  json_decref (r);
  snprintf (url, sizeof url, "http://incus/1.0/instances/%s/state", name);
  r = raw (h, "PUT", url, "{\"action\":\"start\"}");
  rc |= raw_wait (h, r);
  json_decref (r);
  r = raw (h, "PUT", url, "{\"action\":\"stop\",\"force\":true}");
  rc |= raw_wait (h, r);
  json_decref (r);
  snprintf (url, sizeof url, "http://incus/1.0/instances/%s", name);
  r = raw (h, "DELETE", url, NULL);
  rc |= raw_wait (h, r);
  json_decref (r);
  return rc;
}

static int run_cli (char *const argv[])
{
  pid_t pid = fork ();
  if (pid == 0)
    {
      if (freopen ("/dev/null", "w", stdout) == NULL)
        _exit (126);
      execvp (argv[0], argv);
      _exit (127);
    }
  int st;
  waitpid (pid, &st, 0);
  return WIFEXITED (st) && WEXITSTATUS (st) == 0 ? 0 : -1;
}

static int cli_sequence (const char *image, const char *name)
{
  char *launch[] = { "incus", "launch", (char *) image, (char *) name, NULL };
  char *del[] = { "incus", "delete", "-f", (char *) name, NULL };
  return run_cli (launch) | run_cli (del);
}

int main (int argc, char **argv)
{
  const char *image = argc > 1 ? argv[1] : coi_test_image ();
  int runs = argc > 2 ? atoi (argv[2]) : 5;
  if (runs < 1 || runs > 100)
    runs = 5;
  double a[100], b[100], c[100];
  coi_error_t err = NULL;
  struct incus_client *cl;
  if (incus_client_open (&cl, NULL, NULL, (const char *const *) environ, &err) < 0)
    return coi_error_report (&err, stderr);
  CURL *h = curl_easy_init ();
  curl_easy_setopt (h, CURLOPT_UNIX_SOCKET_PATH, incus_client_endpoint (cl)->unix_path);
  /* The order rotates each round so no variant always runs first. */
  for (int i = 0; i < runs; i++)
    for (int k = 0; k < 3; k++)
      {
        int which = (i + k) % 3;
        double t0 = now_ms ();
        int r = which == 0   ? ours (cl, image, "coi-bench-ours")
                : which == 1 ? raw_sequence (h, image, "coi-bench-raw")
                             : cli_sequence (image, "coi-bench-cli");
        if (r < 0)
          return 1;
        double dt = now_ms () - t0;
        (which == 0 ? a : which == 1 ? b : c)[i] = dt;
      }
  double ma = median (a, runs), mb = median (b, runs), mc = median (c, runs);
  printf ("create+start+delete, median of %d (image %s):\n", runs, image);
  printf ("  coi client      %8.1f ms\n  raw REST        %8.1f ms\n  incus CLI       %8.1f ms\n", ma, mb, mc);
  printf ("  ratio coi/raw   %8.3f   (target <= 1.05)\n", ma / mb);
  printf ("  ratio coi/cli   %8.3f\n", ma / mc);
  curl_easy_cleanup (h);
  incus_client_free (cl);
  return 0;
}
