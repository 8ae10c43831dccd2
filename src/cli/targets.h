/* Which containers a command acts on: the names given, every coi container
 * (--all), or those of the current workspace. */
#ifndef COI_CLI_TARGETS_H
#define COI_CLI_TARGETS_H

#include <stdbool.h>

#include "cli/command.h"
#include "incus/client.h"
#include "session/inventory.h"

struct coi_targets
{
  struct coi_inventory inv;
  const struct coi_instance_info **items;
  size_t n;
};

/* Names must be coi containers that exist; otherwise a clear error. */
int coi_targets_resolve (struct coi_ctx *ctx, char **names, int nnames, bool all,
                         struct coi_targets *t, coi_error_t *err);
void coi_targets_clear (struct coi_targets *t);
/* Confirm on the terminal unless forced; false means "not confirmed". */
bool coi_targets_confirm (const struct coi_targets *t, const char *verb, bool force);

/* The body of kill, shutdown and persist: resolve the targets, confirm when
 * several (or --all) are named, then call `fn` for each.  Returns 0, 1 when
 * not confirmed, or -1. */
typedef int (*coi_target_fn) (struct incus_client *c, const struct coi_instance_info *i,
                              void *data, coi_error_t *err);
int coi_targets_each (struct coi_ctx *ctx, char **names, int nnames, bool all, bool force,
                      const char *verb, coi_target_fn fn, void *data, coi_error_t *err);

#endif
