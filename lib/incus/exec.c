/* The exec session: start the operation, connect its websockets, move bytes
 * between local fds and the sockets in one poll loop, then collect the exit
 * status.  Protocol notes (verified against incusd): payload is binary, an
 * empty text message ends a stream, the server hangs up without a close frame,
 * and closing control while the command runs makes the server kill it, which
 * is also what happens to the command if we fail or die. */
#include "incus/exec.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "incus/exec_private.h"
#include "incus/ws.h"
#include "term/raw.h"
#include "term/signals.h"
#include "term/winsize.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/size.h"

/* Stop reading local stdin while this much is still queued for the server. */
#define STDIN_HIGH_WATER (1u << 20)
#define STDIN_CHUNK 65536

struct exec_sink
{
  const char *name; /* "stdout", "stderr" */
  int fd;           /* -1 with buf NULL: discard */
  struct buf *buf;
};

struct exec_session
{
  const struct incus_exec_opts *o;
  const char *instance;
  struct incus_ws *ws[EXEC_NFDS];
  bool done[EXEC_NFDS];  /* the server ended this stream */
  struct exec_sink sink[EXEC_NFDS];
  bool stdin_open;
  int tty_fd;            /* the local terminal for sizes, or -1 */
  int stopped_by;        /* a stop signal ended the exec on our side */
  bool extra_open;       /* o->extra_fd is still polled */
};

/* Closing the sockets, control among them, also stops a command still
 * running when we bail out. */
static void session_free (struct exec_session *s)
{
  for (int i = 0; i < EXEC_NFDS; i++)
    incus_ws_free (s->ws[i]);
}
#define _cleanup_session_ __attribute__ ((cleanup (session_free)))

static int sink_write (struct exec_sink *k, const void *data, size_t len, coi_error_t *err)
{
  if (len == 0)
    return 0;
  if (k->buf)
    {
      char lim[32];
      if (buf_append (k->buf, data, len) < 0)
        return coi_error_make (err, EFBIG, "%s is larger than %s", k->name,
                               coi_size_str (k->buf->limit, lim));
      return 0;
    }
  if (k->fd >= 0 && coi_write_all_waiting (k->fd, data, len) < 0)
    return coi_error_errno (err, errno, "cannot write the command's %s", k->name);
  return 0;
}

struct stream_ctx
{
  struct exec_session *s;
  int idx;
};

/* Output streams (stdout, stderr, and the pty on 0): data to the sink, the
 * empty text message marks the end. */
static int on_output (void *user, const struct incus_ws_event *ev, coi_error_t *err)
{
  struct stream_ctx *sc = user;
  if (incus_ws_is_barrier (ev))
    {
      sc->s->done[sc->idx] = true;
      return 0;
    }
  return sink_write (&sc->s->sink[sc->idx], ev->data, ev->len, err);
}

/* The server sends nothing we need on control, or on stdin when not
 * interactive; reading them still answers pings and notices hang-ups. */
static int on_ignored (void *user, const struct incus_ws_event *ev, coi_error_t *err)
{
  (void) user, (void) ev, (void) err;
  return 0;
}

static int connect_all (struct incus_client *c, struct exec_session *s, json_t *op,
                        const char **id, coi_error_t *err)
{
  const char *secret[EXEC_NFDS];
  if (incus_exec_secrets (op, id, secret, err) < 0)
    return -1;
  _cleanup_free_ char *eid = incus_escape (*id);
  if (eid == NULL)
    return coi_error_errno (err, ENOMEM, "request");
  size_t needed = s->o->interactive ? 2 : EXEC_NFDS;
  char *paths[EXEC_NFDS] = { NULL };
  int r = 0;
  for (size_t i = 0; i < needed && r == 0; i++)
    {
      _cleanup_free_ char *esec = secret[i] ? incus_escape (secret[i]) : NULL;
      if (secret[i] == NULL)
        r = coi_error_make (err, EPROTO, "the server offered no websocket for %s",
                            i == EXEC_CONTROL ? "control" : i == EXEC_STDIN ? "stdin" : "output");
      else if (esec == NULL
               || asprintf (&paths[i], "/1.0/operations/%s/websocket?secret=%s", eid, esec) < 0)
        r = coi_error_errno (err, ENOMEM, "request");
    }
  /* Control comes first: the server starts the command once the data
     sockets are in, and it must never run without its control. */
  if (r == 0)
    r = incus_ws_connect_many (c, (const char *const *) paths, needed, s->ws, err);
  for (size_t i = 0; i < EXEC_NFDS; i++)
    free (paths[i]);
  return r;
}

static int send_text (struct incus_ws *ws, char *msg, coi_error_t *err)
{
  if (msg == NULL)
    return coi_error_errno (err, ENOMEM, "control message");
  int r = incus_ws_send (ws, INCUS_WS_TEXT, msg, strlen (msg), err);
  free (msg);
  return r;
}

/* Local stdin to the server.  Failures only end the input: the command may
 * well exit without reading all of it. */
static void pump_stdin (struct exec_session *s)
{
  char chunk[STDIN_CHUNK];
  ssize_t n;
  do
    n = read (s->o->stdin_fd, chunk, sizeof chunk);
  while (n < 0 && errno == EINTR);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return;
  struct incus_ws *ws0 = s->ws[EXEC_STDIN];
  if (n <= 0)
    {
      /* EOF, or EIO from a hung-up tty: the end of input either way. */
      s->stdin_open = false;
      if (s->o->interactive)
        return;
      coi_error_t ignored = NULL;
      if (incus_ws_send (ws0, INCUS_WS_TEXT, "", 0, &ignored) < 0)
        coi_error_release (&ignored);
      return;
    }
  coi_error_t ignored = NULL;
  if (incus_ws_send (ws0, INCUS_WS_BINARY, chunk, (size_t) n, &ignored) < 0)
    {
      coi_error_release (&ignored);
      s->stdin_open = false;
    }
}

static int on_signal (struct exec_session *s, struct term_signals *sig, coi_error_t *err)
{
  int signo;
  while ((signo = term_signals_next (sig)) > 0)
    {
      struct incus_ws *ctl = s->ws[EXEC_CONTROL];
      if (s->o->stop_signals && sigismember (s->o->stop_signals, signo) == 1)
        {
          if (!s->o->interactive && ctl)
            {
              coi_error_t ignored = NULL;
              if (send_text (ctl, incus_exec_signal_msg (signo), &ignored) < 0)
                coi_error_release (&ignored);
            }
          s->stopped_by = signo;
          return 0;
        }
      if (!s->o->interactive)
        continue;
      if (signo == SIGWINCH)
        {
          int w, h;
          if (term_get_size (s->tty_fd, &w, &h) == 0
              && send_text (ctl, incus_exec_resize_msg (w, h), err) < 0)
            return -1;
        }
      else if (send_text (ctl, incus_exec_signal_msg (signo), err) < 0)
        return -1;
    }
  return signo < 0 ? coi_error_errno (err, errno, "reading signals") : 0;
}

/* The caller's extra descriptor.  Run after the output of the same poll
 * round was written, so what it prints lands between whole chunks. */
static int on_extra (struct exec_session *s, short revents, coi_error_t *err)
{
  if (revents & POLLIN)
    return s->o->on_extra (s->o->extra_fd, s->o->extra_data, err);
  if (revents & (POLLERR | POLLHUP | POLLNVAL))
    s->extra_open = false; /* nothing more will come: do not spin on it */
  return 0;
}

/* All sockets hung up: the command has exited and /wait answers at once. */
static bool all_ended (const struct exec_session *s)
{
  for (int i = 0; i < EXEC_NFDS; i++)
    if (s->ws[i] && !incus_ws_ended (s->ws[i]))
      return false;
  return true;
}

static int run_loop (struct exec_session *s, struct term_signals *sig, coi_error_t *err)
{
  struct stream_ctx sc[EXEC_NFDS];
  for (int i = 0; i < EXEC_NFDS; i++)
    sc[i] = (struct stream_ctx) { s, i };
  bool answered_barrier = false;

  while (!all_ended (s) && s->stopped_by == 0)
    {
      struct pollfd pf[EXEC_NFDS + 3];
      int map[EXEC_NFDS + 3];
      int n = 0;
      for (int i = 0; i < EXEC_NFDS; i++)
        {
          struct incus_ws *ws = s->ws[i];
          if (ws == NULL || incus_ws_ended (ws))
            continue;
          pf[n] = (struct pollfd) { .fd = incus_ws_fd (ws), .events = POLLIN };
          if (incus_ws_want_write (ws))
            pf[n].events |= POLLOUT;
          map[n++] = i;
        }
      int stdin_slot = -1, sig_slot = -1, extra_slot = -1;
      if (s->stdin_open && incus_ws_queued (s->ws[EXEC_STDIN]) < STDIN_HIGH_WATER)
        {
          stdin_slot = n;
          pf[n++] = (struct pollfd) { .fd = s->o->stdin_fd, .events = POLLIN };
        }
      if (sig && sig->fd >= 0)
        {
          sig_slot = n;
          pf[n++] = (struct pollfd) { .fd = sig->fd, .events = POLLIN };
        }
      if (s->extra_open)
        {
          extra_slot = n;
          pf[n++] = (struct pollfd) { .fd = s->o->extra_fd, .events = POLLIN };
        }
      if (poll (pf, (nfds_t) n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return coi_error_errno (err, errno, "poll");
        }
      if (sig_slot >= 0 && pf[sig_slot].revents && on_signal (s, sig, err) < 0)
        return -1;
      if (stdin_slot >= 0 && pf[stdin_slot].revents)
        pump_stdin (s);
      for (int k = 0; k < n; k++)
        {
          if (k == stdin_slot || k == sig_slot || k == extra_slot || pf[k].revents == 0)
            continue;
          int i = map[k];
          struct incus_ws *ws = s->ws[i];
          if ((pf[k].revents & POLLOUT) && incus_ws_want_write (ws))
            {
              coi_error_t ignored = NULL;
              if (incus_ws_flush (ws, &ignored) < 0)
                coi_error_release (&ignored);
            }
          if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          bool output = i == EXEC_STDOUT || i == EXEC_STDERR
                        || (i == EXEC_STDIN && s->o->interactive);
          int r = incus_ws_pump (ws, output ? on_output : on_ignored, &sc[i], err);
          if (r < 0)
            return -1;
          if (r > 0 && output)
            s->done[i] = true;
        }
      if (extra_slot >= 0 && pf[extra_slot].revents && on_extra (s, pf[extra_slot].revents, err) < 0)
        return -1;
      /* The pty's end must be acknowledged, or the operation never ends. */
      if (s->o->interactive && s->done[EXEC_STDIN] && !answered_barrier)
        {
          answered_barrier = true;
          s->stdin_open = false;
          coi_error_t ignored = NULL;
          if (incus_ws_close (s->ws[EXEC_STDIN], &ignored) < 0)
            coi_error_release (&ignored);
        }
    }
  return 0;
}

/* Size and TERM for a pty session, from the local terminal when there is one. */
static int tty_setup (struct exec_session *s, int *width, int *height, char **term,
                      coi_error_t *err)
{
  const struct incus_exec_opts *o = s->o;
  if (isatty (o->stdin_fd))
    s->tty_fd = o->stdin_fd;
  else if (isatty (o->stdout_fd))
    s->tty_fd = o->stdout_fd;
  int tw = 80, th = 24;
  (void) term_get_size (s->tty_fd, &tw, &th);
  *width = o->width > 0 ? o->width : tw;
  *height = o->height > 0 ? o->height : th;
  const char *t = getenv ("TERM");
  if (t && *t && asprintf (term, "TERM=%s", t) < 0)
    return coi_error_errno (err, ENOMEM, "request");
  return 0;
}

/* POST the exec and connect its websockets; *op keeps the secrets' owner. */
static int start (struct incus_client *c, struct exec_session *s, json_t **op, const char **id,
                  coi_error_t *err)
{
  int width = 0, height = 0;
  _cleanup_free_ char *term = NULL;
  if (s->o->interactive && tty_setup (s, &width, &height, &term, err) < 0)
    return -1;
  _cleanup_json_ json_t *body = incus_exec_body (s->o, width, height, term, err);
  if (body == NULL)
    return -1;
  _cleanup_free_ char *ename = incus_escape (s->instance);
  _cleanup_free_ char *path = NULL;
  if (ename == NULL || asprintf (&path, "/1.0/instances/%s/exec", ename) < 0)
    return coi_error_errno (err, ENOMEM, "request");
  if (incus_call_async (c, "POST", path, body, op, err) < 0)
    return -1;
  return connect_all (c, s, *op, id, err);
}

static int not_started (const struct incus_exec_opts *o, coi_error_t *err, const char *instance)
{
  if (o->not_started)
    *o->not_started = true;
  return coi_error_prefix (err, "exec in %s", instance);
}

static int exec_run (struct incus_client *c, const char *instance,
                     const struct incus_exec_opts *o, struct exec_sink *out,
                     struct exec_sink *errs, int *exit_code, coi_error_t *err)
{
  _cleanup_session_ struct exec_session s = { .o = o, .instance = instance, .tty_fd = -1 };
  s.sink[EXEC_STDOUT] = *out;
  s.sink[EXEC_STDERR] = *errs;
  s.sink[EXEC_STDIN] = *out; /* the pty's output */

  /* Taken before the command can start, so that a signal in between is
     forwarded rather than lost; opened before raw mode, so that the terminal
     is restored first on the way out. */
  _cleanup_term_signals_ struct term_signals sig = { .fd = -1 };
  if (o->interactive || o->stop_signals)
    {
      int taken[NSIG + 8];
      int n = 0;
      static const int forwarded[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT, 0 };
      for (const int *f = forwarded; *f && o->interactive; f++)
        taken[n++] = *f;
      for (int signo = 1; o->stop_signals && signo < NSIG; signo++)
        if (sigismember (o->stop_signals, signo) == 1)
          taken[n++] = signo;
      taken[n] = 0;
      if (term_signals_open (&sig, taken, err) < 0)
        return not_started (o, err, instance);
    }
  _cleanup_json_ json_t *op = NULL;
  const char *id = NULL;
  /* The server holds the command until every websocket is connected. */
  if (start (c, &s, &op, &id, err) < 0)
    return not_started (o, err, instance);

  _cleanup_term_raw_ struct term_raw raw = { .active = false };
  if (o->interactive && isatty (o->stdin_fd) && term_raw_enter (&raw, o->stdin_fd, err) < 0)
    return coi_error_prefix (err, "exec in %s", instance);

  s.stdin_open = o->stdin_fd >= 0;
  s.extra_open = o->on_extra != NULL && o->extra_fd >= 0;
  /* No input: the command sees EOF straight away.  A command that already
     ended may have taken its stdin socket with it: what it did is still
     read below, and the operation says how it ended. */
  if (!s.stdin_open && !o->interactive)
    {
      coi_error_t ignored = NULL;
      if (incus_ws_send (s.ws[EXEC_STDIN], INCUS_WS_TEXT, "", 0, &ignored) < 0)
        coi_error_release (&ignored);
    }

  if (run_loop (&s, sig.fd >= 0 ? &sig : NULL, err) < 0)
    return coi_error_prefix (err, "exec in %s", instance);
  term_raw_leave (&raw);
  if (o->stopped_by)
    *o->stopped_by = s.stopped_by;
  if (s.stopped_by)
    {
      /* Our caller ends the container; the command is not waited for. */
      *exit_code = 128 + s.stopped_by;
      return 0;
    }
  if (incus_exec_wait (c, id, exit_code, err) < 0)
    return coi_error_prefix (err, "exec in %s", instance);
  return 0;
}

int incus_exec (struct incus_client *c, const char *instance, const struct incus_exec_opts *o,
                int *exit_code, coi_error_t *err)
{
  struct exec_sink out = { .name = "stdout", .fd = o->stdout_fd };
  struct exec_sink errs = { .name = "stderr", .fd = o->stderr_fd };
  return exec_run (c, instance, o, &out, &errs, exit_code, err);
}

int incus_exec_capture (struct incus_client *c, const char *instance,
                        const struct incus_exec_opts *o, struct buf *outb, struct buf *errb,
                        int *exit_code, coi_error_t *err)
{
  struct exec_sink out = { .name = "stdout", .fd = -1, .buf = outb };
  struct exec_sink errs = { .name = "stderr", .fd = -1, .buf = errb };
  if (outb && outb->limit == 0)
    outb->limit = INCUS_EXEC_CAPTURE_LIMIT;
  if (errb && errb->limit == 0)
    errb->limit = INCUS_EXEC_CAPTURE_LIMIT;
  return exec_run (c, instance, o, &out, &errs, exit_code, err);
}
