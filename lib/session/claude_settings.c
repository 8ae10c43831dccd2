#include "session/claude_settings.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

#define MAX_SETTINGS_BYTES (16u * 1024 * 1024)

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

int coi_claude_merged_file (const char *host_path, char **text, coi_error_t *err)
{
  _cleanup_json_ json_t *doc = NULL;
  if (host_path && access (host_path, F_OK) == 0)
    {
      json_error_t jerr;
      doc = json_load_file (host_path, JSON_REJECT_DUPLICATES, &jerr);
      if (doc == NULL)
        return coi_error_make (err, EINVAL, "read %s: line %d: %s", host_path, jerr.line, jerr.text);
      if (!json_is_object (doc))
        return coi_error_make (err, EINVAL, "read %s: not a JSON object", host_path);
    }
  else if ((doc = json_object ()) == NULL)
    return coi_error_errno (err, ENOMEM, "merge Claude settings");
  if (coi_claude_merge_sandbox (doc, err) < 0)
    return -1;
  *text = json_dumps (doc, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  if (*text == NULL || strlen (*text) > MAX_SETTINGS_BYTES)
    {
      free (*text);
      *text = NULL;
      return coi_error_make (err, EFBIG, "merge Claude settings: result too large");
    }
  return 0;
}
