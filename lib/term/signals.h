/* Signals as file descriptor events (signalfd), for poll loops such as
 * interactive exec: the listed signals are blocked in the calling thread and
 * read from a descriptor instead, so no handler runs at an awkward moment and
 * terminating signals go through the loop's normal clean-up.
 *
 * Call from the thread that runs the loop, in a process whose other threads
 * block these signals (true for the coi CLI, which is single-threaded). */
#ifndef COI_TERM_SIGNALS_H
#define COI_TERM_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

#include "util/error.h"

struct term_signals
{
  int fd; /* -1 when closed */
  sigset_t set;
  sigset_t old;
  bool pipe_blocked_here; /* we blocked SIGPIPE and must drain it */
};

/* Take signals `sigs` (0-terminated) through a signalfd.  SIGPIPE is also
 * blocked, so that a reader going away shows up as EPIPE from write(). */
int term_signals_open (struct term_signals *s, const int *sigs, coi_error_t *err);
/* Next pending signal number, 0 when none is pending, -1 on error. */
int term_signals_next (struct term_signals *s);
/* Close the descriptor and restore the signal mask.  Pending SIGPIPEs are
 * discarded first; other pending signals are delivered on unblocking. */
void term_signals_close (struct term_signals *s);

static inline void cleanup_term_signalsp (struct term_signals *s)
{
  term_signals_close (s);
}
#define _cleanup_term_signals_ __attribute__ ((cleanup (cleanup_term_signalsp)))

#endif
