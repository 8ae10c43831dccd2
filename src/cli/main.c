/* coi: dispatch argv through the command table. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "cli/output.h"
#include "guard/link.h"
#include "incus/client.h"
#include "util/statedir.h"
#include "util/cleanup.h"

extern char **environ;

const struct coi_opt *coi_global_options (void);

/* Does this leading global flag consume the next argument as its value? */
static bool coi_global_flag_takes_next (const char *arg)
{
  for (const struct coi_opt *o = coi_global_options (); o->name; o++)
    {
      bool valued = o->type == OPT_STRING || o->type == OPT_INT || o->type == OPT_STRV
                    || o->type == OPT_STRV_CSV;
      if (!valued)
        continue;
      if (arg[1] == '-' && strcmp (arg + 2, o->name) == 0)
        return true;
      if (arg[1] != '-' && o->short_name && arg[1] == o->short_name && arg[2] == '\0')
        return true;
    }
  return false;
}

int coi_ctx_client (struct coi_ctx *ctx, struct incus_client **out, coi_error_t *err)
{
  if (ctx->client == NULL)
    {
      const char *project = ctx->global.project;
      if (project == NULL || *project == '\0')
        project = coi_env_get (ctx->env, "COI_INCUS_PROJECT");
      if (incus_client_open (&ctx->client, ctx->global.remote, project, ctx->env, err) < 0)
        return -1;
      const char *trace = coi_env_get (ctx->env, "COI_TIMING_DEBUG");
      if (trace && *trace && strcmp (trace, "0") != 0)
        incus_client_set_trace (ctx->client, &ctx->sink);
    }
  *out = ctx->client;
  return 0;
}

int coi_ctx_guard (struct coi_ctx *ctx, struct coi_guard_link **out, coi_error_t *err)
{
  *out = NULL;
  if (ctx->guard == NULL)
    {
      struct incus_client *c;
      if (coi_ctx_client (ctx, &c, err) < 0)
        return -1;
      const char *sock = incus_client_endpoint (c)->unix_path;
      if (sock == NULL)
        return 0;
      _cleanup_free_ char *state = NULL;
      struct coi_guard_link *l = calloc (1, sizeof *l);
      if (l == NULL)
        return coi_error_errno (err, ENOMEM, "guard service");
      if (coi_state_dir (&state, err) < 0
          || coi_guard_link_init (l, sock, coi_env_get (ctx->env, "COI_GUARD_SOCKET"), state, err) < 0)
        {
          free (l);
          return -1;
        }
      ctx->guard = l;
    }
  *out = ctx->guard;
  return 0;
}

static void ctx_release (struct coi_ctx *ctx)
{
  if (ctx->guard)
    {
      coi_guard_link_clear (ctx->guard);
      free (ctx->guard);
    }
  struct coi_global_opts *g = &ctx->global;
  free (g->workspace);
  free (g->image);
  free (g->resume);
  free (g->continue_);
  free (g->profile);
  cleanup_strvp (&g->env);
  cleanup_strvp (&g->mount);
  free (g->network);
  free (g->remote);
  free (g->project);
  if (ctx->client)
    incus_client_free (ctx->client);
}

/* Walk "coi container exec ..." down the table; the leaf handler parses its
 * own flags.  Flags may precede the command name (cobra persistent flags). */
static int dispatch (struct coi_ctx *ctx, int argc, char **argv, coi_error_t *err)
{
  const struct coi_command *table = coi_root_commands;
  const struct coi_command *cmd = NULL;
  char *path = ctx->cmd_path;
  const size_t path_size = sizeof (ctx->cmd_path);
  path[0] = '\0';
  int i = 1;

  /* Root-only flags. */
  if (argc >= 2 && (!strcmp (argv[1], "--version") || !strcmp (argv[1], "-v")))
    {
      printf ("%s version %s\n", ctx->progname, COI_VERSION);
      return 0;
    }
  for (;;)
    {
      /* Skip leading global flags, and their values, to find the command word. */
      int j = i;
      while (j < argc && argv[j][0] == '-' && strcmp (argv[j], "--") != 0)
        j += coi_global_flag_takes_next (argv[j]) ? 2 : 1;
      if (j > argc)
        j = argc;
      const struct coi_command *next = j < argc ? coi_find_command (table, argv[j]) : NULL;
      if (next == NULL)
        {
          if (cmd == NULL && j < argc && strcmp (argv[j], "--") != 0)
            {
              const char *s = coi_suggest (table, argv[j]);
              if (s)
                {
                  coi_error_usage (err, "unknown command \"%s\" for \"%s\"", argv[j], ctx->progname);
                  coi_error_set_hint (err, "did you mean \"%s\"?", s);
                  return -1;
                }
            }
          if (cmd && cmd->subcommands && !cmd->run)
            {
              if (j < argc && argv[j][0] != '-')
                {
                  const char *s = coi_suggest (cmd->subcommands, argv[j]);
                  coi_error_usage (err, "unknown command \"%s\" for \"%s %s\"", argv[j], ctx->progname, path);
                  if (s)
                    coi_error_set_hint (err, "did you mean \"%s\"?", s);
                  return -1;
                }
              coi_print_help (ctx, cmd, path, NULL);
              return 0;
            }
          break;
        }
      /* Move the command word to the front of the remaining flags. */
      char *word = argv[j];
      memmove (&argv[i + 1], &argv[i], (size_t) (j - i) * sizeof (char *));
      argv[i] = word;
      cmd = next;
      if (path[0])
        strncat (path, " ", path_size - strlen (path) - 1);
      strncat (path, cmd->name, path_size - strlen (path) - 1);
      i++;
      if (!cmd->subcommands)
        break;
      table = cmd->subcommands;
    }

  if (cmd == NULL)
    {
      /* `coi` alone, or `coi --flags`, is `coi shell`. */
      cmd = coi_find_command (coi_root_commands, "shell");
      if (cmd == NULL || (argc >= 2 && (!strcmp (argv[1], "--help") || !strcmp (argv[1], "-h"))))
        {
          coi_print_help (ctx, NULL, "", NULL);
          return 0;
        }
      snprintf (path, path_size, "shell");
      ctx->cmd = cmd;
      argv[0] = (char *) "shell";
      return cmd->run (ctx, argc, argv, err);
    }
  ctx->cmd = cmd;
  return cmd->run (ctx, argc - (i - 1), argv + (i - 1), err);
}

int main (int argc, char **argv)
{
  struct coi_ctx ctx = { .env = (const char *const *) environ };
  coi_cli_sink (&ctx.sink);
  coi_error_t err = NULL;
  _cleanup_free_ char *a0 = strdup (argv[0] ? argv[0] : "coi");
  /* A renamed binary keeps COI's legacy name in help, as COI does. */
  ctx.progname = a0 && strcmp (basename (a0), "coi") == 0 ? "coi" : "claude-on-incus";
  if (argc < 1)
    return 1;
  int rc = dispatch (&ctx, argc, argv, &err);
  if (rc < 0)
    rc = coi_error_report (&err, stderr);
  fflush (stdout);
  ctx_release (&ctx);
  return rc;
}
