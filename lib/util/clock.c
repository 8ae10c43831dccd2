#include "util/clock.h"

#include <stdio.h>

long long coi_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void coi_iso8601_ms (char out[32], const struct timespec *ts)
{
  struct tm tm;
  if (gmtime_r (&ts->tv_sec, &tm) == NULL)
    {
      snprintf (out, 32, "1970-01-01T00:00:00.000Z");
      return;
    }
  size_t n = strftime (out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
  unsigned ms = (unsigned) (ts->tv_nsec / 1000000L) % 1000u;
  snprintf (out + n, 32 - n, ".%03uZ", ms);
}
