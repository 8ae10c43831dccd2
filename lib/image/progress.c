#include "image/progress.h"

#include <stdarg.h>
#include <stdio.h>

static double since (const struct timespec *t)
{
  struct timespec now;
  clock_gettime (CLOCK_MONOTONIC, &now);
  return (double) (now.tv_sec - t->tv_sec) + (double) (now.tv_nsec - t->tv_nsec) / 1e9;
}

void coi_progress_init (struct coi_progress *p)
{
  clock_gettime (CLOCK_MONOTONIC, &p->start);
  p->step = p->start;
}

void coi_progress_step (struct coi_progress *p, const char *fmt, ...)
{
  va_list ap;
  clock_gettime (CLOCK_MONOTONIC, &p->step);
  fputs ("==> ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

void coi_progress_done (struct coi_progress *p, const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "    done in %.1f s", since (&p->step));
  if (fmt && *fmt)
    {
      fputs (": ", stderr);
      va_start (ap, fmt);
      vfprintf (stderr, fmt, ap);
      va_end (ap);
    }
  fputc ('\n', stderr);
}

double coi_progress_total (const struct coi_progress *p)
{
  return since (&p->start);
}
