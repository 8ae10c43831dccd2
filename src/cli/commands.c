/* The command table.  One line per command; handlers live in cmd_<name>.c. */
#include "cli/command.h"

COI_HANDLER (cmd_version);
COI_HANDLER (cmd_build);
COI_HANDLER (cmd_build_custom);

static const struct coi_command build_subcommands[] = {
  { "custom", "Build a custom image from a script", "NAME --script FILE [--base IMAGE] [--force]", NULL, cmd_build_custom, NULL, false },
  { 0 },
};
COI_HANDLER (cmd_list);
COI_HANDLER (cmd_shell);
COI_HANDLER (cmd_run);
COI_HANDLER (cmd_attach);
COI_HANDLER (cmd_kill);
COI_HANDLER (cmd_shutdown);
COI_HANDLER (cmd_clean);
COI_HANDLER (cmd_info);
COI_HANDLER (cmd_health);
COI_HANDLER (cmd_persist);
COI_HANDLER (cmd_completion);
COI_HANDLER (cmd_help);
extern const struct coi_command coi_container_commands[];
extern const struct coi_command coi_file_commands[];
extern const struct coi_command coi_image_commands[];
extern const struct coi_command coi_snapshot_commands[];
extern const struct coi_command coi_tmux_commands[];
COI_HANDLER (cmd_trust);
COI_HANDLER (cmd_untrust);
extern const struct coi_command coi_config_commands[];
extern const struct coi_command coi_profile_commands[];
extern const struct coi_command coi_validate_commands[];
extern const struct coi_command coi_schema_commands[];

COI_HANDLER (cmd_supervise);
COI_HANDLER (cmd_guard);
COI_HANDLER (cmd_monitor);
COI_HANDLER (cmd_audit);
COI_HANDLER (cmd_unfreeze);
const struct coi_command coi_root_commands[] = {
  { "shell", "Start an interactive session with the AI tool", "[flags]", NULL, cmd_shell, NULL, false },
  { "run", "Run a command in an isolated container", "[flags] [--] COMMAND [ARGS...]", NULL, cmd_run, NULL, false },
  { "container", "Manage Incus containers", "<command>", NULL, NULL, coi_container_commands, false },
  { "file", "Transfer files to/from containers", "<command>", NULL, NULL, coi_file_commands, false },
  { "image", "Manage Incus images", "<command>", NULL, NULL, coi_image_commands, false },
  { "list", "List active containers and saved sessions", "[--all] [--format text|json]", NULL, cmd_list, NULL, false },
  { "snapshot", "Manage container snapshots", "<command>", NULL, NULL, coi_snapshot_commands, false },
  { "tmux", "Interact with tmux sessions in containers", "<command>", NULL, NULL, coi_tmux_commands, false },
  { "attach", "Attach to a running session", "[container-name] [--bash]", NULL, cmd_attach, NULL, false },
  { "kill", "Force stop and delete containers", "[NAME...] [--all] [--force]", NULL, cmd_kill, NULL, false },
  { "shutdown", "Stop containers gracefully, then delete them", "[NAME...] [--timeout N] [--all] [--force]", NULL, cmd_shutdown, NULL, false },
  { "close", "Alias of shutdown", "[NAME...] [--timeout N] [--all] [--force]", NULL, cmd_shutdown, NULL, true },
  { "clean", "Remove stopped containers and leftovers", "[--all] [--force] [--sessions] [--orphans] [--dry-run]", NULL, cmd_clean, NULL, false },
  { "health", "Check everything coi needs; exit 0 healthy, 1 degraded, 2 unhealthy", "[--format text|json] [--verbose]", NULL, cmd_health, NULL, false },
  { "info", "Show a saved session's details", "[SESSION_ID] [--format text|json]", NULL, cmd_info, NULL, false },
  { "persist", "Make running sessions persistent", "[NAME...] [--all] [--force]", NULL, cmd_persist, NULL, false },
  { "completion", "Generate shell completion (bash, zsh, fish)", "bash|zsh|fish", NULL, cmd_completion, NULL, false },
  { "build", "Build the coi image (Debian, Claude Code, tmux, the dummy agent)", "[--force] [--base IMAGE] | custom NAME --script FILE", NULL, cmd_build, build_subcommands, false },
  { "config", "Show the effective configuration", "<command>", NULL, NULL, coi_config_commands, false },
  { "profile", "Manage profiles", "<command>", NULL, NULL, coi_profile_commands, false },
  { "trust", "Trust this project's config files (.coi/config.toml, .coi/profiles)", "[--list]", NULL, cmd_trust, NULL, false },
  { "untrust", "Forget the trust of this project's config files", "", NULL, cmd_untrust, NULL, false },
  { "validate", "Validate configuration files", "<command>", NULL, NULL, coi_validate_commands, false },
  { "schema", "Print JSON Schemas", "<command>", NULL, NULL, coi_schema_commands, false },
  { "monitor", "Show what a session's container is doing: processes, connections, findings", "[CONTAINER] [--watch N] [--format text|json]", NULL, cmd_monitor, NULL, false },
  { "audit", "Show a session's audit log", "[CONTAINER] [--follow] [--format text|json]", NULL, cmd_audit, NULL, false },
  { "unfreeze", "Resume a container paused by the security monitor", "[NAME]", NULL, cmd_unfreeze, NULL, false },
  { "guard", "Run the guard service (root): network rules and supervisors for everyone's sessions", "[--group GROUP]", NULL, cmd_guard, NULL, false },
  { "__supervise", "Session supervisor (internal)", "[--spec PATH] [CONTAINER]", NULL, cmd_supervise, NULL, true },
  { "help", "Help about any command", "[COMMAND...]", NULL, cmd_help, NULL, false },
  { "version", "Print version information", "[--format text|json]", NULL, cmd_version, NULL, false },
  { 0 },
};
