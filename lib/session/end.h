/* Ending a container from outside its session (kill, shutdown, clean, a
 * supervisor's end): the container goes first, then the guard is told, so
 * its rules go with it (the guard also sees the deletion by itself). */
#ifndef COI_SESSION_END_H
#define COI_SESSION_END_H

#include <stdbool.h>

#include "guard/link.h"
#include "incus/client.h"

/* graceful_timeout_s > 0: ask it to stop and wait that long before forcing.
 * guard (may be NULL): released there once the container is gone. */
int coi_container_end (struct incus_client *c, struct coi_guard_link *guard, const char *name,
                       int graceful_timeout_s, coi_error_t *err);


#endif
