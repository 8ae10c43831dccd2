/* A threat event: what a detector saw, how bad it is, and the evidence that
 * goes into the audit log (spec F.4's ThreatEvent). */
#ifndef COI_MONITOR_THREAT_H
#define COI_MONITOR_THREAT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

enum coi_level
{
  COI_LEVEL_INFO,
  COI_LEVEL_WARNING,
  COI_LEVEL_HIGH,
  COI_LEVEL_CRITICAL,
};

const char *coi_level_name (enum coi_level l);
/* -1 when the name is unknown. */
int coi_level_parse (const char *name);

struct coi_threat
{
  enum coi_level level;
  const char *category; /* static: "process", "network", "filesystem", "env", "resources" */
  const char *rule;     /* static: "reverse-shell", "metadata", "fork-bomb", ... */
  char *title;
  char *description;
  json_t *evidence;     /* owned object */
  char *dedupe_key;     /* rule + the identifying part of the evidence */
  pid_t culprit;            /* host pid of the process at fault, 0 if none */
  unsigned long long culprit_start; /* its start time, against pid reuse */
  struct timespec detected; /* wall clock when the detector fired (the audit
                               line is written after the action) */
};

/* Fill a threat; title/description are printf-formatted, evidence is stolen.
 * Returns -1 on allocation failure (the threat is then cleared). */
int coi_threat_set (struct coi_threat *t, enum coi_level level, const char *category,
                    const char *rule, json_t *evidence, const char *dedupe_detail,
                    const char *title_fmt, ...) __attribute__ ((format (printf, 7, 8)));
void coi_threat_clear (struct coi_threat *t);

static inline void cleanup_threatp (struct coi_threat *t)
{
  coi_threat_clear (t);
}
#define _cleanup_threat_ __attribute__ ((cleanup (cleanup_threatp)))

/* The audit fields of a threat plus the action taken (new reference). */
json_t *coi_threat_to_json (const struct coi_threat *t, const char *id, const char *action);

/* A JSON string from untrusted bytes (command lines, file names): invalid
 * UTF-8 and control characters become '?', at most `max` bytes are kept. */
json_t *coi_json_text (const char *s, size_t len, size_t max);

#endif
