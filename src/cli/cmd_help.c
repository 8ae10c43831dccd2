/* coi help [COMMAND [SUBCOMMAND]]: the same text as --help. */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "util/cleanup.h"

COI_HANDLER (cmd_help)
{
  (void) err;
  const struct coi_command *table = coi_root_commands;
  const struct coi_command *cmd = NULL;
  char path[256] = "";
  for (int i = 1; i < argc; i++)
    {
      const struct coi_command *next = coi_find_command (table, argv[i]);
      if (next == NULL)
        {
          const char *s = coi_suggest (table, argv[i]);
          coi_error_usage (err, "unknown help topic \"%s\"", argv[i]);
          if (s)
            coi_error_set_hint (err, "did you mean \"%s\"?", s);
          return -1;
        }
      cmd = next;
      if (path[0])
        strncat (path, " ", sizeof path - strlen (path) - 1);
      strncat (path, cmd->name, sizeof path - strlen (path) - 1);
      if (cmd->subcommands == NULL)
        break;
      table = cmd->subcommands;
    }
  if (cmd == NULL)
    {
      coi_print_help (ctx, NULL, "", NULL);
      return 0;
    }
  /* The command prints its own flags: run it with --help. */
  if (cmd->run)
    {
      char *hargv[] = { (char *) cmd->name, (char *) "--help", NULL };
      ctx->cmd = cmd;
      snprintf (ctx->cmd_path, sizeof ctx->cmd_path, "%s", path);
      return cmd->run (ctx, 2, hargv, err);
    }
  coi_print_help (ctx, cmd, path, NULL);
  return 0;
}
