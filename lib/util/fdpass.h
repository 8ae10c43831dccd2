/* Passing one descriptor over a unix socket (SCM_RIGHTS), with a small
 * payload so that a zero-length message is never ambiguous. */
#ifndef COI_UTIL_FDPASS_H
#define COI_UTIL_FDPASS_H

#include <stddef.h>

/* Send fd (or none when fd < 0) with len bytes of data (len >= 1).  0 or
 * -1 with errno. */
int coi_fd_send (int sock, int fd, const void *data, size_t len);
/* Receive up to cap bytes into data and at most one descriptor (*fd = -1
 * when none came; extra descriptors are closed).  Returns the byte count
 * (0 at end of stream) or -1 with errno. */
long coi_fd_recv (int sock, int *fd, void *data, size_t cap);

#endif
