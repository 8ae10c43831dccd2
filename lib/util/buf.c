#include "util/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int buf_append (struct buf *b, const void *data, size_t len)
{
  if (b->limit && (len > b->limit || b->len > b->limit - len))
    {
      errno = EFBIG;
      return -1;
    }
  if (b->len + len + 1 > b->cap)
    {
      size_t ncap = b->cap ? b->cap : 256;
      while (ncap < b->len + len + 1)
        {
          if (ncap > ((size_t) -1) / 2)
            {
              errno = ENOMEM;
              return -1;
            }
          ncap *= 2;
        }
      char *n = realloc (b->data, ncap);
      if (n == NULL)
        return -1;
      b->data = n;
      b->cap = ncap;
    }
  if (len)
    memcpy (b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int buf_printf (struct buf *b, const char *fmt, ...)
{
  va_list ap;
  char *s = NULL;
  va_start (ap, fmt);
  int n = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (n < 0)
    return -1;
  int r = buf_append (b, s, (size_t) n);
  free (s);
  return r;
}

void buf_reset (struct buf *b)
{
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

void buf_free (struct buf *b)
{
  free (b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *buf_steal (struct buf *b)
{
  char *d = b->data;
  if (d == NULL)
    d = strdup ("");
  b->data = NULL;
  b->len = b->cap = 0;
  return d;
}
