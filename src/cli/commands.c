/* The command table.  One line per command; handlers live in cmd_<name>.c. */
#include "cli/command.h"

COI_HANDLER (cmd_version);
COI_HANDLER (cmd_list);

const struct coi_command coi_root_commands[] = {
  { "list", "List active containers and saved sessions", "[--all] [--format text|json]", NULL, cmd_list, NULL, false },
  { "version", "Print version information", "[--format text|json]", NULL, cmd_version, NULL, false },
  { 0 },
};
