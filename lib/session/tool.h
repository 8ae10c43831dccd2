/* The agents coi can run: how each is started, resumed, and where it keeps
 * the state that a session saves and restores. */
#ifndef COI_SESSION_TOOL_H
#define COI_SESSION_TOOL_H

#include <stdbool.h>

#include "util/error.h"

struct coi_tool
{
  const char *name;       /* registry key and sessions-<name> directory */
  const char *binary;     /* argv[0] inside the container */
  const char *state_dir;  /* relative to the agent's HOME, saved between sessions; NULL = none */
  bool claude_like;       /* takes --session-id/--resume and the sandbox settings merge */
};

/* Look up a tool; an unknown name with a binary is a generic tool.
 * Returns NULL with *err set for an unknown name without binary. */
const struct coi_tool *coi_tool_lookup (const char *name, coi_error_t *err);
/* The tool names in the registry, NULL-terminated. */
const char *const *coi_tool_names (void);

struct coi_tool_argv_opts
{
  const struct coi_tool *tool;
  const char *binary_override; /* [tool] binary, or "dummy" for COI_USE_DUMMY=1 */
  const char *session_id;      /* fresh session */
  bool resume;
  const char *resume_cli_id;   /* the tool's own id of the conversation to resume, may be NULL */
  bool debug;                  /* plain bash instead of the tool */
};

/* A NULL-terminated argv; caller frees with cleanup_strvp. */
int coi_tool_argv (const struct coi_tool_argv_opts *o, char ***argv, coi_error_t *err);

#endif
