/* From flags and layered configuration to session options. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/session_cli.h"
#include "config/config.h"
#include "incus/instance.h"
#include "session/naming.h"
#include "session/tool_state.h"
#include "util/cleanup.h"

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

static int env_append (char ***v, size_t *n, const char *kv, coi_error_t *err)
{
  char **nv = realloc (*v, (*n + 2) * sizeof (char *));
  if (nv == NULL)
    return coi_error_errno (err, ENOMEM, "prepare environment");
  *v = nv;
  if ((nv[*n] = strdup (kv)) == NULL)
    return coi_error_errno (err, ENOMEM, "prepare environment");
  nv[++*n] = NULL;
  return 0;
}

/* forward_env names copy the host's values; [defaults.environment] sets
 * fixed ones; --env wins over both. */
static int collect_env (struct coi_ctx *ctx, struct coi_session_cli *sc, coi_error_t *err)
{
  size_t n = 0;
  const char *const *fwd = coi_config_strv (sc->cfg, "defaults.forward_env");
  for (; fwd && *fwd; fwd++)
    {
      const char *v = getenv (*fwd);
      _cleanup_free_ char *kv = NULL;
      if (v == NULL)
        continue;
      if (asprintf (&kv, "%s=%s", *fwd, v) < 0)
        return coi_error_errno (err, ENOMEM, "prepare environment");
      if (env_append (&sc->env, &n, kv, err) < 0)
        return -1;
    }
  const struct toml_value *map = coi_config_node (sc->cfg, "defaults.environment");
  if (map && map->type == TOML_TABLE)
    for (size_t i = 0; i < map->u.tab.n; i++)
      {
        const struct toml_value *val = map->u.tab.items[i].value;
        _cleanup_free_ char *kv = NULL;
        if (val->type != TOML_STRING)
          continue;
        if (asprintf (&kv, "%s=%s", map->u.tab.items[i].key, val->u.s.ptr) < 0)
          return coi_error_errno (err, ENOMEM, "prepare environment");
        if (env_append (&sc->env, &n, kv, err) < 0)
          return -1;
      }
  for (char **e = ctx->global.env; e && *e; e++)
    {
      if (**e == '=' || **e == '\0')
        return coi_error_usage (err, "invalid --env '%s': expected KEY=VALUE or KEY", *e);
      if (strchr (*e, '=') == NULL)
        {
          /* --env KEY forwards the host's value, which then never appears
             on coi's own command line either. */
          const char *v = getenv (*e);
          _cleanup_free_ char *kv = NULL;
          if (v == NULL)
            return coi_error_usage (err, "invalid --env '%s': %s is not set on the host", *e, *e);
          if (asprintf (&kv, "%s=%s", *e, v) < 0 || env_append (&sc->env, &n, kv, err) < 0)
            return err && *err ? -1 : coi_error_errno (err, ENOMEM, "prepare environment");
          continue;
        }
      if (env_append (&sc->env, &n, *e, err) < 0)
        return -1;
    }
  return 0;
}

static bool dummy_requested (struct coi_session_cli *sc)
{
  const char *host = getenv ("COI_USE_DUMMY");
  bool on = host && strcmp (host, "1") == 0;
  for (char **e = sc->env; e && *e; e++)
    if (strncmp (*e, "COI_USE_DUMMY=", 14) == 0)
      on = strcmp (*e + 14, "1") == 0;
  return on;
}

static int collect_mounts (struct coi_ctx *ctx, struct coi_session_cli *sc, coi_error_t *err)
{
  if (coi_mounts_add_config (&sc->mounts, sc->cfg, err) < 0)
    return -1;
  for (char **m = ctx->global.mount; m && *m; m++)
    if (coi_mounts_add_spec (&sc->mounts, *m, err) < 0)
      return -1;
  return coi_mounts_validate (&sc->mounts, COI_WORKSPACE_PATH, err);
}

int coi_session_cli_prepare (struct coi_ctx *ctx, struct coi_session_cli *sc, coi_error_t *err)
{
  struct coi_global_opts *g = &ctx->global;
  _cleanup_free_ char *ws = NULL;
  memset (sc, 0, sizeof (*sc));
  if (coi_workspace_abs (g->workspace, &ws, err) < 0)
    return -1;

  struct coi_config_load_opts lo = { .workspace = ws, .profile = g->profile, .env = ctx->env };
  if (coi_config_load (&lo, &sc->cfg, err) < 0)
    return -1;

  if (collect_env (ctx, sc, err) < 0 || collect_mounts (ctx, sc, err) < 0)
    return -1;
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0
      || coi_guards_from_config (&sc->guards, c, sc->cfg, g->network, err) < 0)
    return -1;
  coi_guards_hooks (&sc->guards, &sc->hooks);
  sc->opts.hooks = &sc->hooks;

  struct coi_session_opts *o = &sc->opts;
  sc->workspace = steal_pointer (&ws);
  o->workspace = sc->workspace;
  o->slot = g->slot;
  if (g->slot < 0)
    return coi_error_usage (err, "invalid slot %d: must be 0 (auto) or more", g->slot);
  o->max_slots = (int) coi_config_int (sc->cfg, "container.max_slots");
  o->image = g->image && *g->image ? g->image : pick_string (sc->cfg, "container.image", "defaults.image", "coi");
  if (g->persistent_set)
    {
      o->persistent = g->persistent;
      o->persistent_explicit = true;
    }
  else
    o->persistent = coi_config_bool (sc->cfg, "container.persistent")
                    || coi_config_bool (sc->cfg, "defaults.persistent");
  o->resume = g->continue_ ? g->continue_ : g->resume;
  o->profile = coi_config_profile_name (sc->cfg);
  o->tool_name = coi_config_string (sc->cfg, "tool.name");
  o->tool_binary = coi_config_string (sc->cfg, "tool.binary");
  o->use_dummy = dummy_requested (sc);
  o->env = (const char *const *) sc->env;
  o->mounts = &sc->mounts;
  o->disable_shift = coi_config_bool (sc->cfg, "incus.disable_shift");
  o->code_uid = (int) coi_config_int (sc->cfg, "incus.code_uid");
  if (o->code_uid <= 0)
    o->code_uid = 1000;
  o->storage_pool = coi_config_string (sc->cfg, "container.storage_pool");

  sc->user_name = coi_config_string (sc->cfg, "incus.code_user");
  if (sc->user_name == NULL || *sc->user_name == '\0')
    sc->user_name = "code";
  sc->user.uid = o->code_uid;
  sc->user.gid = o->code_uid;
  if (asprintf (&sc->agent_home, "/home/%s", sc->user_name) < 0)
    return coi_error_errno (err, ENOMEM, "prepare session");
  sc->user.home = sc->agent_home;

  /* Signals wait until a step ends, so every exit runs the same cleanup. */
  sigemptyset (&sc->abort_set);
  sigaddset (&sc->abort_set, SIGINT);
  sigaddset (&sc->abort_set, SIGTERM);
  sigaddset (&sc->abort_set, SIGHUP);
  if (sigprocmask (SIG_BLOCK, &sc->abort_set, &sc->saved_mask) < 0)
    return coi_error_errno (err, errno, "block signals");
  sc->mask_saved = true;
  o->abort_signals = &sc->abort_set;
  return 0;
}

int coi_session_cli_aborted (struct coi_session_cli *sc)
{
  return coi_pending_abort (&sc->abort_set);
}

void coi_session_cli_release (struct coi_session_cli *sc)
{
  if (sc->mask_saved)
    {
      /* Swallow what arrived while blocked: it has been handled. */
      struct timespec zero = { 0, 0 };
      while (coi_pending_abort (&sc->abort_set))
        if (sigtimedwait (&sc->abort_set, NULL, &zero) < 0)
          break;
      sigprocmask (SIG_SETMASK, &sc->saved_mask, NULL);
    }
  coi_guards_clear (&sc->guards);
  if (sc->cfg)
    coi_config_free (sc->cfg);
  coi_mounts_clear (&sc->mounts);
  cleanup_strvp (&sc->env);
  free (sc->workspace);
  free (sc->agent_home);
  memset (sc, 0, sizeof (*sc));
}

int coi_session_cli_finish (struct incus_client *c, struct coi_session_cli *sc,
                            struct coi_session *s, bool force_destroy, coi_error_t *err)
{
  if (!s->persistent && !force_destroy)
    {
      /* Detached (the tmux session lives on): leave it running, as COI does.
         Gone (the user ended it, or `sudo poweroff` inside): end it. */
      _cleanup_error_ coi_error_t probe = NULL;
      if (coi_agent_running (c, s->container, &sc->user, &probe) == 1)
        {
          fprintf (stderr, "Session %s is still running (detached). Attach with: coi attach %s\n",
                   s->container, s->container);
          return coi_tool_state_save (c, s, &sc->user, false, err);
        }
    }
  if (s->persistent)
    return coi_tool_state_save (c, s, &sc->user, false, err);

  /* Stop first: a stopped container's files can always be read, so the
     save cannot race the agent or a shutdown in progress. */
  _cleanup_error_ coi_error_t stop_err = NULL;
  _cleanup_free_ char *status = NULL;
  if (incus_instance_status (c, s->container, &status, &stop_err) == 0
      && strcmp (status, "Stopped") != 0)
    incus_instance_set_state (c, s->container, "stop", 10, true, &stop_err);
  if (coi_tool_state_save (c, s, &sc->user, false, err) < 0)
    {
      coi_error_set_hint (err, "container %s was kept so nothing is lost; remove it with `coi kill %s`",
                          s->container, s->container);
      return -1;
    }
  return coi_session_destroy (c, s, err);
}
