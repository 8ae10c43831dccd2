/* Access to a container's sensitive files (shadow, sudoers,
 * authorized_keys), seen from the host with fanotify marks placed through
 * /proc/<init>/root.  Events carry the acting pid. */
#ifndef COI_MONITOR_FANWATCH_H
#define COI_MONITOR_FANWATCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct coi_fan_event
{
  pid_t pid;
  bool write;      /* modified (else read) */
  char path[256];  /* the path inside the container */
};

/* Non-blocking notification group (needs CAP_SYS_ADMIN). */
int coi_fanwatch_open (int *fd, coi_error_t *err);
/* (Re)place marks for the container whose init is init_pid.  Cheap and
 * idempotent: call it again to cover files replaced by rename or .ssh
 * directories created since.  *marks counts the marks in place. */
int coi_fanwatch_arm (int fd, pid_t init_pid, int *marks);
/* Drain events for the sensitive names into fn. */
int coi_fanwatch_read (int fd, void (*fn) (const struct coi_fan_event *ev, void *data), void *data);

/* Whether a container path is one we watch (exposed for tests). */
bool coi_fanwatch_is_sensitive (const char *path);

#endif
