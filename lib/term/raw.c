#include "term/raw.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* A crashing signal's handler has no context argument, so the settings to
 * restore must be reachable from a static: the one exception to "no global
 * state", and only ever written while no handler can run. */
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP };
#define NCRASH (sizeof crash_signals / sizeof crash_signals[0])
static struct
{
  volatile sig_atomic_t armed;
  int fd;
  struct termios saved;
  struct sigaction previous[NCRASH];
} crash;

static void crash_restore (int sig)
{
  if (crash.armed)
    tcsetattr (crash.fd, TCSANOW, &crash.saved);
  crash.armed = 0;
  /* Hand the signal to whoever had it before (the default, or ASan's
     reporter): it runs once this handler returns. */
  for (size_t i = 0; i < NCRASH; i++)
    if (crash_signals[i] == sig)
      sigaction (sig, &crash.previous[i], NULL);
  raise (sig);
}

static void crash_arm (int fd, const struct termios *saved)
{
  crash.fd = fd;
  crash.saved = *saved;
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = crash_restore;
  sigemptyset (&sa.sa_mask);
  for (size_t i = 0; i < NCRASH; i++)
    sigaction (crash_signals[i], &sa, &crash.previous[i]);
  crash.armed = 1;
}

static void crash_disarm (void)
{
  if (!crash.armed)
    return;
  crash.armed = 0;
  for (size_t i = 0; i < NCRASH; i++)
    sigaction (crash_signals[i], &crash.previous[i], NULL);
}

int term_raw_enter (struct term_raw *t, int fd, coi_error_t *err)
{
  t->active = false;
  t->fd = fd;
  if (tcgetattr (fd, &t->saved) < 0)
    return coi_error_errno (err, errno, "terminal: cannot read its settings");
  struct termios raw = t->saved;
  cfmakeraw (&raw);
  crash_arm (fd, &t->saved);
  if (tcsetattr (fd, TCSAFLUSH, &raw) < 0)
    {
      int e = errno;
      crash_disarm ();
      return coi_error_errno (err, e, "terminal: cannot switch to raw mode");
    }
  t->active = true;
  return 0;
}

void term_raw_leave (struct term_raw *t)
{
  if (!t->active)
    return;
  /* TCSADRAIN lets output already written reach the screen first. */
  while (tcsetattr (t->fd, TCSADRAIN, &t->saved) < 0 && errno == EINTR)
    ;
  t->active = false;
  crash_disarm ();
}
