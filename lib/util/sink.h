/* Where the library's notices go.  The library never prints: it hands each
 * line (no trailing newline) and its level to the sink its caller gave it,
 * and the caller decides how a line looks and where it lands (the CLI's
 * stderr, the supervisor's log file, a test's buffer). */
#ifndef COI_UTIL_SINK_H
#define COI_UTIL_SINK_H

#include <stdarg.h>

enum coi_notice
{
  COI_NOTICE_PROGRESS, /* a step under way ("Starting session..."), may be redrawn */
  COI_NOTICE_INFO,     /* what happened ("Auto-allocated slot 2") */
  COI_NOTICE_WARNING,  /* something failed that the operation survived */
  COI_NOTICE_ALERT,    /* a security finding the user must see */
};

struct coi_sink
{
  void (*emit) (void *data, enum coi_notice level, const char *line);
  void *data;
};

/* Format one line and hand it to the sink (NULL: dropped). */
void coi_notify (const struct coi_sink *sink, enum coi_notice level, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
void coi_vnotify (const struct coi_sink *sink, enum coi_notice level, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

#define coi_info(sink, ...) coi_notify ((sink), COI_NOTICE_INFO, __VA_ARGS__)
#define coi_warn(sink, ...) coi_notify ((sink), COI_NOTICE_WARNING, __VA_ARGS__)
#define coi_progress(sink, ...) coi_notify ((sink), COI_NOTICE_PROGRESS, __VA_ARGS__)

const char *coi_notice_name (enum coi_notice level);

#endif
