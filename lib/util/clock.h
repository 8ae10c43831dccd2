/* Time as coi measures and writes it. */
#ifndef COI_UTIL_CLOCK_H
#define COI_UTIL_CLOCK_H

#include <time.h>

/* CLOCK_MONOTONIC in milliseconds: for deadlines and rates. */
long long coi_now_ms (void);

/* UTC "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 characters + NUL). */
void coi_iso8601_ms (char out[32], const struct timespec *ts);

#endif
