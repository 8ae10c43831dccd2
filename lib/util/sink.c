#include "util/sink.h"

#include <stdio.h>
#include <stdlib.h>

void coi_vnotify (const struct coi_sink *sink, enum coi_notice level, const char *fmt, va_list ap)
{
  if (sink == NULL || sink->emit == NULL)
    return;
  char small[512];
  va_list copy;
  va_copy (copy, ap);
  int n = vsnprintf (small, sizeof small, fmt, copy);
  va_end (copy);
  if (n < 0)
    return;
  if ((size_t) n < sizeof small)
    {
      sink->emit (sink->data, level, small);
      return;
    }
  char *big = NULL;
  if (vasprintf (&big, fmt, ap) < 0)
    {
      /* Out of memory: the truncated line is better than none. */
      sink->emit (sink->data, level, small);
      return;
    }
  sink->emit (sink->data, level, big);
  free (big);
}

void coi_notify (const struct coi_sink *sink, enum coi_notice level, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  coi_vnotify (sink, level, fmt, ap);
  va_end (ap);
}

const char *coi_notice_name (enum coi_notice level)
{
  switch (level)
    {
    case COI_NOTICE_PROGRESS:
      return "progress";
    case COI_NOTICE_INFO:
      return "info";
    case COI_NOTICE_WARNING:
      return "warning";
    case COI_NOTICE_ALERT:
      return "alert";
    }
  return "info";
}
