/* coi health [--format text|json] [--verbose]: everything coi needs,
 * checked, one line each; exit 0 healthy, 1 degraded, 2 unhealthy
 * (docs/health.md).  The checks live in lib/health; this gathers what they
 * look at. */
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_config.h"
#include "cli/command.h"
#include "cli/output.h"
#include "health/health.h"
#include "incus/client.h"
#include "monitor/paths.h"
#include "netpolicy/nft.h"
#include "session/metadata.h"
#include "session/naming.h"
#include "util/cleanup.h"

struct health_opts
{
  char *format;
  bool verbose;
};

static const struct coi_opt health_options[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct health_opts, format), "Output format: text or json", NULL, "FORMAT" },
  { "verbose", 'v', OPT_BOOL, OPT_AT (struct health_opts, verbose), "Show each check's details", NULL, NULL },
  OPT_END,
};

/* The set-up script beside this binary (<root>/<build>/src/cli/coi), which
 * mends a missing server, pool, bridge or id map; else its path in a
 * checkout. */
static char *setup_command (void)
{
  char exe[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  char *out = NULL;
  if (n > 0)
    {
      exe[n] = '\0';
      for (int up = 0; up < 4; up++)
        {
          char *slash = strrchr (exe, '/');
          if (slash == NULL || slash == exe)
            break;
          *slash = '\0';
        }
      struct stat st;
      _cleanup_free_ char *script = NULL;
      if (asprintf (&script, "%s/scripts/coi-up.sh", exe) >= 0 && stat (script, &st) == 0
          && asprintf (&out, "%s --no-shell", script) >= 0)
        return out;
    }
  return strdup ("scripts/coi-up.sh --no-shell");
}

static const char *env_or (struct coi_ctx *ctx, const char *name, const char *def)
{
  return coi_env_get_or (ctx->env, name, def);
}

static int health (struct coi_ctx *ctx, int argc, char **argv, coi_error_t *err)
{
  struct health_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, health_options, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos)
    return coi_error_usage (err, "health takes no arguments");
  if (coi_check_format (format, "text|json", err) < 0)
    return -1;

  _cleanup_config_ struct coi_config *cfg = NULL;
  _cleanup_error_ coi_error_t cfg_err = NULL, client_err = NULL;
  if (coi_ctx_config (ctx, true, &cfg, &cfg_err) < 0)
    cfg = NULL;
  struct incus_client *client = NULL;
  if (coi_ctx_client (ctx, &client, &client_err) < 0)
    client = NULL;
  const struct incus_endpoint *ep = client ? incus_client_endpoint (client) : NULL;
  struct passwd *pw = getpwuid (getuid ());
  _cleanup_free_ char *state_dir = NULL, *run_dir = NULL, *setup = setup_command ();
  struct coi_guard_link *guard = NULL;
  _cleanup_error_ coi_error_t guard_err = NULL;
  if (client && coi_ctx_guard (ctx, &guard, &guard_err) < 0)
    guard = NULL;
  if (coi_state_dir (&state_dir, err) < 0 || coi_run_dir_peek (&run_dir, err) < 0)
    return -1;
  struct coi_health_input in = {
    .client = client,
    .client_error = client_err ? client_err->msg : NULL,
    .socket_path = ep ? ep->unix_path : NULL,
    .config = cfg,
    .config_error = cfg_err ? cfg_err->msg : NULL,
    .uid = getuid (),
    .gid = getgid (),
    .user = pw ? pw->pw_name : NULL,
    /* Tests point these at copies: the real files are the machine's. */
    .subuid_path = env_or (ctx, "COI_SUBUID_FILE", "/etc/subuid"),
    .subgid_path = env_or (ctx, "COI_SUBGID_FILE", "/etc/subgid"),
    .state_dir = state_dir,
    .run_dir = run_dir,
    .container_prefix = coi_container_prefix (),
    .setup_command = setup,
    .privileged = coi_nft_may_admin (),
    .guard = guard,
  };
  __attribute__ ((cleanup (coi_health_report_clear))) struct coi_health_report rep = { 0 };
  if (setup == NULL)
    return coi_error_make (err, 0, "health: out of memory");
  if (coi_health_run (&in, &rep, err) < 0)
    return -1;
  if (format && strcmp (format, "json") == 0)
    {
      _cleanup_json_ json_t *j = coi_health_json (&rep);
      if (j == NULL || coi_print_json (j, err) < 0)
        return j ? -1 : coi_error_make (err, 0, "health: cannot encode JSON");
    }
  else
    {
      _cleanup_free_ char *text = coi_health_text (&rep, o.verbose);
      if (text == NULL)
        return coi_error_make (err, 0, "health: out of memory");
      fputs (text, stdout);
    }
  return coi_health_exit_code (&rep);
}

COI_HANDLER (cmd_health)
{
  int r = health (ctx, argc, argv, err);
  /* Exit 1 would read as "degraded": a health that could not judge, or was
   * asked wrongly, is 2 like a usage error. */
  if (r < 0 && err && *err)
    (*err)->exit_code = 2;
  return r;
}
