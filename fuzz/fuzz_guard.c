/* libFuzzer target for the guard's protocol, as a hostile local caller
 * reaches it: the packet bytes go through a real SOCK_SEQPACKET pair into
 * coi_guard_recv and, when they decode, through guard_answer with every op
 * the guard has.  The guard under test has no sessions and its Incus
 * client points at a socket that does not exist, so no op can change the
 * machine.  Beyond "no crash, no leak, no sanitizer report": every
 * decoded request gets exactly one reply object with a boolean "ok", and a
 * refusal carries a kind and a message. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guard/server_private.h"
#include "incus/client.h"
#include "monitor/guard_spec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
int LLVMFuzzerInitialize (int *argc, char ***argv);

static struct guard g;
static struct gconn conn;
static int pair[2] = { -1, -1 };

static char dir[] = "/tmp/coi-fuzz-guard.XXXXXX";
static char sessions[sizeof dir + 16];

/* Nothing is ever written there: both are empty at exit. */
static void remove_state (void)
{
  rmdir (sessions);
  rmdir (dir);
}

int LLVMFuzzerInitialize (int *argc, char ***argv)
{
  (void) argc;
  (void) argv;
  if (mkdtemp (dir) == NULL)
    abort ();
  snprintf (sessions, sizeof sessions, "%s/sessions", dir);
  if (mkdir (sessions, 0700) < 0)
    abort ();
  atexit (remove_state);
  g.listen_fd = g.epfd = g.sigfd = g.tick_fd = g.lock_fd = -1;
  snprintf (g.where.state_dir, sizeof g.where.state_dir, "%s", dir);
  coi_net_site_default (&g.where.site);
  g.incus_socket = "/nonexistent/coi-fuzz/unix.socket";
  struct incus_endpoint ep = { .name = (char *) "local", .unix_path = (char *) g.incus_socket };
  coi_error_t err = NULL;
  if (incus_client_open_endpoint (&g.incus, &ep, NULL, &err) < 0)
    abort ();
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
    abort ();
  conn.fd = pair[1];
  conn.peer.uid = 1000;
  conn.peer.gid = 1000;
  snprintf (conn.peer.name, sizeof conn.peer.name, "fuzz");
  return 0;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* The caller is root for odd sizes, a normal user for even ones: the
     packet stays exactly what a client could send. */
  conn.peer.uid = size & 1 ? 0 : 1000;
  if (size == 0 || size > 65536)
    return 0;
  if (send (pair[0], data, size, MSG_NOSIGNAL) < 0)
    return 0;
  json_t *msg = NULL;
  int fd = -1;
  coi_error_t err = NULL;
  int r = coi_guard_recv (pair[1], &msg, &fd, &err);
  if (fd >= 0)
    close (fd);
  if (r <= 0)
    {
      if (r < 0 && (err == NULL || err->msg == NULL))
        abort ();
      coi_error_release (&err);
      json_decref (msg);
      return 0;
    }
  /* A supervise request's spec is read by the guard only for a session it
     has; the reader is the same for any. */
  json_t *spec = json_object_get (json_object_get (msg, "args"), "spec");
  if (json_is_object (spec))
    {
      struct coi_guard_spec gs;
      coi_guard_spec_init (&gs);
      coi_error_t serr = NULL;
      if (coi_guard_spec_from_json (&gs, spec, &serr) < 0 && (serr == NULL || serr->msg == NULL))
        abort ();
      coi_error_release (&serr);
      coi_guard_spec_clear (&gs);
    }
  int out_fd = -1;
  json_t *reply = guard_answer (&g, &conn, msg, &out_fd);
  json_decref (msg);
  if (out_fd >= 0)
    close (out_fd);
  /* No op defers without a session to wait on. */
  if (reply == NULL || !json_is_boolean (json_object_get (reply, "ok")))
    abort ();
  if (json_is_false (json_object_get (reply, "ok")))
    {
      if (!json_is_string (json_object_get (reply, "kind")) || !json_is_string (json_object_get (reply, "error")))
        abort ();
    }
  /* COI_FUZZ_PRINT=1 shows the replies, to check seeds reach their ops. */
  if (getenv ("COI_FUZZ_PRINT"))
    {
      char *text = json_dumps (reply, JSON_COMPACT);
      fprintf (stderr, "%s\n", text ? text : "?");
      free (text);
    }
  json_decref (reply);
  if (g.sessions != NULL)
    abort ();
  return 0;
}
