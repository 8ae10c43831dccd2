#include "session/claude_settings.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

#define MAX_SETTINGS_BYTES (16u * 1024 * 1024)

/* What the container gets from the host's files: a key is copied only if it
 * is listed here, with the JSON type given.  Everything else stays on the
 * host, whatever it is: mcpServers (tokens in URLs and headers), env (API
 * keys, cloud credentials), apiKeyHelper and the other *Helper/awsAuth*
 * commands (they print secrets), oauthAccount, primaryApiKey,
 * customApiKeyResponses, every project's history and MCP setup, hooks and
 * statusLine (host commands), caches and counters.  Credentials reach the
 * agent through ~/.claude/.credentials.json alone. */
struct allowed
{
  const char *key;
  json_type type;
  const char *why;
};

static const struct allowed config_keys[] = {
  { "hasCompletedOnboarding", JSON_TRUE, "without it Claude Code starts with its first-run questions" },
  { "lastOnboardingVersion", JSON_STRING, "Claude Code repeats the onboarding for a newer version than this" },
  { "theme", JSON_STRING, "the first of those questions; the user's answer" },
  { NULL, 0, NULL },
};

static const struct allowed settings_keys[] = {
  { "model", JSON_STRING, "the model the user chose, so answers and costs are those of the host" },
  { NULL, 0, NULL },
};

/* Key paths "a.b" whose value is kept when it is an array of strings. */
static const struct allowed settings_lists[] = {
  { "permissions.deny", JSON_ARRAY, "a ban the user set still holds inside (bypass mode keeps deny rules)" },
  { NULL, 0, NULL },
};

static bool type_is (json_t *v, json_type t)
{
  if (t == JSON_TRUE)
    return json_is_boolean (v);
  return v && json_typeof (v) == t;
}

static bool strings_only (json_t *arr)
{
  size_t i;
  json_t *e;
  json_array_foreach (arr, i, e)
  {
    if (!json_is_string (e))
      return false;
  }
  return true;
}

static int copy_allowed (json_t *from, json_t *to, const struct allowed *keys)
{
  for (const struct allowed *a = keys; a->key; a++)
    {
      json_t *v = json_object_get (from, a->key);
      if (type_is (v, a->type) && json_object_set (to, a->key, v) < 0)
        return -1;
    }
  return 0;
}

static int copy_lists (json_t *from, json_t *to, const struct allowed *keys)
{
  for (const struct allowed *a = keys; a->key; a++)
    {
      const char *dot = strchr (a->key, '.');
      _cleanup_free_ char *outer = strndup (a->key, (size_t) (dot - a->key));
      if (outer == NULL)
        return -1;
      json_t *v = json_object_get (json_object_get (from, outer), dot + 1);
      if (!json_is_array (v) || !strings_only (v))
        continue;
      json_t *o = json_object_get (to, outer);
      if (o == NULL && ((o = json_object ()) == NULL || json_object_set_new (to, outer, o) < 0))
        return -1;
      if (json_object_set (o, dot + 1, v) < 0)
        return -1;
    }
  return 0;
}

int coi_claude_merge_sandbox (json_t *doc, coi_error_t *err)
{
  if (!json_is_object (doc))
    return coi_error_make (err, EINVAL, "merge Claude settings: not a JSON object");
  json_t *perms = json_object_get (doc, "permissions");
  if (!json_is_object (perms))
    {
      perms = json_object ();
      if (perms == NULL || json_object_set_new (doc, "permissions", perms) < 0)
        return coi_error_errno (err, ENOMEM, "merge Claude settings");
    }
  if (json_object_set_new (doc, "allowDangerouslySkipPermissions", json_true ()) < 0
      || json_object_set_new (doc, "bypassPermissionsModeAccepted", json_true ()) < 0
      || json_object_set_new (perms, "defaultMode", json_string ("bypassPermissions")) < 0)
    return coi_error_errno (err, ENOMEM, "merge Claude settings");
  return 0;
}

/* The host file as an object; a missing one is {}. */
static int load_host (const char *host_path, json_t **doc, coi_error_t *err)
{
  if (host_path && access (host_path, F_OK) == 0)
    {
      json_error_t jerr;
      *doc = json_load_file (host_path, JSON_REJECT_DUPLICATES, &jerr);
      if (*doc == NULL)
        return coi_error_make (err, EINVAL, "read %s: line %d: %s", host_path, jerr.line, jerr.text);
      if (!json_is_object (*doc))
        {
          json_decref (*doc);
          *doc = NULL;
          return coi_error_make (err, EINVAL, "read %s: not a JSON object", host_path);
        }
      return 0;
    }
  if ((*doc = json_object ()) == NULL)
    return coi_error_errno (err, ENOMEM, "merge Claude settings");
  return 0;
}

static int dump (json_t *doc, char **text, coi_error_t *err)
{
  *text = json_dumps (doc, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  if (*text == NULL || strlen (*text) > MAX_SETTINGS_BYTES)
    {
      free (*text);
      *text = NULL;
      return coi_error_make (err, EFBIG, "merge Claude settings: result too large");
    }
  return 0;
}

int coi_claude_settings_text (const char *host_path, char **text, coi_error_t *err)
{
  _cleanup_json_ json_t *host = NULL;
  if (load_host (host_path, &host, err) < 0)
    return -1;
  _cleanup_json_ json_t *doc = json_object ();
  if (doc == NULL || copy_allowed (host, doc, settings_keys) < 0
      || copy_lists (host, doc, settings_lists) < 0)
    return coi_error_errno (err, ENOMEM, "merge Claude settings");
  if (coi_claude_merge_sandbox (doc, err) < 0)
    return -1;
  return dump (doc, text, err);
}

/* Claude Code trusts a folder when it or a parent has hasTrustDialogAccepted. */
static bool host_trusts (json_t *projects, const char *path)
{
  if (path == NULL || path[0] != '/')
    return false;
  _cleanup_free_ char *p = strdup (path);
  if (p == NULL)
    return false;
  for (;;)
    {
      size_t n = strlen (p);
      while (n > 1 && p[n - 1] == '/')
        p[--n] = '\0';
      if (json_is_true (json_object_get (json_object_get (projects, p), "hasTrustDialogAccepted")))
        return true;
      char *slash = strrchr (p, '/');
      if (slash == NULL || n == 1)
        return false;
      slash[slash == p ? 1 : 0] = '\0';
    }
}

int coi_claude_config_text (const char *host_path, const char *const *workspaces,
                            const char *container_workspace, char **text, coi_error_t *err)
{
  _cleanup_json_ json_t *host = NULL;
  if (load_host (host_path, &host, err) < 0)
    return -1;
  _cleanup_json_ json_t *doc = json_object ();
  if (doc == NULL || copy_allowed (host, doc, config_keys) < 0)
    return coi_error_errno (err, ENOMEM, "merge Claude settings");
  /* Questions coi answers itself: the sandbox is why bypass mode is on
     (measured: Claude Code 2.1 asks both without these). */
  if (json_object_set_new (doc, "hasSeenAutoDefaultNudge", json_true ()) < 0)
    return coi_error_errno (err, ENOMEM, "merge Claude settings");
  /* The user's trust in this workspace, where the container sees it. */
  bool trusted = false;
  json_t *projects = json_object_get (host, "projects");
  for (const char *const *w = workspaces; w && *w && !trusted; w++)
    trusted = host_trusts (projects, *w);
  if (trusted)
    {
      json_t *p = json_pack ("{s:{s:b}}", container_workspace, "hasTrustDialogAccepted", 1);
      if (p == NULL || json_object_set_new (doc, "projects", p) < 0)
        return coi_error_errno (err, ENOMEM, "merge Claude settings");
    }
  if (coi_claude_merge_sandbox (doc, err) < 0)
    return -1;
  return dump (doc, text, err);
}
