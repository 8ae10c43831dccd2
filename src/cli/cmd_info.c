/* coi info [SESSION_ID] [--format text|json]: a saved session's metadata
 * (the newest of this workspace when no id is given). */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "cli/output.h"
#include "session/metadata.h"
#include "session/naming.h"
#include "util/cleanup.h"

struct info_opts
{
  char *format;
  char *tool;
};

static const struct coi_opt info_options[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct info_opts, format), "Output format (text|json)", NULL, "FORMAT" },
  { "tool", 0, OPT_STRING, OPT_AT (struct info_opts, tool), "Tool whose sessions to look in (default claude)", NULL, "NAME" },
  OPT_END,
};

COI_HANDLER (cmd_info)
{
  struct info_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, info_options, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  _cleanup_free_ char *tool_opt = o.tool;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos > 1)
    return coi_error_usage (err, "info takes at most one session id");
  if (coi_check_format (format, "text|json", err) < 0)
    return -1;
  const char *tool = tool_opt ? tool_opt : "claude";

  struct coi_session_meta m = { 0 };
  if (p.npos == 1)
    {
      if (coi_session_meta_load (tool, pos[0], &m, err) < 0)
        return -1;
    }
  else
    {
      _cleanup_free_ char *ws = NULL;
      if (coi_workspace_abs (ctx->global.workspace, &ws, err) < 0)
        return -1;
      r = coi_session_latest_for_workspace (tool, ws, &m, err);
      if (r < 0)
        return -1;
      if (r == 1)
        return coi_error_make (err, 0, "no saved session for this workspace: %s", ws);
    }
  char saved[32];
  coi_format_time (m.saved_at, saved);
  if (format && strcmp (format, "json") == 0)
    {
      _cleanup_json_ json_t *j = json_pack ("{s:s, s:s, s:b, s:s, s:s, s:s, s:i}", "session_id",
                                            m.session_id, "container_name",
                                            m.container_name ? m.container_name : "", "persistent",
                                            m.persistent, "workspace", m.workspace ? m.workspace : "",
                                            "saved_at", saved, "tool", tool, "slot", m.slot);
      r = coi_print_json (j, err);
    }
  else
    {
      printf ("Session ID: %s\n", m.session_id);
      printf ("Container: %s\n", m.container_name ? m.container_name : "");
      printf ("Workspace: %s\n", m.workspace ? m.workspace : "");
      printf ("Persistent: %s\n", m.persistent ? "true" : "false");
      printf ("Tool: %s\n", tool);
      if (m.image && *m.image)
        printf ("Image: %s\n", m.image);
      if (m.profile)
        printf ("Profile: %s\n", m.profile);
      printf ("Saved: %s\n", saved);
    }
  coi_session_meta_clear (&m);
  return r;
}
