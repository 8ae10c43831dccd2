#include "util/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static char *vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

static int set_error (coi_error_t *err, int status, int exit_code, char *msg)
{
  if (err == NULL)
    {
      free (msg);
      return -1;
    }
  if (*err != NULL)
    coi_error_release (err);
  *err = calloc (1, sizeof (**err));
  if (*err == NULL)
    {
      free (msg);
      return -1;
    }
  (*err)->status = status;
  (*err)->exit_code = exit_code;
  (*err)->msg = msg ? msg : strdup ("out of memory");
  return -1;
}

int coi_error_make (coi_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = vformat (fmt, ap);
  va_end (ap);
  return set_error (err, status, 1, msg);
}

int coi_error_errno (coi_error_t *err, int errno_, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *what = vformat (fmt, ap);
  va_end (ap);
  char *msg = NULL;
  if (what == NULL || asprintf (&msg, "%s: %s", what, strerror (errno_)) < 0)
    msg = NULL;
  free (what);
  return set_error (err, errno_, 1, msg);
}

int coi_error_usage (coi_error_t *err, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *msg = vformat (fmt, ap);
  va_end (ap);
  return set_error (err, 0, 2, msg);
}

int coi_error_prefix (coi_error_t *err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return -1;
  va_list ap;
  va_start (ap, fmt);
  char *prefix = vformat (fmt, ap);
  va_end (ap);
  char *msg = NULL;
  if (prefix && asprintf (&msg, "%s: %s", prefix, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = msg;
    }
  free (prefix);
  return -1;
}

void coi_error_set_hint (coi_error_t *err, const char *fmt, ...)
{
  if (err == NULL || *err == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  char *hint = vformat (fmt, ap);
  va_end (ap);
  free ((*err)->hint);
  (*err)->hint = hint;
}

void coi_error_release (coi_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free ((*err)->hint);
  free (*err);
  *err = NULL;
}

int coi_error_report (coi_error_t *err, FILE *stream)
{
  if (err == NULL || *err == NULL)
    return 1;
  int code = (*err)->exit_code ? (*err)->exit_code : 1;
  fprintf (stream, "coi: %s\n", (*err)->msg);
  if ((*err)->hint)
    fprintf (stream, "hint: %s\n", (*err)->hint);
  coi_error_release (err);
  return code;
}
