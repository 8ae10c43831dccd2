/* Small filesystem helpers with the error idiom. */
#ifndef COI_UTIL_FS_H
#define COI_UTIL_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

int coi_mkdir_p (const char *path, mode_t mode, coi_error_t *err);
/* Write to "<path>.tmp.<pid>", fsync, rename over path. */
int coi_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode,
                           coi_error_t *err);
/* Read a whole (small) file; at most `limit` bytes. */
int coi_read_file (const char *path, size_t limit, char **data, size_t *len, coi_error_t *err);
/* write() all of it, retrying on EINTR and short writes. */
int coi_write_all (int fd, const void *data, size_t len);
/* The same, but EAGAIN is waited out: for an output that is O_NONBLOCK
 * because a parent shares it (a terminal).  Never for a peer that may
 * stall on purpose. */
int coi_write_all_waiting (int fd, const void *data, size_t len);

#endif
