#include "term/signals.h"

#include <errno.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

int term_signals_open (struct term_signals *s, const int *sigs, coi_error_t *err)
{
  s->fd = -1;
  s->pipe_blocked_here = false;
  sigemptyset (&s->set);
  for (const int *p = sigs; *p; p++)
    sigaddset (&s->set, *p);
  sigset_t block = s->set;
  sigaddset (&block, SIGPIPE);
  int r = pthread_sigmask (SIG_BLOCK, &block, &s->old);
  if (r != 0)
    return coi_error_errno (err, r, "signals: cannot block");
  s->pipe_blocked_here = !sigismember (&s->old, SIGPIPE);
  s->fd = signalfd (-1, &s->set, SFD_NONBLOCK | SFD_CLOEXEC);
  if (s->fd < 0)
    {
      int e = errno;
      pthread_sigmask (SIG_SETMASK, &s->old, NULL);
      return coi_error_errno (err, e, "signals: signalfd");
    }
  return 0;
}

int term_signals_next (struct term_signals *s)
{
  struct signalfd_siginfo si;
  ssize_t n;
  do
    n = read (s->fd, &si, sizeof si);
  while (n < 0 && errno == EINTR);
  if (n == (ssize_t) sizeof si)
    return (int) si.ssi_signo;
  if (n < 0 && errno == EAGAIN)
    return 0;
  return -1;
}

void term_signals_close (struct term_signals *s)
{
  if (s->fd < 0)
    return;
  close (s->fd);
  s->fd = -1;
  if (s->pipe_blocked_here)
    {
      /* A write to a closed pipe was already reported as EPIPE. */
      sigset_t pipe_only;
      sigemptyset (&pipe_only);
      sigaddset (&pipe_only, SIGPIPE);
      const struct timespec zero = { 0, 0 };
      while (sigtimedwait (&pipe_only, NULL, &zero) == SIGPIPE)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &s->old, NULL);
}
