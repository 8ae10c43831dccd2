/* A set of pids (open addressing), for "is this fork inside the container?"
 * at the rate a fork storm produces events. */
#ifndef COI_MONITOR_PIDSET_H
#define COI_MONITOR_PIDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct coi_pidset
{
  pid_t *slots; /* 0 = empty, -1 = deleted */
  size_t cap;   /* power of two */
  size_t used;  /* live + deleted */
  size_t live;
};

void coi_pidset_free (struct coi_pidset *s);
void coi_pidset_reset (struct coi_pidset *s);
int coi_pidset_add (struct coi_pidset *s, pid_t pid);
bool coi_pidset_has (const struct coi_pidset *s, pid_t pid);
void coi_pidset_del (struct coi_pidset *s, pid_t pid);

#endif
