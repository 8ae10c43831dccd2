/* The audit log: ~/.coi/audit/<container>.jsonl, one JSON object a line.
 * Lines are only ever appended (O_APPEND, one write() per line, so
 * concurrent writers never interleave) and never rewritten; retention
 * removes whole files. */
#ifndef COI_MONITOR_AUDIT_H
#define COI_MONITOR_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <time.h>

#include "util/error.h"

/* Record types (the "type" member of every line). */
#define COI_AUDIT_SESSION "session"   /* lifecycle: start, policy, limits, stop, ... */
#define COI_AUDIT_THREAT "threat"     /* a detector fired; evidence and action */
#define COI_AUDIT_SAMPLE "sample"     /* resources, written only when they changed */

/* Longest line accepted by a reader (a writer truncates evidence well below). */
#define COI_AUDIT_MAX_LINE (64 * 1024)

struct coi_audit
{
  int fd;
  char *container;
};

int coi_audit_open (struct coi_audit *a, const char *path, const char *container, coi_error_t *err);
/* The same on a descriptor opened elsewhere (taken over, closed on error). */
int coi_audit_open_fd (struct coi_audit *a, int fd, const char *container, coi_error_t *err);
void coi_audit_close (struct coi_audit *a);

static inline void cleanup_auditp (struct coi_audit *a)
{
  coi_audit_close (a);
}
#define _cleanup_audit_ __attribute__ ((cleanup (cleanup_auditp)))

/* Append {"timestamp","container","type", ...fields}.  `fields` is borrowed;
 * its members follow the three common ones.  `sync` asks for fdatasync
 * (threats and lifecycle: they must survive a host crash; samples need not). */
int coi_audit_append (struct coi_audit *a, const char *type, json_t *fields, bool sync,
                      coi_error_t *err);

/* Remove *.jsonl files in dir whose last write is older than `days` days
 * (days <= 0 keeps everything).  *removed counts them (may be NULL). */
int coi_audit_prune (const char *dir, int days, time_t now, int *removed, coi_error_t *err);

#endif
