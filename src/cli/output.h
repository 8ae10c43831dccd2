/* Output helpers shared by commands. */
#ifndef COI_CLI_OUTPUT_H
#define COI_CLI_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"
#include "util/sink.h"

/* Pretty JSON (2-space indent, as COI's MarshalIndent) plus newline on stdout. */
int coi_print_json (json_t *j, coi_error_t *err);
/* Validate a --format value against a |-separated list ("text|json"). NULL means the first. */
int coi_check_format (const char *format, const char *allowed, coi_error_t *err);
/* The CLI's sink: notices on stderr, one per line; warnings as
 * "coi: warning: ...". */
void coi_cli_sink (struct coi_sink *sink);
/* The sink of a service whose stderr is its log file (the guard, a
 * supervisor): one line each, with a timestamp; warnings marked. */
void coi_cli_log_sink (struct coi_sink *sink);

/* Ask "<question> [y/N]: " on stderr and read stdin; false on EOF or no tty answer. */
bool coi_confirm (const char *question);

#endif
