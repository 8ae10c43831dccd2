/* Helpers shared by the operations commands (container, file, snapshot,
 * image, tmux): a column table, container resolution and small parsers. */
#ifndef COI_CLI_CMD_CONTAINER_COMMON_H
#define COI_CLI_CMD_CONTAINER_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/command.h"

/* Columns padded to the widest cell plus two spaces, the last one unpadded:
 * the layout of COI's tabwriter tables. */
struct coi_table
{
  size_t ncols;
  size_t nrows;
  char **cells; /* row-major, nrows * ncols, owned */
};
int coi_table_init (struct coi_table *t, size_t ncols, const char *const *headers);
/* Append a row of ncols cells (NULL prints as ""); copies them. */
int coi_table_add (struct coi_table *t, const char *const *row);
void coi_table_print (const struct coi_table *t);
void coi_table_free (struct coi_table *t);
static inline void cleanup_tablep (struct coi_table *t)
{
  coi_table_free (t);
}
#define _cleanup_table_ __attribute__ ((cleanup (cleanup_tablep)))

/* The container an operation applies to: `flag` (-c), else $COI_CONTAINER,
 * else the single coi container of the current workspace (--workspace or
 * "."), any slot.  Errors name the candidates when there are several. */
int coi_resolve_container (struct coi_ctx *ctx, struct incus_client *c, const char *flag,
                           char **name, coi_error_t *err);

/* "2026-11-26T23:41:46.123Z" -> "2026-11-26 23:41:46" (len 19 + NUL). */
void coi_short_time (const char *iso, char out[20]);

/* Fail with a usage error unless exactly n positional arguments were given. */
int coi_expect_args (const struct coi_parsed *p, int n, const char *usage, coi_error_t *err);

#endif
