/* The report as data: adding checks and judging the whole. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/health_private.h"

void coi_health_report_clear (struct coi_health_report *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      struct coi_health_check *c = &r->checks[i];
      free (c->message);
      free (c->fix);
      for (size_t k = 0; k < c->ndetails; k++)
        free (c->details[k]);
      free (c->details);
    }
  free (r->checks);
  r->checks = NULL;
  r->n = 0;
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len (const unsigned char *s)
{
  size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
                             : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (n == 2 && s[0] < 0xc2)
    return 0; /* overlong */
  for (size_t i = 1; i < n; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* One line of valid UTF-8, whatever it was given (a path, a server's
 * text): a newline would break the text format, a stray byte the JSON. */
static void one_line (char *s)
{
  unsigned char *p = (unsigned char *) s;
  while (p && *p)
    {
      size_t n = utf8_len (p);
      if (n == 0)
        *p++ = '?';
      else if (n == 1 && (*p < 0x20 || *p == 0x7f))
        *p++ = ' ';
      else
        p += n;
    }
}

struct coi_health_check *coi_health_addv (struct coi_health_report *r,
                                          enum coi_health_category category, const char *name,
                                          enum coi_health_status status, const char *fix,
                                          const char *fmt, va_list ap)
{
  struct coi_health_check *nv = realloc (r->checks, (r->n + 1) * sizeof *nv);
  if (nv == NULL)
    return NULL;
  r->checks = nv;
  struct coi_health_check *c = &nv[r->n];
  memset (c, 0, sizeof *c);
  c->category = category;
  c->name = name;
  c->status = status;
  if (vasprintf (&c->message, fmt, ap) < 0)
    return NULL;
  bool needs_fix = status == COI_HEALTH_WARN || status == COI_HEALTH_FAIL;
  if (needs_fix && (c->fix = strdup (fix && *fix ? fix : "coi health --verbose")) == NULL)
    {
      free (c->message);
      return NULL;
    }
  one_line (c->message);
  one_line (c->fix);
  r->n++;
  return c;
}

struct coi_health_check *coi_health_add (struct coi_health_report *r,
                                         enum coi_health_category category, const char *name,
                                         enum coi_health_status status, const char *fix,
                                         const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  struct coi_health_check *c = coi_health_addv (r, category, name, status, fix, fmt, ap);
  va_end (ap);
  return c;
}

int coi_health_detail (struct coi_health_check *c, const char *fmt, ...)
{
  char **nv = realloc (c->details, (c->ndetails + 1) * sizeof (char *));
  if (nv == NULL)
    return -1;
  c->details = nv;
  va_list ap;
  va_start (ap, fmt);
  int n = vasprintf (&nv[c->ndetails], fmt, ap);
  va_end (ap);
  if (n < 0)
    return -1;
  one_line (nv[c->ndetails++]);
  return 0;
}

enum coi_health_status coi_health_overall (const struct coi_health_report *r)
{
  enum coi_health_status worst = COI_HEALTH_OK;
  for (size_t i = 0; i < r->n; i++)
    if (r->checks[i].status > worst && r->checks[i].status != COI_HEALTH_SKIP)
      worst = r->checks[i].status;
  return worst;
}

int coi_health_exit_code (const struct coi_health_report *r)
{
  switch (coi_health_overall (r))
    {
    case COI_HEALTH_FAIL:
      return 2;
    case COI_HEALTH_WARN:
      return 1;
    default:
      return 0;
    }
}

const char *coi_health_overall_name (const struct coi_health_report *r)
{
  static const char *const names[] = { "healthy", "degraded", "unhealthy" };
  return names[coi_health_exit_code (r)];
}

const char *coi_health_status_name (enum coi_health_status s)
{
  switch (s)
    {
    case COI_HEALTH_OK:
      return "ok";
    case COI_HEALTH_SKIP:
      return "skipped";
    case COI_HEALTH_WARN:
      return "warning";
    case COI_HEALTH_FAIL:
      return "failed";
    }
  return "failed";
}

const char *coi_health_category_name (enum coi_health_category c)
{
  static const char *const names[] = { "SYSTEM",  "CRITICAL",      "NETWORKING", "MONITORING",
                                       "STORAGE", "CONFIGURATION", "STATUS",     "OPTIONAL" };
  return (unsigned) c < COI_HEALTH_NCATEGORIES ? names[c] : "OPTIONAL";
}

enum coi_health_status coi_health_space_status (uint64_t free_bytes)
{
  if (free_bytes < COI_HEALTH_SPACE_FAIL_BYTES)
    return COI_HEALTH_FAIL;
  return free_bytes < COI_HEALTH_SPACE_WARN_BYTES ? COI_HEALTH_WARN : COI_HEALTH_OK;
}
