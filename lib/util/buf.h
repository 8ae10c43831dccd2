/* A growable byte buffer with a hard size cap, so that a hostile or broken
 * peer cannot make us allocate without bound. */
#ifndef COI_UTIL_BUF_H
#define COI_UTIL_BUF_H

#include <stddef.h>

struct buf
{
  char *data; /* always NUL-terminated when non-NULL */
  size_t len;
  size_t cap;
  size_t limit; /* 0 = unlimited */
};

int buf_append (struct buf *b, const void *data, size_t len);
int buf_printf (struct buf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void buf_reset (struct buf *b);
void buf_free (struct buf *b);
char *buf_steal (struct buf *b);

static inline void cleanup_bufp (struct buf *b)
{
  buf_free (b);
}
#define _cleanup_buf_ __attribute__ ((cleanup (cleanup_bufp)))

#endif
