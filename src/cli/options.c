/* Flag parsing shared by every command: cobra-compatible (--flag=value,
 * --flag value, -f value, -fvalue, bundled short booleans, flags anywhere
 * among the positionals, "--" ends the flags). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "util/cleanup.h"

#define G(field) OPT_AT (struct coi_global_opts, field)
static const struct coi_opt global_opts[] = {
  { "workspace", 'w', OPT_STRING, G (workspace), "Workspace directory to mount", NULL, "DIR" },
  { "slot", 0, OPT_INT, G (slot), "Slot number for parallel sessions (0 = auto-allocate)", NULL, "N" },
  { "image", 0, OPT_STRING, G (image), "Custom image to use (default: coi)", NULL, "IMAGE" },
  { "persistent", 0, OPT_BOOL, G (persistent), "Reuse container across sessions", NULL, NULL },
  { "resume", 0, OPT_OPTSTRING, G (resume), "Resume from session ID (omit value to auto-detect)", "auto", "ID" },
  { "continue", 0, OPT_OPTSTRING, G (continue_), "Alias for --resume", "auto", "ID" },
  { "profile", 0, OPT_STRING, G (profile), "Use named profile", NULL, "NAME" },
  { "env", 'e', OPT_STRV_CSV, G (env), "Environment variables (KEY=VALUE)", NULL, "KEY=VALUE" },
  { "mount", 0, OPT_STRV, G (mount), "Mount directory (HOST:CONTAINER, repeatable)", NULL, "HOST:CONTAINER" },
  { "network", 0, OPT_STRING, G (network), "Network mode: restricted (default), allowlist, open", NULL, "MODE" },
  { "remote", 0, OPT_STRING, G (remote), "Incus remote to use (default: the incus client's default remote)", NULL, "NAME" },
  { "project", 0, OPT_STRING, G (project), "Incus project to use", NULL, "NAME" },
  { "help", 'h', OPT_BOOL, G (help), "Show help", NULL, NULL },
  OPT_END,
};
#undef G

const struct coi_opt *coi_global_options (void)
{
  return global_opts;
}

static int parse_bool (const char *v, bool *out)
{
  if (!strcmp (v, "true") || !strcmp (v, "1") || !strcmp (v, "t") || !strcmp (v, "TRUE") || !strcmp (v, "True"))
    *out = true;
  else if (!strcmp (v, "false") || !strcmp (v, "0") || !strcmp (v, "f") || !strcmp (v, "FALSE") || !strcmp (v, "False"))
    *out = false;
  else
    return -1;
  return 0;
}

static int strv_push (char ***v, const char *s)
{
  size_t n = 0;
  if (*v)
    while ((*v)[n])
      n++;
  char **nv = realloc (*v, (n + 2) * sizeof (char *));
  if (nv == NULL)
    return -1;
  *v = nv;
  if ((nv[n] = strdup (s)) == NULL)
    return -1;
  nv[n + 1] = NULL;
  return 0;
}

static int store (struct coi_ctx *ctx, const struct coi_opt *o, void *base, const char *flag,
                  const char *value, coi_error_t *err)
{
  char *p = (char *) base + o->offset;
  switch (o->type)
    {
    case OPT_BOOL:
      {
        bool b = true;
        if (value && parse_bool (value, &b) < 0)
          return coi_error_usage (err, "invalid argument \"%s\" for \"%s\" flag: expected true or false", value, flag);
        *(bool *) p = b;
        if (base == &ctx->global && o->offset == OPT_AT (struct coi_global_opts, persistent))
          ctx->global.persistent_set = true;
        return 0;
      }
    case OPT_INT:
      {
        char *end = NULL;
        errno = 0;
        long n = strtol (value, &end, 10);
        if (errno || end == value || *end || n < INT_MIN || n > INT_MAX)
          return coi_error_usage (err, "invalid argument \"%s\" for \"%s\" flag: not an integer", value, flag);
        *(int *) p = (int) n;
        return 0;
      }
    case OPT_STRING:
    case OPT_OPTSTRING:
      {
        char **s = (char **) p;
        free (*s);
        *s = strdup (value);
        return *s ? 0 : coi_error_errno (err, ENOMEM, "parse flags");
      }
    case OPT_STRV:
      return strv_push ((char ***) p, value) < 0 ? coi_error_errno (err, ENOMEM, "parse flags") : 0;
    case OPT_STRV_CSV:
      {
        _cleanup_free_ char *copy = strdup (value);
        if (copy == NULL)
          return coi_error_errno (err, ENOMEM, "parse flags");
        char *save = NULL;
        for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
          if (strv_push ((char ***) p, tok) < 0)
            return coi_error_errno (err, ENOMEM, "parse flags");
        return 0;
      }
    }
  return 0;
}

struct lookup
{
  const struct coi_opt *opt;
  void *base;
};

static struct lookup find_long (struct coi_ctx *ctx, const struct coi_opt *opts, void *target,
                                const char *name, size_t len)
{
  for (const struct coi_opt *o = opts; o && o->name; o++)
    if (strlen (o->name) == len && !strncmp (o->name, name, len))
      return (struct lookup) { o, target };
  for (const struct coi_opt *o = global_opts; o->name; o++)
    if (strlen (o->name) == len && !strncmp (o->name, name, len))
      return (struct lookup) { o, &ctx->global };
  return (struct lookup) { NULL, NULL };
}

static struct lookup find_short (struct coi_ctx *ctx, const struct coi_opt *opts, void *target, char c)
{
  for (const struct coi_opt *o = opts; o && o->name; o++)
    if (o->short_name == c)
      return (struct lookup) { o, target };
  for (const struct coi_opt *o = global_opts; o->name; o++)
    if (o->short_name == c)
      return (struct lookup) { o, &ctx->global };
  return (struct lookup) { NULL, NULL };
}

static bool takes_value (const struct coi_opt *o)
{
  return o->type != OPT_BOOL && o->type != OPT_OPTSTRING;
}

void coi_parsed_free (struct coi_parsed *p)
{
  free (p->pos);
  p->pos = NULL;
  p->npos = 0;
}

int coi_parse_options (struct coi_ctx *ctx, const struct coi_opt *opts, void *target, int argc,
                       char **argv, bool stop_at_first_positional, struct coi_parsed *out,
                       coi_error_t *err)
{
  out->npos = 0;
  out->dashdash = -1;
  out->pos = calloc ((size_t) argc + 1, sizeof (char *));
  if (out->pos == NULL)
    return coi_error_errno (err, ENOMEM, "parse flags");

  bool flags_done = false;
  for (int i = 1; i < argc; i++)
    {
      char *a = argv[i];
      if (flags_done || a[0] != '-' || a[1] == '\0')
        {
          out->pos[out->npos++] = a;
          if (stop_at_first_positional)
            flags_done = true;
          continue;
        }
      if (!strcmp (a, "--"))
        {
          flags_done = true;
          out->dashdash = out->npos;
          continue;
        }
      if (a[1] == '-')
        {
          const char *name = a + 2;
          const char *eq = strchr (name, '=');
          size_t len = eq ? (size_t) (eq - name) : strlen (name);
          struct lookup l = find_long (ctx, opts, target, name, len);
          if (l.opt == NULL)
            {
              coi_parsed_free (out);
              return coi_error_usage (err, "unknown flag: --%.*s", (int) len, name);
            }
          const char *value = eq ? eq + 1 : NULL;
          if (l.opt->type == OPT_OPTSTRING && value == NULL)
            value = l.opt->implicit;
          if (takes_value (l.opt) && value == NULL)
            {
              if (i + 1 >= argc)
                {
                  coi_parsed_free (out);
                  return coi_error_usage (err, "flag needs an argument: --%s", l.opt->name);
                }
              value = argv[++i];
            }
          _cleanup_free_ char *flag = NULL;
          if (asprintf (&flag, "--%s", l.opt->name) < 0
              || store (ctx, l.opt, l.base, flag, value, err) < 0)
            {
              coi_parsed_free (out);
              return err && *err ? -1 : coi_error_errno (err, ENOMEM, "parse flags");
            }
          continue;
        }
      /* Short flags, possibly bundled: -fa, -wDIR, -w DIR */
      for (char *s = a + 1; *s; s++)
        {
          struct lookup l = find_short (ctx, opts, target, *s);
          if (l.opt == NULL)
            {
              coi_parsed_free (out);
              return coi_error_usage (err, "unknown shorthand flag: '%c' in %s", *s, a);
            }
          char flag[3] = { '-', *s, 0 };
          const char *value = NULL;
          if (takes_value (l.opt))
            {
              if (s[1])
                value = s[1] == '=' ? s + 2 : s + 1;
              else if (i + 1 < argc)
                value = argv[++i];
              else
                {
                  coi_parsed_free (out);
                  return coi_error_usage (err, "flag needs an argument: '%c' in %s", *s, a);
                }
              if (store (ctx, l.opt, l.base, flag, value, err) < 0)
                {
                  coi_parsed_free (out);
                  return -1;
                }
              break;
            }
          if (l.opt->type == OPT_OPTSTRING)
            value = l.opt->implicit;
          if (store (ctx, l.opt, l.base, flag, value, err) < 0)
            {
              coi_parsed_free (out);
              return -1;
            }
        }
    }
  return 0;
}

int coi_cmd_parse (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts,
                   void *target, bool stop_at_first_positional, struct coi_parsed *out,
                   coi_error_t *err)
{
  if (coi_parse_options (ctx, opts, target, argc, argv, stop_at_first_positional, out, err) < 0)
    {
      coi_error_set_hint (err, "see '%s %s --help'", ctx->progname, ctx->cmd_path);
      return -1;
    }
  if (ctx->global.help)
    {
      coi_print_help (ctx, ctx->cmd, ctx->cmd_path, opts);
      coi_parsed_free (out);
      return 1;
    }
  return 0;
}
