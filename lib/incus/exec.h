/* Run a command in an instance through the exec API and its websockets.
 *
 * Non-interactive: three pipes on the server, so stdout and stderr arrive
 * separately and byte-exact.  Interactive: one pty on the server; the local
 * terminal (if stdin is one) goes raw for the duration, window size changes
 * and SIGTERM/SIGHUP/SIGINT are forwarded through the control socket. */
#ifndef COI_INCUS_EXEC_H
#define COI_INCUS_EXEC_H

#include <signal.h>
#include <stdbool.h>

#include "incus/client.h"
#include "util/buf.h"
#include "util/error.h"

/* Exit codes for a command that does not exist or cannot be executed, as a
 * shell gives them (Incus reports both as errors). */
#define INCUS_EXEC_NOT_FOUND 127
#define INCUS_EXEC_NOT_EXECUTABLE 126

struct incus_exec_opts
{
  const char *const *argv; /* required, NULL-terminated */
  const char *const *env;  /* "KEY=VALUE", NULL-terminated, may be NULL: goes in the API body,
                              never on a command line */
  const char *cwd;         /* NULL = server default */
  int uid, gid;            /* -1 = server default (root) */
  bool interactive;        /* pty: raw mode, resize and signal forwarding */
  int width, height;       /* for interactive; 0 = from the local tty */
  int stdin_fd;            /* -1: no stdin (closed immediately) */
  int stdout_fd, stderr_fd; /* where output is written; -1 = discard */
  /* Signals that end the exec on our side instead of being forwarded: the
     caller has cleanup to run (a session's SIGINT/SIGTERM/SIGHUP).  A
     non-interactive command is sent the signal first.  *stopped_by (may be
     NULL) receives the signal, and *exit_code is 128 + it. */
  const sigset_t *stop_signals;
  int *stopped_by;
  /* Set (may be NULL) when incus_exec failed before the command could
     start: the exec may be tried again without running anything twice. */
  bool *not_started;
  /* One more descriptor for the exec loop to poll, so that a caller can
     act between the command's output without a thread (e.g. print a
     notice on the terminal).  Polled only when on_extra is set and
     extra_fd >= 0; when it is readable, on_extra runs, and < 0 (with *err)
     fails the exec.  An error or hang-up without data stops the polling. */
  int extra_fd;
  int (*on_extra) (int fd, void *data, coi_error_t *err);
  void *extra_data;
};

/* Defaults: no env, no cwd, server's user, not interactive, all fds -1. */
#define INCUS_EXEC_OPTS_INIT                                                                  \
  {                                                                                           \
    .argv = NULL, .env = NULL, .cwd = NULL, .uid = -1, .gid = -1, .interactive = false,       \
    .width = 0, .height = 0, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1,                \
    .stop_signals = NULL, .stopped_by = NULL, .not_started = NULL, .extra_fd = -1,            \
    .on_extra = NULL, .extra_data = NULL                                                      \
  }

/* Run and wait.  *exit_code is the command's exit status (127 when it does
 * not exist, 126 when it is not executable, 128+N when killed by signal N).
 * Returns 0, or -1 with *err when the exec itself failed (instance missing or
 * stopped, transport, output). */
int incus_exec (struct incus_client *c, const char *instance, const struct incus_exec_opts *o,
                int *exit_code, coi_error_t *err);

/* Default cap for incus_exec_capture when a buffer's limit is 0. */
#define INCUS_EXEC_CAPTURE_LIMIT (64u * 1024 * 1024)

/* Like incus_exec, collecting stdout and stderr (either may be NULL to
 * discard) instead of writing them to o->stdout_fd/stderr_fd.  Output over a
 * buffer's limit fails the exec and stops the command. */
int incus_exec_capture (struct incus_client *c, const char *instance,
                        const struct incus_exec_opts *o, struct buf *out, struct buf *errb,
                        int *exit_code, coi_error_t *err);

#endif
