/* Moving an agent's own state in and out of a session: credentials and
 * settings for a fresh start, the saved state for a resume, and the state
 * pulled back into the session store at the end. */
#ifndef COI_SESSION_TOOL_STATE_H
#define COI_SESSION_TOOL_STATE_H

#include "incus/client.h"
#include "session/session.h"

struct coi_agent_user
{
  int uid;
  int gid;
  const char *home; /* "/home/code" */
};

/* Push what the agent needs before it starts (nothing for a reused
 * persistent container, which still has its state). */
int coi_tool_state_push (struct incus_client *c, const struct coi_session *s,
                         const struct coi_agent_user *u, coi_error_t *err);

/* What a session save writes on the host at most (the container may hold
 * anything, a sparse 1 TiB file included): a file over the first is
 * skipped, and so is any file once the state reached the second, each with
 * a warning naming it. */
#define COI_SESSION_SAVE_MAX_FILE (64ull << 20)
#define COI_SESSION_SAVE_MAX_TOTAL (256ull << 20)

/* Pull the agent's state into ~/.coi/sessions-<tool>/<id>/ and write
 * metadata.json.  Works on stopped containers. */
int coi_tool_state_save (struct incus_client *c, const struct coi_session *s,
                         const struct coi_agent_user *u, const struct coi_sink *sink,
                         coi_error_t *err);

/* Write metadata.json alone (at start, so a crash still leaves a record). */
int coi_session_save_meta (const struct coi_session *s, coi_error_t *err);

/* Claude's own id of the conversation to resume: the newest
 * projects/-workspace/<id>.jsonl in the saved state, or NULL. */
char *coi_tool_state_resume_id (const struct coi_session *s);

#endif
