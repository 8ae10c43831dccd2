/* The two renderings of a report: text for people, JSON for scripts. */
#include <stdio.h>
#include <stdlib.h>

#include "health/health.h"
#include "util/buf.h"
#include "util/cleanup.h"

/* Bumped only when a field changes meaning or goes away. */
#define HEALTH_FORMAT_VERSION 1

static const char *tag (enum coi_health_status s)
{
  switch (s)
    {
    case COI_HEALTH_OK:
      return "[OK]";
    case COI_HEALTH_SKIP:
      return "[SKIP]";
    case COI_HEALTH_WARN:
      return "[WARN]";
    case COI_HEALTH_FAIL:
      return "[FAIL]";
    }
  return "[FAIL]";
}

static void count (const struct coi_health_report *r, size_t n[4])
{
  n[0] = n[1] = n[2] = n[3] = 0;
  for (size_t i = 0; i < r->n; i++)
    n[r->checks[i].status]++;
}

char *coi_health_text (const struct coi_health_report *r, bool verbose)
{
  _cleanup_buf_ struct buf b = { 0 };
  int bad = 0;
  for (int cat = 0; cat < COI_HEALTH_NCATEGORIES; cat++)
    {
      bad |= buf_printf (&b, "%s\n", coi_health_category_name (cat));
      for (size_t i = 0; i < r->n; i++)
        {
          const struct coi_health_check *c = &r->checks[i];
          if ((int) c->category != cat)
            continue;
          bad |= buf_printf (&b, "  %-6s %s: %s", tag (c->status), c->name, c->message);
          if (c->fix)
            bad |= buf_printf (&b, "; run: %s", c->fix);
          bad |= buf_printf (&b, "\n");
          for (size_t k = 0; verbose && k < c->ndetails; k++)
            bad |= buf_printf (&b, "         - %s\n", c->details[k]);
        }
    }
  size_t n[4];
  count (r, n);
  bad |= buf_printf (&b, "Overall: %s (exit %d): %zu ok, %zu warning%s, %zu failed, %zu skipped\n",
                     coi_health_overall_name (r), coi_health_exit_code (r), n[COI_HEALTH_OK],
                     n[COI_HEALTH_WARN], n[COI_HEALTH_WARN] == 1 ? "" : "s", n[COI_HEALTH_FAIL],
                     n[COI_HEALTH_SKIP]);
  return bad < 0 ? NULL : buf_steal (&b);
}

static json_t *check_json (const struct coi_health_check *c)
{
  _cleanup_json_ json_t *details = json_array ();
  if (details == NULL)
    return NULL;
  for (size_t k = 0; k < c->ndetails; k++)
    if (json_array_append_new (details, json_string (c->details[k])) < 0)
      return NULL;
  return json_pack ("{s:s, s:s, s:s, s:s, s:o, s:O}", "category",
                    coi_health_category_name (c->category), "name", c->name, "status",
                    coi_health_status_name (c->status), "message", c->message, "fix",
                    c->fix ? json_string (c->fix) : json_null (), "details", details);
}

json_t *coi_health_json (const struct coi_health_report *r)
{
  _cleanup_json_ json_t *checks = json_array ();
  if (checks == NULL)
    return NULL;
  /* Category order, as the text has it. */
  for (int cat = 0; cat < COI_HEALTH_NCATEGORIES; cat++)
    for (size_t i = 0; i < r->n; i++)
      if ((int) r->checks[i].category == cat
          && json_array_append_new (checks, check_json (&r->checks[i])) < 0)
        return NULL;
  size_t n[4];
  count (r, n);
  return json_pack ("{s:i, s:s, s:i, s:{s:I, s:I, s:I, s:I}, s:O}", "format_version",
                    HEALTH_FORMAT_VERSION, "status", coi_health_overall_name (r), "exit_code",
                    coi_health_exit_code (r), "counts", "ok", (json_int_t) n[COI_HEALTH_OK],
                    "warning", (json_int_t) n[COI_HEALTH_WARN], "failed",
                    (json_int_t) n[COI_HEALTH_FAIL], "skipped", (json_int_t) n[COI_HEALTH_SKIP],
                    "checks", checks);
}
