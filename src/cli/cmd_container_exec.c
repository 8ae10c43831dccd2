/* coi container exec <name> [--user N] [--group N] [--env K=V]... [--cwd D]
 *                         [--capture [--format json|raw]] [-t|--tty] -- cmd...
 *
 * Without --capture the command's streams are ours and its exit code is ours
 * (a pty when -t, or when stdin and stdout are terminals).  --capture
 * --format json prints {"stdout","stderr","exit_code"} and exits 0; raw
 * prints the command's stdout (stderr to ours) and exits with its code.
 * Captured output is held in memory: more than INCUS_EXEC_CAPTURE_LIMIT
 * (64 MiB) on a stream fails the command with a hint. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/output.h"
#include "incus/exec.h"
#include "incus/exec_env.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/size.h"

#define USAGE "<name> [flags] -- <command> [args...]"
/* Any user may remove its own file there (sticky), whatever its home. */
#define ENV_DIR "/tmp"

struct exec_opts
{
  int user, group; /* -1: not given, the server's default */
  char **env;
  char *cwd;
  bool capture;
  char *format;
  bool tty;
};

static const struct coi_opt exec_options[] = {
  { "user", 0, OPT_INT, OPT_AT (struct exec_opts, user), "User ID to run as", NULL, "UID" },
  { "group", 0, OPT_INT, OPT_AT (struct exec_opts, group), "Group ID to run as", NULL, "GID" },
  { "env", 0, OPT_STRV, OPT_AT (struct exec_opts, env), "Environment variable (KEY=VALUE, or KEY for the host's value; repeatable)", NULL, "KEY=VALUE" },
  { "cwd", 0, OPT_STRING, OPT_AT (struct exec_opts, cwd), "Working directory (default /workspace)", NULL, "DIR" },
  { "capture", 0, OPT_BOOL, OPT_AT (struct exec_opts, capture), "Capture output instead of streaming it (at most 64 MiB per stream)", NULL, NULL },
  { "format", 0, OPT_STRING, OPT_AT (struct exec_opts, format), "Output format with --capture: json or raw", NULL, "FORMAT" },
  { "tty", 't', OPT_BOOL, OPT_AT (struct exec_opts, tty), "Allocate a pseudo-terminal", NULL, NULL },
  OPT_END,
};

static void opts_clear (struct exec_opts *o)
{
  cleanup_strvp (&o->env);
  free (o->cwd);
  free (o->format);
}

/* One --env entry: KEY=VALUE, or KEY alone for the host's value (which
 * then is on no command line at all, not even coi's). */
static int env_entry (const char *e, char **out, coi_error_t *err)
{
  if (strchr (e, '=') != NULL)
    return (*out = strdup (e)) ? 0 : coi_error_errno (err, ENOMEM, "exec");
  const char *v = *e ? getenv (e) : NULL;
  if (v == NULL)
    return coi_error_usage (err, "invalid --env '%s': expected KEY=VALUE, or KEY set on the host",
                            e);
  return asprintf (out, "%s=%s", e, v) < 0 ? coi_error_errno (err, ENOMEM, "exec") : 0;
}

/* --env values, then the global -e ones (cobra shadows the persistent flag
 * by name only, so both spellings reach us).  Caller frees. */
static char **merged_env (struct coi_ctx *ctx, struct exec_opts *o, coi_error_t *err)
{
  size_t n = 0, m = 0;
  for (char **e = o->env; e && *e; e++)
    n++;
  for (char **e = ctx->global.env; e && *e; e++)
    m++;
  _cleanup_strv_ char **all = calloc (n + m + 1, sizeof (char *));
  if (all == NULL)
    {
      coi_error_errno (err, ENOMEM, "exec");
      return NULL;
    }
  for (size_t i = 0; i < n + m; i++)
    if (env_entry (i < n ? o->env[i] : ctx->global.env[i - n], &all[i], err) < 0)
      return NULL;
  return steal_pointer (&all);
}

/* JSON strings must be UTF-8: invalid bytes become U+FFFD, as Go's
 * encoding/json does for COI. */
static char *valid_utf8 (const char *s, size_t len, size_t *out_len)
{
  _cleanup_buf_ struct buf b = { 0 };
  size_t i = 0;
  while (i < len)
    {
      unsigned char c = (unsigned char) s[i];
      size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
      bool ok = n > 0 && i + n <= len;
      for (size_t k = 1; ok && k < n; k++)
        ok = ((unsigned char) s[i + k] & 0xc0) == 0x80;
      if (ok && n > 1)
        {
          /* Reject overlong forms, surrogates and values past U+10FFFF. */
          unsigned cp = c & (0xff >> (n + 1));
          for (size_t k = 1; k < n; k++)
            cp = (cp << 6) | ((unsigned char) s[i + k] & 0x3f);
          static const unsigned min[] = { 0, 0, 0x80, 0x800, 0x10000 };
          ok = cp >= min[n] && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
        }
      int r = ok ? buf_append (&b, s + i, n) : buf_append (&b, "\xef\xbf\xbd", 3);
      if (r < 0)
        return NULL;
      i += ok ? n : 1;
    }
  *out_len = b.len;
  return buf_steal (&b);
}

static int print_capture_json (struct buf *out, struct buf *errb, int code, coi_error_t *err)
{
  size_t olen = 0, elen = 0;
  _cleanup_free_ char *o = valid_utf8 (out->data ? out->data : "", out->len, &olen);
  _cleanup_free_ char *e = valid_utf8 (errb->data ? errb->data : "", errb->len, &elen);
  /* Lengths, not C strings: the output may hold NUL bytes (\u0000). */
  _cleanup_json_ json_t *j = o && e ? json_pack ("{s:s%, s:s%, s:i}", "stdout", o, olen, "stderr", e,
                                                 elen, "exit_code", code)
                                    : NULL;
  if (j == NULL)
    return coi_error_errno (err, ENOMEM, "print output");
  return coi_print_json (j, err);
}

/* Output past the capture limit: what the limit is, and the way around it. */
static int capture_error (coi_error_t *err)
{
  char lim[32];
  if (*err && (*err)->status == EFBIG)
    coi_error_set_hint (err, "--capture keeps at most %s of stdout and of stderr; without "
                             "--capture the output is streamed, with no limit",
                        coi_size_str (INCUS_EXEC_CAPTURE_LIMIT, lim));
  return -1;
}

COI_HANDLER (cmd_container_exec)
{
  __attribute__ ((cleanup (opts_clear))) struct exec_opts o = { .user = -1, .group = -1 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, exec_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;

  /* The name comes before "--"; everything after it is the command. */
  int cmd_at = p.dashdash >= 0 ? p.dashdash : 1;
  if (p.npos < 2 || cmd_at != 1 || cmd_at >= p.npos)
    {
      coi_error_usage (err, "requires a container name and a command");
      coi_error_set_hint (err, "usage: %s container exec %s", ctx->progname, USAGE);
      return -1;
    }
  if (o.format && !o.capture)
    return coi_error_usage (err, "--format can only be used with --capture");
  const char *format = o.format ? o.format : "json";
  if (strcmp (format, "json") != 0 && strcmp (format, "raw") != 0)
    return coi_error_usage (err, "invalid format '%s': must be 'json' or 'raw'", format);

  _cleanup_strv_ char **env = merged_env (ctx, &o, err);
  if (env == NULL)
    return -1;
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;

  /* The variables go through a file (incus/exec_env.h): in the request
     they would be on a host command line for as long as the command runs. */
  struct incus_exec_opts eo = INCUS_EXEC_OPTS_INIT;
  eo.argv = (const char *const *) &pos[cmd_at];
  eo.cwd = o.cwd ? o.cwd : "/workspace";
  eo.uid = o.user;
  eo.gid = o.group;
  int code = -1;
  if (!o.capture)
    {
      eo.interactive = o.tty || (isatty (0) && isatty (1));
      eo.stdin_fd = 0;
      eo.stdout_fd = 1;
      eo.stderr_fd = 2;
      fflush (stdout);
      if (incus_exec_with_env_file (c, pos[0], &eo, ENV_DIR, (const char *const *) env, NULL,
                                    NULL, &code, err) < 0)
        return -1;
      return code;
    }

  _cleanup_buf_ struct buf out = { 0 }, errb = { 0 };
  if (incus_exec_with_env_file (c, pos[0], &eo, ENV_DIR, (const char *const *) env, &out, &errb,
                                &code, err) < 0)
    return capture_error (err);
  if (strcmp (format, "raw") == 0)
    {
      fflush (stdout);
      if (coi_write_all (1, out.data ? out.data : "", out.len) < 0
          || coi_write_all (2, errb.data ? errb.data : "", errb.len) < 0)
        return coi_error_errno (err, errno, "print output");
      return code;
    }
  if (print_capture_json (&out, &errb, code, err) < 0)
    return -1;
  return 0;
}
