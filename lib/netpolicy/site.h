/* Where one host's sessions keep their network state: the nft table, the
 * address reservations and the nflog groups.  One site per guard service
 * (one per Incus server on the host), so that two servers' guards never
 * touch each other's rules even though they share one kernel. */
#ifndef COI_NETPOLICY_SITE_H
#define COI_NETPOLICY_SITE_H

#include <stdint.h>

#include "util/error.h"

#define COI_NET_DEFAULT_TABLE "coi"
#define COI_NET_DEFAULT_STATE_DIR "/run/coi/net"
#define COI_NET_DEFAULT_LOG_BASE 7300

struct coi_net_site
{
  char table[32];      /* nft table of the inet family */
  char state_dir[200]; /* reservations (addr/) and the lock */
  uint16_t log_base;   /* a session logs to log_base + its host index */
};

/* The machine's own Incus server: table coi, /run/coi/net, groups 7300+. */
void coi_net_site_default (struct coi_net_site *s);
/* Another server's, keyed by a directory of its own (e.g. its INCUS_DIR):
 * table coi_<8 hex of the key>, state under state_dir, groups in a range
 * of 256 chosen by the key.  -1 when state_dir is too long. */
int coi_net_site_for (struct coi_net_site *s, const char *key, const char *state_dir,
                      coi_error_t *err);

#endif
