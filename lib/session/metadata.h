/* The session store: ~/.coi/sessions-<tool>/<id>/metadata.json, written
 * with a JSON encoder (COI built it with Sprintf) and replaced atomically. */
#ifndef COI_SESSION_METADATA_H
#define COI_SESSION_METADATA_H

#include <stdbool.h>
#include <time.h>

#include "util/error.h"
#include "util/statedir.h"

struct coi_session_meta
{
  char *session_id;
  char *container_name;
  char *workspace;
  char *tool;
  char *profile; /* may be NULL */
  char *image;
  bool persistent;
  int slot;
  time_t saved_at;
};

void coi_session_meta_clear (struct coi_session_meta *m);

/* ~/.coi/sessions-<tool> */
int coi_sessions_dir (const char *tool, char **out, coi_error_t *err);

int coi_session_meta_save (const char *tool, const struct coi_session_meta *m, coi_error_t *err);
int coi_session_meta_load (const char *tool, const char *id, struct coi_session_meta *m,
                           coi_error_t *err);
/* The newest saved session of a workspace (by saved_at); 0 = found, 1 = none. */
int coi_session_latest_for_workspace (const char *tool, const char *workspace,
                                      struct coi_session_meta *m, coi_error_t *err);

/* All saved sessions of a tool, newest first; *n entries. */
int coi_session_list (const char *tool, struct coi_session_meta **out, size_t *n, coi_error_t *err);
void coi_session_list_free (struct coi_session_meta *list, size_t n);

/* A fresh random UUIDv4. */
int coi_uuid4 (char out[37], coi_error_t *err);
/* A session id is a UUID-like token: [0-9a-fA-F-], safe as a path component. */
bool coi_valid_session_id (const char *id);

/* RFC 3339 UTC rendering used in metadata and listings. */
void coi_format_time (time_t t, char out[32]);

#endif
