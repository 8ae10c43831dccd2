/* Ending a container from outside its session (kill, shutdown, clean):
 * the container goes first, then everything keyed to it on the host. */
#ifndef COI_SESSION_END_H
#define COI_SESSION_END_H

#include <stdbool.h>

#include "incus/client.h"

/* graceful_timeout_s > 0: ask it to stop and wait that long before forcing. */
int coi_container_end (struct incus_client *c, const char *name, int graceful_timeout_s,
                       coi_error_t *err);

/* Host-side state of a container that no longer exists (network rules,
 * supervisor files).  Safe to call for any name. */
void coi_container_forget (const char *name);

/* Tell the container's supervisor (if another process) to exit, and wait. */
void coi_container_stop_supervisor (const char *name);

#endif
