/* Timing helpers shared by the benchmarks. */
#ifndef COI_BENCH_UTIL_H
#define COI_BENCH_UTIL_H

#include <stdlib.h>
#include <time.h>

static inline double now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static inline int bench_cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* Sorts v in place. */
static inline double median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof *v, bench_cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
