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

/* coi_cmd_parse plus the --format check; returns 1 after --help. */
int coi_snapshot_parse (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts,
                        struct snapshot_opts *o, struct coi_parsed *p, coi_error_t *err);
void coi_snapshot_opts_free (struct snapshot_opts *o);
/* A snapshot object as COI prints it (new reference, NULL on ENOMEM). */
json_t *coi_snapshot_json (json_t *snapshot);

#endif
