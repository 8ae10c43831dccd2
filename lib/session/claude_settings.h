/* Claude Code's settings for a container, built on the host with a JSON
 * library (the image needs no python).  The host's files hold far more than
 * the agent needs (MCP tokens, env blocks, key helpers, every project's
 * history): only an allowlist of keys is copied (claude_settings.c says
 * why each), then coi's sandbox keys are set. */
#ifndef COI_SESSION_CLAUDE_SETTINGS_H
#define COI_SESSION_CLAUDE_SETTINGS_H

#include <jansson.h>

#include "util/error.h"

/* Set the sandbox keys in `doc` (an object): bypass permissions and skip
 * the permission prompts, keeping every other key. */
int coi_claude_merge_sandbox (json_t *doc, coi_error_t *err);

/* ~/.claude/settings.json for the container from the host's (missing → {}):
 * text to push (caller frees).  A file that is not a JSON object is an
 * error. */
int coi_claude_settings_text (const char *host_path, char **text, coi_error_t *err);

/* ~/.claude.json likewise.  `workspaces` (NULL-terminated host paths of the
 * session's workspace): when the host trusts one of them (or a parent),
 * `container_workspace` is trusted inside. */
int coi_claude_config_text (const char *host_path, const char *const *workspaces,
                            const char *container_workspace, char **text, coi_error_t *err);

#endif
