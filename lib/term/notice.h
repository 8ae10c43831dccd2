/* A one-line notice printed between a session's output on the user's
 * terminal (e.g. a monitoring alert while attached). */
#ifndef COI_TERM_NOTICE_H
#define COI_TERM_NOTICE_H

#include <stdbool.h>
#include <stddef.h>

/* Format "<prefix><text>" as one line for the terminal: bytes that are not
 * printable ASCII become '?' (the text may come from what a container did
 * and must not drive the terminal), and a line wider than `width` columns
 * (> 0) is cut to width - 1 and ends in "...".  raw: the terminal is in raw
 * mode, so the line starts on a fresh line and ends with "\r\n"; otherwise
 * it ends with "\n".  Returns the length written to out (always
 * NUL-terminated, cut to fit outsz). */
size_t term_notice_format (const char *prefix, const char *text, int width, bool raw, char *out,
                           size_t outsz);

/* Format as above for the terminal on fd (its width when it is a tty) and
 * write it whole; 0, or -1 with errno. */
int term_notice_write (int fd, const char *prefix, const char *text, bool raw);

#endif
