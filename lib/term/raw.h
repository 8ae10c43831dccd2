/* Raw mode for the local terminal, restored on every way out: the caller's
 * cleanup on normal and error paths, and a handler for crashing signals
 * (SIGSEGV, SIGABRT, ...) so a bug never leaves the user's shell unusable.
 * Terminating signals (SIGTERM, SIGHUP, SIGINT) are expected to be taken
 * through term/signals.h while raw mode is on, so they reach the normal path. */
#ifndef COI_TERM_RAW_H
#define COI_TERM_RAW_H

#include <stdbool.h>
#include <termios.h>

#include "util/error.h"

struct term_raw
{
  int fd;
  bool active;
  struct termios saved;
};

/* Put fd (a tty) in raw mode, remembering its settings.  Only one terminal
 * can be raw at a time in a process. */
int term_raw_enter (struct term_raw *t, int fd, coi_error_t *err);
/* Restore the saved settings; a no-op when not active.  Safe to call twice. */
void term_raw_leave (struct term_raw *t);

static inline void cleanup_term_rawp (struct term_raw *t)
{
  term_raw_leave (t);
}
#define _cleanup_term_raw_ __attribute__ ((cleanup (cleanup_term_rawp)))

#endif
