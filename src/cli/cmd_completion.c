/* coi completion bash|zsh|fish: shell completion generated from the command
 * table, so it never drifts from the commands that exist. */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "util/cleanup.h"

const struct coi_opt *coi_global_options (void);

static void words (const struct coi_command *table, const char *sep)
{
  const char *s = "";
  for (const struct coi_command *c = table; c && c->name; c++)
    if (!c->hidden)
      {
        printf ("%s%s", s, c->name);
        s = sep;
      }
}

static void global_flags (const char *sep)
{
  const char *s = "";
  for (const struct coi_opt *o = coi_global_options (); o->name; o++)
    {
      printf ("%s--%s", s, o->name);
      s = sep;
    }
}

static void bash (void)
{
  printf ("# bash completion for coi\n_coi() {\n  local cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
          "  local cmd=\"${COMP_WORDS[1]}\"\n  if [[ \"$cur\" == -* ]]; then\n"
          "    COMPREPLY=( $(compgen -W \"");
  global_flags (" ");
  printf ("\" -- \"$cur\") ); return\n  fi\n  if [[ $COMP_CWORD -eq 1 ]]; then\n"
          "    COMPREPLY=( $(compgen -W \"");
  words (coi_root_commands, " ");
  printf ("\" -- \"$cur\") ); return\n  fi\n  case \"$cmd\" in\n");
  for (const struct coi_command *c = coi_root_commands; c->name; c++)
    if (c->subcommands && !c->hidden)
      {
        printf ("    %s) [[ $COMP_CWORD -eq 2 ]] && COMPREPLY=( $(compgen -W \"", c->name);
        words (c->subcommands, " ");
        printf ("\" -- \"$cur\") ) ;;\n");
      }
  printf ("  esac\n}\ncomplete -o default -F _coi coi\n");
}

static void zsh (void)
{
  printf ("#compdef coi\n_coi() {\n  local -a cmds\n  if (( CURRENT == 2 )); then\n    cmds=(");
  for (const struct coi_command *c = coi_root_commands; c->name; c++)
    if (!c->hidden)
      printf (" '%s:%s'", c->name, c->summary);
  printf (" )\n    _describe 'command' cmds\n    return\n  fi\n  case $words[2] in\n");
  for (const struct coi_command *c = coi_root_commands; c->name; c++)
    if (c->subcommands && !c->hidden)
      {
        printf ("    %s) (( CURRENT == 3 )) && compadd ", c->name);
        words (c->subcommands, " ");
        printf (" ;;\n");
      }
  printf ("  esac\n  compadd -- ");
  global_flags (" ");
  printf ("\n}\ncompdef _coi coi\n");
}

static void fish (void)
{
  printf ("# fish completion for coi\n");
  for (const struct coi_command *c = coi_root_commands; c->name; c++)
    if (!c->hidden)
      {
        printf ("complete -c coi -f -n '__fish_use_subcommand' -a %s -d '%s'\n", c->name, c->summary);
        for (const struct coi_command *s = c->subcommands; s && s->name; s++)
          if (!s->hidden)
            printf ("complete -c coi -f -n '__fish_seen_subcommand_from %s' -a %s -d '%s'\n", c->name,
                    s->name, s->summary);
      }
  for (const struct coi_opt *o = coi_global_options (); o->name; o++)
    printf ("complete -c coi -l %s -d '%s'\n", o->name, o->help);
}

COI_HANDLER (cmd_completion)
{
  static const struct coi_opt none[] = { OPT_END };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, none, NULL, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos != 1)
    return coi_error_usage (err, "completion needs one shell: bash, zsh or fish");
  if (strcmp (pos[0], "bash") == 0)
    bash ();
  else if (strcmp (pos[0], "zsh") == 0)
    zsh ();
  else if (strcmp (pos[0], "fish") == 0)
    fish ();
  else
    return coi_error_usage (err, "unsupported shell '%s': expected bash, zsh or fish", pos[0]);
  return 0;
}
