/* Creating or reusing a session's container, with the slot chosen by the
 * server's own uniqueness check rather than a racy look-then-create. */
#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/templates.h"
#include "incus/image.h"
#include "incus/instance.h"
#include "session/metadata.h"
#include "session/naming.h"
#include "session/session.h"
#include "util/cleanup.h"

void coi_session_clear (struct coi_session *s)
{
  free (s->container);
  free (s->workspace_abs);
  free (s->workspace_real);
  free (s->tool_name);
  free (s->image);
  free (s->profile);
  memset (s, 0, sizeof (*s));
}

int coi_pending_abort (const sigset_t *set)
{
  sigset_t pending;
  if (set == NULL || sigpending (&pending) < 0)
    return 0;
  for (int sig = 1; sig < NSIG; sig++)
    if (sigismember (set, sig) == 1 && sigismember (&pending, sig) == 1)
      return sig;
  return 0;
}

static int check_abort (const struct coi_session_opts *o, coi_error_t *err)
{
  int sig = coi_pending_abort (o->abort_signals);
  if (sig == 0)
    return 0;
  coi_error_make (err, EINTR, "session start interrupted by %s", strsignal (sig));
  (*err)->exit_code = 128 + sig;
  return -1;
}

/* The server reports a taken name as a failed database insert. */
static bool is_name_conflict (coi_error_t err)
{
  return err && (err->status == 409 || err->status == EBUSY || strstr (err->msg, "UNIQUE constraint failed")
                 || strstr (err->msg, "already exists")
                 || strstr (err->msg, "is busy running a \""));
}

static void note (const struct coi_session_opts *o, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
static void note (const struct coi_session_opts *o, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  coi_vnotify (o->sink, COI_NOTICE_INFO, fmt, ap);
  va_end (ap);
}

static int resolve_resume (const struct coi_session_opts *o, struct coi_session *s,
                           struct coi_session_meta *meta, coi_error_t *err)
{
  if (strcmp (o->resume, "auto") == 0 || *o->resume == '\0')
    {
      int r = coi_session_latest_for_workspace (s->tool_name, s->workspace_abs, meta, err);
      if (r < 0)
        return -1;
      if (r == 1)
        return coi_error_make (err, ENOENT, "no previous session to resume for this workspace: %s",
                               s->workspace_abs);
      note (o, "Auto-detected session: %s", meta->session_id);
    }
  else
    {
      if (coi_session_meta_load (s->tool_name, o->resume, meta, err) < 0)
        return -1;
      note (o, "Resuming session: %s", meta->session_id);
    }
  snprintf (s->id, sizeof s->id, "%s", meta->session_id);
  s->resumed = true;
  if (!o->persistent_explicit)
    {
      s->persistent = meta->persistent;
      if (meta->persistent)
        note (o, "Inherited persistent mode from session");
    }
  if (s->profile == NULL && meta->profile && (s->profile = strdup (meta->profile)) == NULL)
    return coi_error_errno (err, ENOMEM, "resume session");
  return 0;
}

static int start_if_needed (struct incus_client *c, const struct coi_session_opts *o,
                            const char *name, coi_error_t *err)
{
  _cleanup_free_ char *status = NULL;
  if (o->hooks && o->hooks->reuse && o->hooks->reuse (o->hooks->data, name, err) < 0)
    return -1;
  if (incus_instance_status (c, name, &status, err) < 0)
    return -1;
  if (strcmp (status, "Running") == 0)
    return 0;
  if (strcmp (status, "Frozen") == 0)
    return incus_instance_set_state (c, name, "unfreeze", -1, false, err);
  return incus_instance_set_state (c, name, "start", -1, false, err);
}

/* A persistent container of this workspace that the session may take over. */
static int reusable (struct incus_client *c, const char *name, const char *workspace,
                     coi_error_t *err)
{
  _cleanup_json_ json_t *inst = NULL;
  int found = incus_instance_find (c, name, &inst, err);
  if (found <= 0)
    return found;
  json_t *cfg = json_object_get (inst, "config");
  const char *pers = json_string_value (json_object_get (cfg, COI_KEY_PERSISTENT));
  const char *ws = json_string_value (json_object_get (cfg, COI_KEY_WORKSPACE));
  return pers && strcmp (pers, "true") == 0 && ws && strcmp (ws, workspace) == 0;
}

static int build_body (const struct coi_session_opts *o, struct coi_session *s, const char *name,
                       json_t **body, coi_error_t *err)
{
  struct coi_instance_plan plan = {
    .name = name,
    .image = s->image,
    .session_id = s->id,
    .workspace_host = s->workspace_real,
    .workspace_path = COI_WORKSPACE_PATH,
    .tool = s->tool_name,
    .profile = s->profile,
    .persistent = s->persistent,
    .mounts = o->mounts,
    .host_uid = s->host_uid,
    .host_gid = s->host_gid,
    .env = o->env_host,
    .code_uid = o->code_uid ? o->code_uid : 1000,
    .storage_pool = o->storage_pool,
  };
  plan.idmap = coi_choose_idmap (true, o->disable_shift, s->workspace_real, plan.host_uid,
                                 plan.code_uid);
  if (coi_instance_body (&plan, body, err) < 0)
    return -1;
  if (o->hooks && o->hooks->prepare_body
      && o->hooks->prepare_body (o->hooks->data, name, *body, err) < 0)
    {
      json_decref (*body);
      *body = NULL;
      return -1;
    }
  return 0;
}

static bool parse_id (const char *s, unsigned long *out)
{
  char *end = NULL;
  errno = 0;
  unsigned long v = s && *s ? strtoul (s, &end, 10) : 0;
  if (s == NULL || *s == '\0' || errno || *end != '\0' || v == 0 || v > 0x7fffffffUL)
    return false;
  *out = v;
  return true;
}

int coi_workspace_owner (const char *workspace_real, const char *const *env, uid_t *uid, gid_t *gid,
                         coi_error_t *err)
{
  *uid = getuid ();
  *gid = getgid ();
  if (*uid != 0)
    return 0;
  unsigned long su, sg;
  if (parse_id (coi_env_get (env, "SUDO_UID"), &su) && parse_id (coi_env_get (env, "SUDO_GID"), &sg))
    {
      *uid = (uid_t) su;
      *gid = (gid_t) sg;
      return 0;
    }
  struct stat st;
  if (stat (workspace_real, &st) < 0)
    return coi_error_errno (err, errno, "read the owner of %s", workspace_real);
  *uid = st.st_uid;
  *gid = st.st_gid;
  return 0;
}

static int create_in_free_slot (struct incus_client *c, const struct coi_session_opts *o,
                                struct coi_session *s, coi_error_t *err)
{
  int max = o->max_slots > 0 ? o->max_slots : COI_DEFAULT_MAX_SLOTS;
  int first = o->slot > 0 ? o->slot : 1;
  if (o->slot > max)
    return coi_error_usage (err, "invalid slot %d: slots run from 1 to %d", o->slot, max);
  for (int slot = first; slot <= max; slot++)
    {
      _cleanup_free_ char *name = NULL;
      _cleanup_json_ json_t *body = NULL;
      if (check_abort (o, err) < 0 || coi_container_name (s->workspace_abs, slot, &name, err) < 0)
        return -1;
      if (o->slot > 0 && slot == o->slot && s->persistent)
        {
          int r = reusable (c, name, s->workspace_abs, err);
          if (r < 0)
            return -1;
          if (r == 1)
            {
              s->container = steal_pointer (&name);
              s->slot = slot;
              s->reused = true;
              return start_if_needed (c, o, s->container, err);
            }
        }
      if (build_body (o, s, name, &body, err) < 0)
        {
          /* The guard refuses to plan a name that exists: the slot is taken. */
          if (!is_name_conflict (*err))
            return -1;
          coi_error_release (err);
          continue;
        }
      if (incus_instance_create (c, body, err) < 0)
        {
          if (o->hooks && o->hooks->abandon)
            o->hooks->abandon (o->hooks->data, name);
          if (!is_name_conflict (*err))
            return -1;
          coi_error_release (err);
          continue;
        }
      s->container = steal_pointer (&name);
      s->slot = slot;
      s->created = true;
      if (o->slot == 0)
        note (o, "Auto-allocated slot %d", slot);
      else if (slot != o->slot)
        note (o, "Slot %d is occupied, using slot %d instead", o->slot, slot);
      return 0;
    }
  coi_error_make (err, EBUSY, "no free slot for workspace %s: slots %d to %d are taken",
                  s->workspace_abs, first, max);
  coi_error_set_hint (err, "see `coi list`; `coi kill` or `coi clean` frees slots");
  return -1;
}

static int prepare_identity (const struct coi_session_opts *o, struct coi_session *s,
                             coi_error_t *err)
{
  char real[PATH_MAX];
  if (coi_workspace_abs (o->workspace, &s->workspace_abs, err) < 0)
    return -1;
  if (realpath (s->workspace_abs, real) == NULL)
    return coi_error_errno (err, errno, "open workspace %s", s->workspace_abs);
  const char *tool = o->tool_name && *o->tool_name ? o->tool_name : "claude";
  _cleanup_error_ coi_error_t lookup_err = NULL;
  s->tool = coi_tool_lookup (tool, &lookup_err);
  if (s->tool == NULL)
    {
      if (o->tool_binary == NULL || *o->tool_binary == '\0')
        {
          *err = steal_pointer (&lookup_err);
          return -1;
        }
      s->tool = coi_tool_lookup ("generic", err);
    }
  if (coi_workspace_owner (real, o->env_host, &s->host_uid, &s->host_gid, err) < 0)
    return -1;
  s->workspace_real = strdup (real);
  s->tool_name = strdup (tool);
  s->image = strdup (o->image && *o->image ? o->image : "coi");
  s->profile = o->profile ? strdup (o->profile) : NULL;
  s->persistent = o->persistent;
  s->hooks = o->hooks;
  if (s->workspace_real == NULL || s->tool_name == NULL || s->image == NULL
      || (o->profile && s->profile == NULL))
    return coi_error_errno (err, ENOMEM, "start session");
  return 0;
}

static int check_image (struct incus_client *c, struct coi_session *s, coi_error_t *err)
{
  if (strchr (s->image, ':'))
    return 0; /* an image server's alias is fetched by the create itself */
  _cleanup_free_ char *fp = NULL;
  _cleanup_json_ json_t *img = NULL;
  if (incus_image_resolve (c, s->image, &fp, &img, err) < 0)
    {
      if ((*err)->status == 404)
        {
          coi_error_release (err);
          coi_error_make (err, ENOENT, "image '%s' not found - run 'coi build' first", s->image);
        }
      return -1;
    }
  const char *tv = json_string_value (
      json_object_get (json_object_get (img, "properties"), COI_IMAGE_TEMPLATES_PROPERTY));
  s->image_renders_network = tv && atoi (tv) >= COI_IMAGE_TEMPLATES_NET_SINCE;
  return 0;
}

int coi_session_launch (struct incus_client *c, const struct coi_session_opts *o,
                        struct coi_session *s, coi_error_t *err)
{
  memset (s, 0, sizeof (*s));
  if (prepare_identity (o, s, err) < 0)
    goto fail;

  struct coi_session_meta meta = { 0 };
  if (o->resume)
    {
      int r = resolve_resume (o, s, &meta, err);
      /* A resumed session keeps its image unless one is asked for. */
      if (r == 0 && meta.image && *meta.image && !(o->image && *o->image))
        {
          char *img = strdup (meta.image);
          if (img == NULL)
            r = coi_error_errno (err, ENOMEM, "resume session");
          else
            {
              free (s->image);
              s->image = img;
            }
        }
      if (r == 0 && s->persistent && meta.container_name)
        {
          r = reusable (c, meta.container_name, s->workspace_abs, err);
          if (r == 1)
            {
              s->container = strdup (meta.container_name);
              s->slot = meta.slot;
              s->reused = true;
              r = s->container ? start_if_needed (c, o, s->container, err)
                               : coi_error_errno (err, ENOMEM, "resume session");
            }
        }
      coi_session_meta_clear (&meta);
      if (r < 0)
        goto fail;
      if (s->reused)
        return 0;
    }
  else if (coi_uuid4 (s->id, err) < 0)
    goto fail;

  if (check_image (c, s, err) < 0 || create_in_free_slot (c, o, s, err) < 0)
    goto fail;
  if (s->reused)
    return 0;
  if (check_abort (o, err) < 0)
    goto fail;
  if (o->hooks && o->hooks->before_start)
    {
      if (o->hooks->before_start (o->hooks->data, s, err) < 0)
        goto fail;
      s->hooks_applied = true;
    }
  if (check_abort (o, err) < 0
      || incus_instance_set_state (c, s->container, "start", -1, false, err) < 0)
    goto fail;
  return 0;

fail:
  if (s->created)
    {
      _cleanup_error_ coi_error_t e2 = NULL;
      coi_session_destroy (c, s, &e2);
    }
  return -1;
}

int coi_session_destroy (struct incus_client *c, struct coi_session *s, coi_error_t *err)
{
  int r = 0;
  if (s->container)
    r = incus_instance_force_delete (c, s->container, err);
  /* Rules go only after the container is gone, so it is never unfiltered. */
  if (r == 0 && s->hooks && s->hooks->teardown && s->container)
    s->hooks->teardown (s->hooks->data, s->container);
  if (r == 0)
    s->created = false;
  return r;
}

int coi_session_mark_ready (struct incus_client *c, const char *container, coi_error_t *err)
{
  _cleanup_json_ json_t *patch = json_pack ("{s:{s:s}}", "config", COI_KEY_STATE, "ready");
  if (patch == NULL)
    return coi_error_errno (err, ENOMEM, "update instance %s", container);
  return incus_instance_patch (c, container, patch, err);
}
