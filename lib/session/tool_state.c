#include "session/tool_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "incus/files.h"
#include "session/claude_settings.h"
#include "session/metadata.h"
#include "util/cleanup.h"

static struct incus_file_attrs owned (const struct coi_agent_user *u, int mode)
{
  return (struct incus_file_attrs) { u->uid, u->gid, mode };
}

/* Push a host file if it exists; its absence is normal (no login yet). */
static int push_if_present (struct incus_client *c, const char *inst, const char *host,
                            const char *path, const struct coi_agent_user *u, int mode,
                            coi_error_t *err)
{
  _cleanup_close_ int fd = open (host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return errno == ENOENT ? 0 : coi_error_errno (err, errno, "read %s", host);
  struct stat st;
  if (fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return 0;
  return incus_file_push_fd (c, inst, path, fd, st.st_size, owned (u, mode), err);
}

static int push_text (struct incus_client *c, const char *inst, const char *text,
                      const char *path, const struct coi_agent_user *u, coi_error_t *err)
{
  return incus_file_push_data (c, inst, path, text, strlen (text), owned (u, 0600), err);
}

static int push_claude_config (struct incus_client *c, const struct coi_session *s,
                               const struct coi_agent_user *u, coi_error_t *err)
{
  const char *home = getenv ("HOME");
  _cleanup_free_ char *dir = NULL, *creds = NULL, *cfg = NULL, *settings = NULL, *top = NULL;
  _cleanup_free_ char *cdir = NULL, *ccreds = NULL, *ccfg = NULL, *csettings = NULL, *ctop = NULL;
  if (home == NULL)
    home = "/nonexistent";
  if (asprintf (&dir, "%s/.claude", home) < 0 || asprintf (&creds, "%s/.credentials.json", dir) < 0
      || asprintf (&cfg, "%s/config.yml", dir) < 0 || asprintf (&settings, "%s/settings.json", dir) < 0
      || asprintf (&top, "%s/.claude.json", home) < 0 || asprintf (&cdir, "%s/.claude", u->home) < 0
      || asprintf (&ccreds, "%s/.credentials.json", cdir) < 0
      || asprintf (&ccfg, "%s/config.yml", cdir) < 0
      || asprintf (&csettings, "%s/settings.json", cdir) < 0
      || asprintf (&ctop, "%s/.claude.json", u->home) < 0)
    return coi_error_errno (err, ENOMEM, "prepare Claude configuration");
  /* The settings: only what the agent needs of the host's (claude_settings.c). */
  const char *workspaces[] = { s->workspace_abs, s->workspace_real, NULL };
  _cleanup_free_ char *settings_text = NULL, *top_text = NULL;
  if (coi_claude_settings_text (settings, &settings_text, err) < 0
      || coi_claude_config_text (top, workspaces, COI_WORKSPACE_PATH, &top_text, err) < 0)
    return coi_error_prefix (err, "configure Claude in %s", s->container);
  if (incus_file_mkdir (c, s->container, cdir, owned (u, 0700), err) < 0
      || push_if_present (c, s->container, creds, ccreds, u, 0600, err) < 0
      || push_if_present (c, s->container, cfg, ccfg, u, 0600, err) < 0
      || push_text (c, s->container, settings_text, csettings, u, err) < 0
      || push_text (c, s->container, top_text, ctop, u, err) < 0)
    return coi_error_prefix (err, "configure Claude in %s", s->container);
  return 0;
}

static int saved_state_dir (const struct coi_session *s, char **out, coi_error_t *err)
{
  _cleanup_free_ char *sessions = NULL;
  _cleanup_free_ char *sd = strdup (s->tool->state_dir);
  if (sd == NULL || coi_sessions_dir (s->tool_name, &sessions, err) < 0)
    return sd ? -1 : coi_error_errno (err, ENOMEM, "find saved state");
  if (asprintf (out, "%s/%s/%s", sessions, s->id, basename (sd)) < 0)
    return coi_error_errno (err, ENOMEM, "find saved state");
  return 0;
}

int coi_tool_state_push (struct incus_client *c, const struct coi_session *s,
                         const struct coi_agent_user *u, coi_error_t *err)
{
  if (s->reused)
    return 0;
  if (s->resumed && s->tool->state_dir)
    {
      _cleanup_free_ char *saved = NULL;
      _cleanup_free_ char *dest = NULL;
      struct stat st;
      if (saved_state_dir (s, &saved, err) < 0
          || asprintf (&dest, "%s/%s", u->home, s->tool->state_dir) < 0)
        return err && *err ? -1 : coi_error_errno (err, ENOMEM, "restore session");
      if (lstat (saved, &st) == 0 && S_ISDIR (st.st_mode))
        {
          struct incus_push_opts po = INCUS_PUSH_OPTS_DEFAULT;
          po.uid = u->uid;
          po.gid = u->gid;
          if (incus_file_push_tree (c, s->container, saved, dest, &po, err) < 0)
            return coi_error_prefix (err, "restore session %s", s->id);
        }
    }
  /* Fresh credentials and settings on every start, resumed or not. */
  if (s->tool->claude_like)
    return push_claude_config (c, s, u, err);
  return 0;
}

int coi_session_save_meta (const struct coi_session *s, coi_error_t *err)
{
  struct coi_session_meta m = {
    .session_id = (char *) s->id,
    .container_name = s->container,
    .workspace = s->workspace_abs,
    .tool = s->tool_name,
    .profile = s->profile,
    .image = s->image,
    .persistent = s->persistent,
    .slot = s->slot,
    .saved_at = time (NULL),
  };
  return coi_session_meta_save (s->tool_name, &m, err);
}

int coi_tool_state_save (struct incus_client *c, const struct coi_session *s,
                         const struct coi_agent_user *u, const struct coi_sink *sink,
                         coi_error_t *err)
{
  coi_progress (sink, "Saving session data");
  if (coi_session_save_meta (s, err) < 0)
    return -1;
  if (s->tool->state_dir)
    {
      _cleanup_free_ char *saved = NULL;
      _cleanup_free_ char *src = NULL;
      if (saved_state_dir (s, &saved, err) < 0
          || asprintf (&src, "%s/%s", u->home, s->tool->state_dir) < 0)
        return err && *err ? -1 : coi_error_errno (err, ENOMEM, "save session");
      int r = incus_file_exists (c, s->container, src, NULL, err);
      if (r < 0)
        return coi_error_prefix (err, "save session %s", s->id);
      struct incus_pull_opts po = { .flags = INCUS_PULL_REPLACE,
                                    .max_file_bytes = COI_SESSION_SAVE_MAX_FILE,
                                    .max_total_bytes = COI_SESSION_SAVE_MAX_TOTAL };
      if (r == 1 && incus_file_pull_tree (c, s->container, src, saved, &po, err) < 0)
        return coi_error_prefix (err, "save session %s", s->id);
    }
  coi_info (sink, "Session data saved");
  return 0;
}

char *coi_tool_state_resume_id (const struct coi_session *s)
{
  _cleanup_free_ char *saved = NULL;
  _cleanup_free_ char *proj = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (!s->tool->claude_like || saved_state_dir (s, &saved, &err) < 0
      || asprintf (&proj, "%s/projects/-workspace", saved) < 0)
    return NULL;
  _cleanup_closedir_ DIR *d = opendir (proj);
  if (d == NULL)
    return NULL;
  char *best = NULL;
  time_t best_t = 0;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      size_t n = strlen (de->d_name);
      struct stat st;
      if (n <= 6 || strcmp (de->d_name + n - 6, ".jsonl") != 0
          || fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
        continue;
      if (best == NULL || st.st_mtime > best_t)
        {
          free (best);
          best = strndup (de->d_name, n - 6);
          best_t = st.st_mtime;
        }
    }
  return best;
}
