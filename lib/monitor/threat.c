#include "monitor/threat.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/audit.h"
#include "util/cleanup.h"
#include "util/clock.h"

static const char *const level_names[] = { "info", "warning", "high", "critical" };

const char *coi_level_name (enum coi_level l)
{
  return (unsigned) l < sizeof level_names / sizeof level_names[0] ? level_names[l] : "unknown";
}

int coi_level_parse (const char *name)
{
  for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++)
    if (strcasecmp (name, level_names[i]) == 0)
      return (int) i;
  return -1;
}

void coi_threat_clear (struct coi_threat *t)
{
  free (t->title);
  free (t->description);
  free (t->dedupe_key);
  if (t->evidence)
    json_decref (t->evidence);
  memset (t, 0, sizeof *t);
}

int coi_threat_set (struct coi_threat *t, enum coi_level level, const char *category,
                    const char *rule, json_t *evidence, const char *dedupe_detail,
                    const char *title_fmt, ...)
{
  memset (t, 0, sizeof *t);
  t->level = level;
  t->category = category;
  t->rule = rule;
  t->evidence = evidence ? evidence : json_object ();
  clock_gettime (CLOCK_REALTIME, &t->detected);
  va_list ap;
  va_start (ap, title_fmt);
  int n = vasprintf (&t->title, title_fmt, ap);
  va_end (ap);
  if (n < 0)
    t->title = NULL;
  if (asprintf (&t->dedupe_key, "%s:%s:%s", category, rule, dedupe_detail ? dedupe_detail : "") < 0)
    t->dedupe_key = NULL;
  if (t->title == NULL || t->dedupe_key == NULL || t->evidence == NULL)
    {
      coi_threat_clear (t);
      return -1;
    }
  return 0;
}

json_t *coi_threat_to_json (const struct coi_threat *t, const char *id, const char *action)
{
  char detected[32];
  coi_iso8601_ms (detected, &t->detected);
  json_t *j = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s}", "id", id, "level",
                         coi_level_name (t->level), "category", t->category, "rule", t->rule,
                         "title", t->title, "evidence", t->evidence, "action", action, "detected_at",
                         detected);
  if (j && t->description && json_object_set_new (j, "description", json_string (t->description)) < 0)
    {
      json_decref (j);
      return NULL;
    }
  return j;
}

/* Length of the valid UTF-8 sequence at p (1-4), or 0 when invalid. */
static size_t utf8_seq (const unsigned char *p, size_t left)
{
  size_t n;
  if (p[0] < 0x80)
    return 1;
  if ((p[0] & 0xE0) == 0xC0 && p[0] >= 0xC2)
    n = 2;
  else if ((p[0] & 0xF0) == 0xE0)
    n = 3;
  else if ((p[0] & 0xF8) == 0xF0 && p[0] <= 0xF4)
    n = 4;
  else
    return 0;
  if (n > left)
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  /* Overlong 3/4-byte forms, surrogates and > U+10FFFF are what jansson rejects. */
  if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
    return 0;
  if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
    return 0;
  return n;
}

json_t *coi_json_text (const char *s, size_t len, size_t max)
{
  if (s == NULL)
    return json_string ("");
  if (len > max)
    len = max;
  _cleanup_free_ char *out = malloc (len + 1);
  if (out == NULL)
    return NULL;
  const unsigned char *p = (const unsigned char *) s;
  size_t i = 0, o = 0;
  while (i < len)
    {
      size_t n = utf8_seq (p + i, len - i);
      if (n == 0 || (n == 1 && (p[i] < 0x20 || p[i] == 0x7f)))
        {
          out[o++] = '?';
          i++;
          continue;
        }
      memcpy (out + o, p + i, n);
      o += n;
      i += n;
    }
  out[o] = '\0';
  return json_stringn (out, o);
}
