/* The command table (git style) and the context every command runs in. */
#ifndef COI_CLI_COMMAND_H
#define COI_CLI_COMMAND_H

#include <stdbool.h>

#include "util/error.h"
#include "util/hostenv.h"
#include "util/sink.h"

struct incus_client;

enum coi_opt_type
{
  OPT_BOOL,      /* --flag, --flag=true|false */
  OPT_STRING,    /* --flag VALUE */
  OPT_INT,       /* --flag N */
  OPT_STRV,      /* repeatable --flag VALUE, appended to a NULL-terminated char** */
  OPT_STRV_CSV,  /* like OPT_STRV, and a value is also split on commas (cobra StringSlice) */
  OPT_OPTSTRING, /* --flag[=VALUE]; bare flag stores `implicit` */
};

struct coi_opt
{
  const char *name;
  char short_name;
  enum coi_opt_type type;
  size_t offset; /* offset of the target within the options struct, see OPT_AT */
  const char *help;
  const char *implicit; /* OPT_OPTSTRING value when no "=VALUE" is given */
  const char *metavar;
};
#define OPT_AT(type, field) __builtin_offsetof (type, field)
#define OPT_END { NULL, 0, 0, 0, NULL, NULL, NULL }

/* Options shared by every command (cobra persistent flags in COI). */
struct coi_global_opts
{
  char *workspace;
  int slot;
  char *image;
  bool persistent;
  bool persistent_set;
  char *resume;
  char *continue_;
  char *profile;
  char **env;
  char **mount;
  char *network;
  char *remote;
  char *project;
  bool help;
};

struct coi_ctx
{
  const char *progname;           /* "coi", or "claude-on-incus" when renamed */
  const char *const *env;         /* the process environment, taken once in main */
  struct coi_global_opts global;
  struct incus_client *client;    /* opened on first use by coi_ctx_client */
  const struct coi_command *cmd;  /* the command being run */
  char cmd_path[256];             /* "container exec" */
  struct coi_guard_link *guard;   /* opened on first use by coi_ctx_guard */
  struct coi_sink sink;           /* the library's notices, as this CLI shows them */
};

struct coi_command
{
  const char *name;
  const char *summary;
  const char *usage;   /* after "coi <path> " */
  const char *details; /* longer help text, may be NULL */
  /* Returns an exit code; on failure returns -1 with *err set. */
  int (*run) (struct coi_ctx *ctx, int argc, char **argv, coi_error_t *err);
  const struct coi_command *subcommands; /* NULL-name terminated */
  bool hidden;
};

/* Parse argv (argv[0] is the command name) against the command's options
 * plus the global ones.  Stops at "--" when stop_at_dashdash; positional
 * arguments are compacted into *pos (NULL-terminated, borrowed from argv).
 * Returns 0, or -1 with a usage error. */
struct coi_parsed
{
  int npos;
  char **pos;
  int dashdash; /* index in pos where "--" stood, or -1 */
};
int coi_parse_options (struct coi_ctx *ctx, const struct coi_opt *opts, void *target, int argc,
                       char **argv, bool stop_at_first_positional, struct coi_parsed *out,
                       coi_error_t *err);
void coi_parsed_free (struct coi_parsed *p);

/* Print "--help" text for a command with its options. */
void coi_print_help (struct coi_ctx *ctx, const struct coi_command *cmd, const char *path,
                     const struct coi_opt *opts);

/* The Incus client, opened once per invocation from --remote/--project and config. */
int coi_ctx_client (struct coi_ctx *ctx, struct incus_client **out, coi_error_t *err);
/* The server's guard service (NULL *out: a remote server, none here). */
struct coi_guard_link;
int coi_ctx_guard (struct coi_ctx *ctx, struct coi_guard_link **out, coi_error_t *err);

extern const struct coi_command coi_root_commands[];
const struct coi_command *coi_find_command (const struct coi_command *table, const char *name);
/* The closest command name, for "did you mean" (NULL if none is close). */
const char *coi_suggest (const struct coi_command *table, const char *name);

/* The usual start of a handler: parse flags, print help for --help.
 * Returns 1 when help was printed (the handler returns 0), 0 to go on, -1 on error. */
int coi_cmd_parse (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts,
                   void *target, bool stop_at_first_positional, struct coi_parsed *out,
                   coi_error_t *err);

/* Helpers used by handlers. */
#define COI_HANDLER(fn) int fn (struct coi_ctx *ctx, int argc, char **argv, coi_error_t *err)

#endif
