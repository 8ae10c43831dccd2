/* One error value carried up the call chain, printed once as
 * "coi: <what failed>: <why>" with an optional hint line. */
#ifndef COI_UTIL_ERROR_H
#define COI_UTIL_ERROR_H

#include <stdio.h>

struct coi_error_s
{
  int status;   /* errno, HTTP status or 0 */
  int exit_code; /* exit code the CLI should use (1 by default, 2 for usage) */
  char *msg;
  char *hint;
};
typedef struct coi_error_s *coi_error_t;

/* All constructors return -1 so callers can `return coi_error_make (...)`. */
int coi_error_make (coi_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Like coi_error_make, appending ": strerror(errno_)". */
int coi_error_errno (coi_error_t *err, int errno_, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Same, with exit code 2: a usage error. */
int coi_error_usage (coi_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
/* Prefix an existing error: "<prefix>: <old msg>". */
int coi_error_prefix (coi_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void coi_error_set_hint (coi_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
void coi_error_release (coi_error_t *err);
/* Prints "coi: msg" and "hint: ..." to stream, returns the exit code and frees. */
int coi_error_report (coi_error_t *err, FILE *stream);

static inline void cleanup_errorp (coi_error_t *err)
{
  coi_error_release (err);
}
#define _cleanup_error_ __attribute__ ((cleanup (cleanup_errorp)))

#endif
