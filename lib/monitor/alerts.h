/* Alert lines for the user's terminal.  The supervisor has no terminal: it
 * appends one line per alert to <run dir>/<container>.alerts, and the attach
 * loop tails that file (an inotify descriptor to poll, then read the new
 * complete lines) and prints them between the session's output. */
#ifndef COI_MONITOR_ALERTS_H
#define COI_MONITOR_ALERTS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/error.h"

/* Append "line\n" (one write, O_APPEND). */
int coi_alerts_append (const char *path, const char *line, coi_error_t *err);
/* The same on an open (O_APPEND) descriptor; path only names it in errors. */
int coi_alerts_append_fd (int fd, const char *path, const char *line, coi_error_t *err);

struct coi_alerts_tail
{
  int fd;       /* the alerts file */
  int watch_fd; /* inotify: readable when the file grew */
  struct buf partial;
};

/* Start tailing the container's alerts from their current end (creating an
 * empty file so it can be watched before the supervisor writes). */
int coi_alerts_tail_open (const char *container, struct coi_alerts_tail *t, coi_error_t *err);
/* Poll this for POLLIN, then call coi_alerts_tail_read. */
static inline int coi_alerts_tail_fd (const struct coi_alerts_tail *t)
{
  return t->watch_fd;
}
/* Hand each new complete line (without '\n') to fn; returns how many. */
int coi_alerts_tail_read (struct coi_alerts_tail *t, void (*fn) (const char *line, void *data), void *data);
void coi_alerts_tail_close (struct coi_alerts_tail *t);

#endif
