/* Reading the audit log back: whole lines only (a writer's line in
 * progress is left for the next read), rendered as text or passed on as
 * JSON. */
#ifndef COI_MONITOR_AUDIT_READ_H
#define COI_MONITOR_AUDIT_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/error.h"

struct coi_audit_reader
{
  int fd;
  ino_t ino;
  struct buf partial;
};

/* Open for reading from the start; a missing file is not an error
 * (*exists false, reads return nothing until it appears). */
int coi_audit_reader_open (struct coi_audit_reader *r, const char *path, bool *exists, coi_error_t *err);
void coi_audit_reader_close (struct coi_audit_reader *r);
/* Hand every new complete line to fn (raw text, and parsed JSON or NULL
 * when the line is not JSON).  Reopens the path when the file was replaced
 * (retention).  Returns lines read, or -1. */
int coi_audit_reader_poll (struct coi_audit_reader *r, const char *path,
                           void (*fn) (const char *line, json_t *rec, void *data), void *data);

/* One record as a text line (no newline) into out. */
int coi_audit_format_text (json_t *rec, struct buf *out);

/* The last `max` threat records of a log, oldest first (new reference, an
 * empty array when there is no log). */
json_t *coi_audit_recent_threats (const char *path, size_t max);

#endif
