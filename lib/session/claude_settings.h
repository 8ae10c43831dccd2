/* Claude Code's settings, merged on the host with a JSON library so the
 * image needs no python and the user's own keys survive (COI #76). */
#ifndef COI_SESSION_CLAUDE_SETTINGS_H
#define COI_SESSION_CLAUDE_SETTINGS_H

#include <jansson.h>

#include "util/error.h"

/* Deep-merge the sandbox keys into `doc` (an object): bypass permissions
 * and skip the permission prompts, keeping every other key. */
int coi_claude_merge_sandbox (json_t *doc, coi_error_t *err);

/* Read a JSON object file (missing → empty object), merge, and return the
 * text to push (caller frees).  A file that is not a JSON object is an error. */
int coi_claude_merged_file (const char *host_path, char **text, coi_error_t *err);

#endif
