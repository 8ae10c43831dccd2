/* The command table.  One line per command; handlers live in cmd_<name>.c. */
#include "cli/command.h"

COI_HANDLER (cmd_version);

const struct coi_command coi_root_commands[] = {
  { "version", "Print version information", "[--format text|json]", NULL, cmd_version, NULL, false },
  { 0 },
};
