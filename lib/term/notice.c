#include "term/notice.h"

#include <string.h>

#include "term/winsize.h"
#include "util/fs.h"

#define NOTICE_MAX 1024

/* Append s to out at *n, up to `end`; true when s did not fit. */
static bool put_clean (char *out, size_t *n, size_t end, const char *s)
{
  for (const unsigned char *c = (const unsigned char *) (s ? s : ""); *c; c++)
    {
      if (*n == end)
        return true;
      out[(*n)++] = *c >= 0x20 && *c < 0x7f ? (char) *c : '?';
    }
  return false;
}

size_t term_notice_format (const char *prefix, const char *text, int width, bool raw, char *out,
                           size_t outsz)
{
  const char *head = raw ? "\r\n" : "";
  const char *tail = raw ? "\r\n" : "\n";
  size_t fixed = strlen (head) + strlen (tail) + 1;
  if (outsz < fixed)
    {
      if (outsz > 0)
        out[0] = '\0';
      return 0;
    }
  size_t room = outsz - fixed; /* columns that fit in out */
  /* One column short of the width: some terminals wrap as soon as the
     last column is written, and the "\r\n" would then leave a blank line. */
  size_t cols = width > 1 ? (size_t) width - 1 : room;
  if (cols > room)
    cols = room;

  size_t n = strlen (head);
  memcpy (out, head, n);
  size_t start = n;
  bool cut = put_clean (out, &n, start + cols, prefix);
  if (!cut)
    cut = put_clean (out, &n, start + cols, text);
  if (cut)
    {
      size_t dots = cols < 3 ? cols : 3;
      memset (out + n - dots, '.', dots);
    }
  memcpy (out + n, tail, strlen (tail) + 1);
  return n + strlen (tail);
}

int term_notice_write (int fd, const char *prefix, const char *text, bool raw)
{
  int width = 0, height = 0;
  if (term_get_size (fd, &width, &height) < 0)
    width = 0;
  char line[NOTICE_MAX];
  size_t len = term_notice_format (prefix, text, width, raw, line, sizeof line);
  /* A terminal shared with a parent may be non-blocking. */
  return coi_write_all_waiting (fd, line, len);
}
