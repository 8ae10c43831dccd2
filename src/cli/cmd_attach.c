/* coi attach [NAME] [--bash] [--slot N]: the terminal joins a running
 * session's tmux (or a bash shell in the container). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/targets.h"
#include "session/agent.h"
#include "session/naming.h"
#include "util/cleanup.h"

struct attach_opts
{
  bool bash;
};

static const struct coi_opt attach_options[] = {
  { "bash", 0, OPT_BOOL, OPT_AT (struct attach_opts, bash), "Attach to a bash shell instead of the tmux session", NULL, NULL },
  OPT_END,
};

static int pick (struct coi_ctx *ctx, char **pos, int npos, char **name, coi_error_t *err)
{
  if (npos == 1)
    return (*name = strdup (pos[0])) ? 0 : coi_error_make (err, 0, "attach: out of memory");
  if (ctx->global.slot > 0)
    {
      _cleanup_free_ char *ws = NULL;
      if (coi_workspace_abs (ctx->global.workspace, &ws, err) < 0)
        return -1;
      return coi_container_name (ws, ctx->global.slot, name, err);
    }
  struct coi_targets t;
  if (coi_targets_resolve (ctx, NULL, 0, true, &t, err) < 0)
    {
      coi_targets_clear (&t);
      return -1;
    }
  const struct coi_instance_info *only = NULL;
  size_t running = 0;
  for (size_t i = 0; i < t.n; i++)
    if (strcmp (t.items[i]->status, "Running") == 0)
      {
        only = t.items[i];
        running++;
      }
  int r = 0;
  if (running == 0)
    r = coi_error_make (err, 0, "no running sessions to attach to");
  else if (running > 1)
    {
      printf ("Multiple running sessions:\n");
      for (size_t i = 0; i < t.n; i++)
        if (strcmp (t.items[i]->status, "Running") == 0)
          printf ("  %s\n", t.items[i]->name);
      printf ("\nUse: %s attach <container-name>\n", ctx->progname);
      r = coi_error_make (err, 0, "more than one running session: name the container");
    }
  else if ((*name = strdup (only->name)) == NULL)
    r = coi_error_make (err, 0, "attach: out of memory");
  coi_targets_clear (&t);
  return r;
}

COI_HANDLER (cmd_attach)
{
  struct attach_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, attach_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos > 1)
    return coi_error_usage (err, "attach takes at most one container name");
  _cleanup_free_ char *name = NULL;
  struct incus_client *c;
  if (pick (ctx, pos, p.npos, &name, err) < 0 || coi_ctx_client (ctx, &c, err) < 0)
    return -1;

  struct coi_agent_user u = { 1000, 1000, "/home/code" };
  _cleanup_strv_ char **env = NULL;
  if (coi_agent_env (&u, "code", coi_env_get (ctx->env, "TERM"), NULL, &env, err) < 0)
    return -1;
  if (!o.bash)
    {
      int running = coi_agent_running (c, name, &u, err);
      if (running < 0)
        return -1;
      if (running == 0)
        {
          coi_error_make (err, 0, "no tmux session coi-%s in %s", name, name);
          coi_error_set_hint (err, "use `%s attach %s --bash` for a shell", ctx->progname, name);
          return -1;
        }
    }
  int code = 0;
  struct coi_agent_call a = { .container = name, .user = &u, .base_env = (const char *const *) env,
                              .sink = &ctx->sink };
  if (coi_agent_attach (c, &a, o.bash, &code, err) < 0)
    return -1;
  return o.bash ? code : 0;
}
