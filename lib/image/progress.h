/* Progress of a long build on stderr: one "==> step" line when a step
 * starts, one "    done in N s" line when it ends. */
#ifndef COI_IMAGE_PROGRESS_H
#define COI_IMAGE_PROGRESS_H

#include <time.h>

struct coi_progress
{
  struct timespec start;
  struct timespec step;
};

void coi_progress_init (struct coi_progress *p);
void coi_progress_step (struct coi_progress *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void coi_progress_done (struct coi_progress *p, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Seconds since coi_progress_init. */
double coi_progress_total (const struct coi_progress *p);

#endif
