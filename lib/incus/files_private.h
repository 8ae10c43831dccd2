/* Internals shared by files.c, files_pull.c and files_push.c. */
#ifndef COI_INCUS_FILES_PRIVATE_H
#define COI_INCUS_FILES_PRIVATE_H

#include <jansson.h>

#include "incus/files.h"

/* Trees deeper than this are cut off with a warning (one fd per level). */
#define INCUS_FILES_MAX_DEPTH 128

/* "/1.0/instances/I/files?path=P" (caller frees), NULL on ENOMEM. */
char *incus_files_url (const char *inst, const char *path);
/* "dir/name" without doubling the separator at the root (caller frees). */
char *incus_files_join (const char *dir, const char *name);
/* The directory listing as the JSON array the server sent. */
int incus_files_list_json (struct incus_client *c, const char *inst, const char *path,
                           json_t **names, coi_error_t *err);
/* GET the contents of a regular file `st` describes into fd (nothing is sent
 * for an empty one); fails if the server then reports another type.  More
 * than max bytes (0: no limit), announced or received, fail with status
 * EFBIG; *got is what was written to fd either way. */
int incus_files_get_into (struct incus_client *c, const char *inst, const char *path,
                          const struct incus_file_stat *st, int fd, unsigned long long max,
                          unsigned long long *got, coi_error_t *err);
/* POST a regular file from fd with no check for what is already there. */
int incus_files_post_fd (struct incus_client *c, const char *inst, const char *path, int fd,
                         long long size, struct incus_file_attrs attrs, coi_error_t *err);
/* Report a skipped entry through the caller's callback or to stderr, with
 * control characters of the container-chosen path made visible. */
void incus_files_warn (incus_file_warn_fn fn, void *data, const char *path, const char *why);

#endif
