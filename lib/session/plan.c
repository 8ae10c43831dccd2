/* From flags and layered configuration to a session plan. */
#include "session/plan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "session/naming.h"
#include "util/statedir.h"
#include "util/cleanup.h"
#include "util/strv.h"

/* The newer key when a layer set it, else the older one, else the default. */
static const char *pick_string (const struct coi_config *cfg, const char *newer, const char *older,
                                const char *fallback)
{
  const char *o = coi_config_origin (cfg, newer);
  const char *v = coi_config_string (cfg, newer);
  if (v && *v && o && strcmp (o, "default") != 0)
    return v;
  v = coi_config_string (cfg, older);
  if (v && *v)
    return v;
  return fallback;
}

static int env_add (char ***v, const char *name, const char *value, coi_error_t *err)
{
  _cleanup_free_ char *kv = NULL;
  if (asprintf (&kv, "%s=%s", name, value) < 0 || coi_strv_push (v, kv) < 0)
    return coi_error_errno (err, ENOMEM, "prepare environment");
  kv = NULL;
  return 0;
}

/* forward_env names copy the host's values; [defaults.environment] sets
 * fixed ones; --env wins over both. */
static int collect_env (struct coi_session_plan *p, coi_error_t *err)
{
  const struct coi_session_request *r = p->req;
  const char *const *fwd = coi_config_strv (p->cfg, "defaults.forward_env");
  for (; fwd && *fwd; fwd++)
    {
      const char *v = coi_env_get (r->env, *fwd);
      if (v && env_add (&p->env, *fwd, v, err) < 0)
        return -1;
    }
  const struct toml_value *map = coi_config_node (p->cfg, "defaults.environment");
  if (map && map->type == TOML_TABLE)
    for (size_t i = 0; i < map->u.tab.n; i++)
      {
        const struct toml_value *val = map->u.tab.items[i].value;
        if (val->type == TOML_STRING && env_add (&p->env, map->u.tab.items[i].key, val->u.s.ptr, err) < 0)
          return -1;
      }
  for (const char *const *e = r->env_flags; e && *e; e++)
    {
      if (**e == '=' || **e == '\0')
        return coi_error_usage (err, "invalid --env '%s': expected KEY=VALUE or KEY", *e);
      const char *eq = strchr (*e, '=');
      if (eq)
        {
          char *kv = strdup (*e);
          if (kv == NULL || coi_strv_push (&p->env, kv) < 0)
            {
              free (kv);
              return coi_error_errno (err, ENOMEM, "prepare environment");
            }
          continue;
        }
      /* --env KEY forwards the host's value, which then never appears on
         coi's own command line either. */
      const char *v = coi_env_get (r->env, *e);
      if (v == NULL)
        return coi_error_usage (err, "invalid --env '%s': %s is not set on the host", *e, *e);
      if (env_add (&p->env, *e, v, err) < 0)
        return -1;
    }
  return 0;
}

/* The test agent, asked for on the host or through --env. */
static bool dummy_requested (const struct coi_session_plan *p)
{
  const char *host = coi_env_get (p->req->env, "COI_USE_DUMMY");
  bool on = host && strcmp (host, "1") == 0;
  for (char **e = p->env; e && *e; e++)
    if (strncmp (*e, "COI_USE_DUMMY=", 14) == 0)
      on = strcmp (*e + 14, "1") == 0;
  return on;
}

static int collect_mounts (struct coi_session_plan *p, coi_error_t *err)
{
  if (coi_mounts_add_config (&p->mounts, p->cfg, err) < 0)
    return -1;
  for (const char *const *m = p->req->mount_flags; m && *m; m++)
    if (coi_mounts_add_spec (&p->mounts, *m, err) < 0)
      return -1;
  return coi_mounts_validate (&p->mounts, COI_WORKSPACE_PATH, err);
}

/* COI documents `coi run "npm test"`: one argument with blanks is a shell
 * command line the user wrote, so it goes to sh -c as one argument. */
static bool is_command_line (const char *const *argv)
{
  return argv[0] && !argv[1] && strpbrk (argv[0], " \t\n;|&<>$`'\"") != NULL;
}

static int plan_command (struct coi_session_plan *p, coi_error_t *err)
{
  const char *const *argv = p->req->command;
  if (argv == NULL || argv[0] == NULL)
    {
      /* No command: the workspace's own ./coi-run. */
      _cleanup_free_ char *local = NULL;
      if (asprintf (&local, "%s/coi-run", p->workspace) < 0)
        return coi_error_errno (err, ENOMEM, "plan the command");
      if (access (local, X_OK) < 0)
        {
          coi_error_usage (err, "no command given and %s is not an executable file", local);
          coi_error_set_hint (err, "usage: coi run [--] COMMAND [ARGS...]");
          return -1;
        }
      const char *def[] = { COI_WORKSPACE_PATH "/coi-run", NULL };
      p->command = coi_strv_dup (def);
    }
  else if (is_command_line (argv))
    {
      const char *sh[] = { "sh", "-c", argv[0], NULL };
      p->command = coi_strv_dup (sh);
    }
  else
    p->command = coi_strv_dup (argv);
  return p->command ? 0 : coi_error_errno (err, ENOMEM, "plan the command");
}

static int plan_launch (struct coi_session_plan *p, coi_error_t *err)
{
  const struct coi_session_request *r = p->req;
  struct coi_session_opts *o = &p->opts;
  if (r->slot < 0)
    return coi_error_usage (err, "invalid slot %d: must be 0 (auto) or more", r->slot);
  o->workspace = p->workspace;
  o->slot = r->slot;
  o->max_slots = (int) coi_config_int (p->cfg, "container.max_slots");
  o->image = r->image && *r->image ? r->image
                                   : pick_string (p->cfg, "container.image", "defaults.image", "coi");
  if (r->persistent >= 0)
    {
      o->persistent = r->persistent == 1;
      o->persistent_explicit = true;
    }
  else
    o->persistent = coi_config_bool (p->cfg, "container.persistent")
                    || coi_config_bool (p->cfg, "defaults.persistent");
  o->resume = r->resume;
  o->profile = coi_config_profile_name (p->cfg);
  o->tool_name = coi_config_string (p->cfg, "tool.name");
  o->tool_binary = coi_config_string (p->cfg, "tool.binary");
  o->use_dummy = dummy_requested (p);
  o->env = (const char *const *) p->env;
  o->mounts = &p->mounts;
  o->disable_shift = coi_config_bool (p->cfg, "incus.disable_shift");
  o->code_uid = (int) coi_config_int (p->cfg, "incus.code_uid");
  if (o->code_uid <= 0)
    o->code_uid = 1000;
  o->storage_pool = coi_config_string (p->cfg, "container.storage_pool");
  o->hooks = &p->hooks;
  o->abort_signals = &p->abort_set;
  o->sink = r->sink;
  o->env_host = r->env;
  return 0;
}

static int plan_user (struct coi_session_plan *p, coi_error_t *err)
{
  p->user_name = coi_config_string (p->cfg, "incus.code_user");
  if (p->user_name == NULL || *p->user_name == '\0')
    p->user_name = "code";
  p->user.uid = p->opts.code_uid;
  p->user.gid = p->opts.code_uid;
  if (asprintf (&p->agent_home, "/home/%s", p->user_name) < 0)
    return coi_error_errno (err, ENOMEM, "plan the session");
  p->user.home = p->agent_home;
  return 0;
}

/* The guard of a local server (one over HTTPS has none on this host). */
static int plan_guard (struct coi_session_plan *p, struct incus_client *c, coi_error_t *err)
{
  const char *sock = incus_client_endpoint (c)->unix_path;
  if (sock == NULL)
    return 0;
  _cleanup_free_ char *state = NULL;
  if (coi_state_dir (&state, err) < 0
      || coi_guard_link_init (&p->guard, sock, coi_env_get (p->req->env, "COI_GUARD_SOCKET"), state, err) < 0)
    return -1;
  p->has_guard = true;
  return 0;
}

int coi_session_plan_init (struct coi_session_plan *p, struct incus_client *c,
                           const struct coi_session_request *req, coi_error_t *err)
{
  memset (p, 0, sizeof (*p));
  p->req = req;
  p->kind = req->kind;
  p->term = coi_env_get (req->env, "TERM");
  sigemptyset (&p->abort_set);
  sigaddset (&p->abort_set, SIGINT);
  sigaddset (&p->abort_set, SIGTERM);
  sigaddset (&p->abort_set, SIGHUP);
  if (coi_workspace_abs (req->workspace, &p->workspace, err) < 0)
    return -1;
  struct coi_config_load_opts lo = { .workspace = p->workspace, .profile = req->profile, .env = req->env };
  if (coi_config_load (&lo, &p->cfg, err) < 0 || collect_env (p, err) < 0
      || collect_mounts (p, err) < 0
      || (p->kind == COI_SESSION_COMMAND && plan_command (p, err) < 0) || plan_guard (p, c, err) < 0
      || coi_guards_from_config (&p->guards, c, p->has_guard ? &p->guard : NULL, p->cfg, req->network, err) < 0)
    return -1;
  p->guards.sink = req->sink;
  coi_guards_hooks (&p->guards, &p->hooks);
  return plan_launch (p, err) < 0 ? -1 : plan_user (p, err);
}

void coi_session_plan_clear (struct coi_session_plan *p)
{
  coi_guards_clear (&p->guards);
  coi_guard_link_clear (&p->guard);
  if (p->cfg)
    coi_config_free (p->cfg);
  coi_mounts_clear (&p->mounts);
  cleanup_strvp (&p->env);
  cleanup_strvp (&p->command);
  free (p->workspace);
  free (p->agent_home);
  memset (p, 0, sizeof (*p));
}
