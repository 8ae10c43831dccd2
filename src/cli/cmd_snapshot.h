/* Shared between cmd_snapshot.c and cmd_snapshot_restore.c. */
#ifndef COI_CLI_CMD_SNAPSHOT_H
#define COI_CLI_CMD_SNAPSHOT_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/command.h"

struct snapshot_opts
{
  char *container;
  char *format;
  bool stateful;
  bool force;
  bool all;
};

extern const struct coi_opt coi_snapshot_restore_options[];
extern const struct coi_opt coi_snapshot_delete_options[];

void coi_snapshot_opts_free (struct snapshot_opts *o);
static inline void cleanup_snapshot_optsp (struct snapshot_opts *o)
{
  coi_snapshot_opts_free (o);
}
#define _cleanup_snapshot_opts_ __attribute__ ((cleanup (cleanup_snapshot_optsp)))

/* coi_cmd_parse, the --format check and min..max positional arguments
 * (else a usage error showing `usage`); returns 1 after --help.  On success
 * p->pos is the caller's to free. */
int coi_snapshot_parse (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts,
                        struct snapshot_opts *o, int min, int max, const char *usage,
                        struct coi_parsed *p, coi_error_t *err);
/* The client and the container the command applies to (-c, $COI_CONTAINER,
 * workspace); *inst is the caller's to free. */
int coi_snapshot_target (struct coi_ctx *ctx, const struct snapshot_opts *o,
                         struct incus_client **c, char **inst, coi_error_t *err);
/* A snapshot object as COI prints it (new reference, NULL on ENOMEM). */
json_t *coi_snapshot_json (json_t *snapshot);

#endif
