/* Doing something as another user from a root process: in a child that
 * has dropped every privilege to that user (uid, gid, groups), so that a
 * path the user controls (a symlink in ~/.coi, say) can never reach
 * anything the user could not reach by themselves. */
#ifndef COI_UTIL_ASUSER_H
#define COI_UTIL_ASUSER_H

#include <sys/types.h>

#include "util/error.h"

struct coi_user_id
{
  uid_t uid;
  gid_t gid;
  const char *name; /* for its supplementary groups (NULL: none) */
};

/* Open path as the user (parent directories made 0700 as the user when
 * mkdirs), and hand the descriptor back.  O_NOFOLLOW is always added. */
int coi_open_as (const struct coi_user_id *u, const char *path, int flags, mode_t mode, int mkdirs,
                 int *fd, coi_error_t *err);

/* Run fn(data) in a child dropped to the user; returns what it returned
 * (its exit code, 0-125), or -1 with *err when it could not run or died. */
int coi_run_as (const struct coi_user_id *u, int (*fn) (void *data), void *data, coi_error_t *err);

/* Drop this process to the user for good (for a child that then does the
 * work).  0, or -1 with errno. */
int coi_drop_to (const struct coi_user_id *u);

#endif
