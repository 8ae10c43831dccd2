/* A thin libnftables wrapper: one call is one atomic kernel transaction. */
#ifndef COI_NETPOLICY_NFT_H
#define COI_NETPOLICY_NFT_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

struct coi_nft;

/* May this process change nftables (CAP_NET_ADMIN)?  Asked before
 * libnftables is: a refused listing costs a netlink round trip and a
 * diagnostic.  Unknown (capget failing) means "let the kernel decide". */
bool coi_nft_may_admin (void);

int coi_nft_open (struct coi_nft **out, coi_error_t *err);
void coi_nft_free (struct coi_nft *n);
static inline void cleanup_nftp (struct coi_nft **n)
{
  if (*n)
    coi_nft_free (*n);
}
#define _cleanup_nft_ __attribute__ ((cleanup (cleanup_nftp)))

/* Run a batch of nft commands as one transaction: all or nothing.  The
 * batch must only contain validated addresses and [a-z0-9_] identifiers.
 * On failure *err carries nft's diagnostic (and the errno it implies). */
int coi_nft_run (struct coi_nft *n, const char *batch, coi_error_t *err);

/* Run a listing command ("list table inet coi") and return its JSON form
 * (the "nftables" array).  A missing table is *out = NULL and return 0. */
int coi_nft_list_json (struct coi_nft *n, const char *cmd, json_t **out, coi_error_t *err);

/* Number of rules in `table inet coi`, or -1 with *err; 0 if it does not exist. */
int coi_nft_count_rules (struct coi_nft *n, const char *family, const char *table,
                         coi_error_t *err);

#endif
