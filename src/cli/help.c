/* Help text, generated from the command and option tables. */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"

const struct coi_opt *coi_global_options (void);

static void print_opts (const struct coi_opt *opts)
{
  for (const struct coi_opt *o = opts; o && o->name; o++)
    {
      char left[64];
      const char *meta = "";
      if (o->type == OPT_OPTSTRING)
        meta = "[=VALUE]";
      else if (o->type != OPT_BOOL)
        meta = o->metavar ? o->metavar : "VALUE";
      if (o->short_name)
        snprintf (left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name,
                  o->type == OPT_OPTSTRING ? "" : (*meta ? " " : ""), meta);
      else
        snprintf (left, sizeof left, "    --%s%s%s", o->name,
                  o->type == OPT_OPTSTRING ? "" : (*meta ? " " : ""), meta);
      printf ("  %-34s %s\n", left, o->help ? o->help : "");
    }
}

void coi_print_help (struct coi_ctx *ctx, const struct coi_command *cmd, const char *path,
                     const struct coi_opt *opts)
{
  if (cmd == NULL)
    {
      printf ("Code on Incus - Run AI coding tools in isolated Incus containers\n\n");
      printf ("Usage:\n  %s [command] [flags]\n\nAvailable Commands:\n", ctx->progname);
      for (const struct coi_command *c = coi_root_commands; c->name; c++)
        if (!c->hidden)
          printf ("  %-14s %s\n", c->name, c->summary);
      printf ("\nExamples:\n  %s                  # start an interactive session in the current directory\n"
              "  %s run \"npm test\"     # run a command in an isolated container\n"
              "  %s run -- make check\n",
              ctx->progname, ctx->progname, ctx->progname);
      printf ("\nFlags:\n");
      print_opts (coi_global_options ());
      printf ("  -v, --version                      Print the version\n");
      printf ("\nUse \"%s [command] --help\" for more information about a command.\n", ctx->progname);
      return;
    }
  printf ("%s\n\nUsage:\n  %s %s%s%s\n", cmd->summary, ctx->progname, path,
          cmd->usage && *cmd->usage ? " " : "", cmd->usage ? cmd->usage : "");
  if (cmd->details)
    printf ("\n%s\n", cmd->details);
  if (cmd->subcommands)
    {
      printf ("\nAvailable Commands:\n");
      for (const struct coi_command *c = cmd->subcommands; c->name; c++)
        if (!c->hidden)
          printf ("  %-14s %s\n", c->name, c->summary);
    }
  if (opts && opts->name)
    {
      printf ("\nFlags:\n");
      print_opts (opts);
    }
  printf ("\nGlobal Flags:\n");
  print_opts (coi_global_options ());
}

static size_t edit_distance (const char *a, const char *b)
{
  size_t la = strlen (a), lb = strlen (b);
  if (la > 32 || lb > 32)
    return 99;
  size_t d[33][33];
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++)
    for (size_t j = 1; j <= lb; j++)
      {
        size_t sub = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
        size_t del = d[i - 1][j] + 1, ins = d[i][j - 1] + 1;
        d[i][j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
      }
  return d[la][lb];
}

const char *coi_suggest (const struct coi_command *table, const char *name)
{
  const char *best = NULL;
  size_t best_d = 3;
  for (const struct coi_command *c = table; c->name; c++)
    {
      if (c->hidden)
        continue;
      size_t d = edit_distance (name, c->name);
      if (d < best_d || (strncmp (c->name, name, strlen (name)) == 0 && strlen (name) >= 2))
        {
          best = c->name;
          best_d = d < best_d ? d : best_d;
        }
    }
  return best;
}

const struct coi_command *coi_find_command (const struct coi_command *table, const char *name)
{
  for (const struct coi_command *c = table; c && c->name; c++)
    if (strcmp (c->name, name) == 0)
      return c;
  return NULL;
}
