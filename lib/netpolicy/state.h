/* A site's bookkeeping under its state directory (/run/coi/net for the
 * machine's own server): a lock that serialises every change to the site's
 * table, and one reservation file per container address.  /run is wiped at
 * boot, like the nft ruleset, so the two never disagree across a reboot. */
#ifndef COI_NETPOLICY_STATE_H
#define COI_NETPOLICY_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/error.h"

#include "netpolicy/site.h"

/* Take the site's lock (blocking).  Returns an fd to pass to unlock. */
int coi_net_lock (const struct coi_net_site *site, coi_error_t *err);
void coi_net_unlock (int fd);
static inline void cleanup_net_lockp (int *fd)
{
  if (*fd >= 0)
    coi_net_unlock (*fd);
}
#define _cleanup_net_lock_ __attribute__ ((cleanup (cleanup_net_lockp)))

/* Reserve `addr` for `container` with O_EXCL: 1 reserved, 0 already taken
 * (by anyone, including this container), -1 error. */
int coi_net_reserve (const struct coi_net_site *site, uint32_t addr, const char *container,
                     coi_error_t *err);
/* Owner of a reservation into owner (>= 64 bytes) and its age; 0 if none. */
int coi_net_reservation_owner (const struct coi_net_site *site, uint32_t addr, char *owner,
                               size_t len, time_t *mtime);
/* Remove the reservation if (and only if) it belongs to `container`. */
int coi_net_release (const struct coi_net_site *site, uint32_t addr, const char *container,
                     coi_error_t *err);

/* Calls fn for every reservation; stops at the first fn < 0. */
int coi_net_reservations_foreach (const struct coi_net_site *site,
                                  int (*fn) (uint32_t addr, const char *owner, time_t mtime,
                                             void *data),
                                  void *data, coi_error_t *err);

#endif
