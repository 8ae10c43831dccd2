/* Pieces of exec shared between its files; not for callers. */
#ifndef COI_INCUS_EXEC_PRIVATE_H
#define COI_INCUS_EXEC_PRIVATE_H

#include <jansson.h>

#include "incus/exec.h"

/* Websocket roles, in the order they are connected. */
enum exec_fd
{
  EXEC_CONTROL,
  EXEC_STDIN, /* also the pty's output when interactive */
  EXEC_STDOUT,
  EXEC_STDERR,
  EXEC_NFDS
};

/* The InstanceExecPost body.  width, height and term_env ("TERM=...", may be
 * NULL; o->env can override it) are used when interactive. */
json_t *incus_exec_body (const struct incus_exec_opts *o, int width, int height,
                         const char *term_env, coi_error_t *err);

/* From the running operation: its id and the websocket secrets (borrowed
 * from op; NULL for a socket the server did not offer). */
int incus_exec_secrets (json_t *op, const char **id, const char *secrets[EXEC_NFDS],
                        coi_error_t *err);

/* Wait for the operation and turn it into an exit code (127 and 126 for a
 * command that does not exist or cannot be executed). */
int incus_exec_wait (struct incus_client *c, const char *id, int *exit_code, coi_error_t *err);

/* {"command":"window-resize",...} and {"command":"signal",...}, as text. */
char *incus_exec_resize_msg (int width, int height);
char *incus_exec_signal_msg (int signo);

#endif
