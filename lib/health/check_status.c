/* STATUS: coi's containers, and what `coi clean` would remove. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health/health_private.h"
#include "netpolicy/addr.h"
#include "session/leftovers.h"
#include "util/buf.h"
#include "util/cleanup.h"

static int load_inventory (struct health_run *run, coi_error_t *err)
{
  if (run->inv_ok)
    return 0;
  if (coi_inventory_load (run->in->client, false, &run->inv, err) < 0)
    return -1;
  run->inv_ok = true;
  return 0;
}

int health_check_containers (struct health_run *run, const struct health_def *d)
{
  _cleanup_error_ coi_error_t e = NULL;
  if (load_inventory (run, &e) < 0)
    return health_add (run, d, COI_HEALTH_SKIP, NULL, NULL, "not checked: %s", e->msg);
  size_t running = 0, stopped = 0;
  for (size_t i = 0; i < run->inv.n; i++)
    {
      const char *s = run->inv.items[i].status;
      running += s && strcmp (s, "Running") == 0;
      stopped += s && strcmp (s, "Stopped") == 0;
    }
  return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "%zu coi container%s: %zu running, %zu stopped",
                     run->inv.n, run->inv.n == 1 ? "" : "s", running, stopped);
}

struct tally
{
  size_t n[COI_LEFTOVER_RUN_FILES + 1];
  struct coi_health_check *check; /* details go here once it exists */
  char **lines;                   /* until then */
  size_t nlines;
};

static int note (struct tally *t, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
static int note (struct tally *t, const char *fmt, ...)
{
  char **nv = realloc (t->lines, (t->nlines + 1) * sizeof (char *));
  if (nv == NULL)
    return -1;
  t->lines = nv;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&nv[t->nlines], fmt, ap);
  va_end (ap);
  if (r < 0)
    return -1;
  t->nlines++;
  return 0;
}

static int count_orphan (const struct coi_leftover *l, void *data, coi_error_t *err)
{
  (void) err;
  struct tally *t = data;
  char a[COI_IPV4_STRLEN];
  t->n[l->kind]++;
  if (l->kind == COI_LEFTOVER_NET_RULES)
    return note (t, "network rules of %s (%s, gone)", coi_ipv4_str (l->addr, a), l->container);
  if (l->kind == COI_LEFTOVER_NET_ADDR)
    return note (t, "address reservation %s (%s, gone)", coi_ipv4_str (l->addr, a), l->container);
  _cleanup_buf_ struct buf b = { 0 };
  for (size_t i = 0; l->files && l->files[i]; i++)
    if (buf_printf (&b, " %s", l->files[i]) < 0)
      return -1;
  return note (t, "run files of %s (gone):%s", l->container, b.data ? b.data : "");
}

/* "2 stopped containers, 1 interrupted launch" */
static int summary (const struct tally *t, struct buf *b)
{
  static const char *const what[][2] = {
    [COI_LEFTOVER_STOPPED] = { "stopped container", "stopped containers" },
    [COI_LEFTOVER_LAUNCH] = { "interrupted launch", "interrupted launches" },
    [COI_LEFTOVER_RUNNING] = { NULL, NULL },
    [COI_LEFTOVER_NET_RULES] = { "orphaned network rule set", "orphaned network rule sets" },
    [COI_LEFTOVER_NET_ADDR] = { "orphaned address reservation", "orphaned address reservations" },
    [COI_LEFTOVER_RUN_FILES] = { "container gone with run files left", "containers gone with run files left" },
  };
  const char *sep = "";
  for (size_t k = 0; k <= COI_LEFTOVER_RUN_FILES; k++)
    if (what[k][0] && t->n[k])
      {
        if (buf_printf (b, "%s%zu %s", sep, t->n[k], what[k][t->n[k] != 1]) < 0)
          return -1;
        sep = ", ";
      }
  return 0;
}

static void tally_clear (struct tally *t)
{
  for (size_t i = 0; i < t->nlines; i++)
    free (t->lines[i]);
  free (t->lines);
}

/* The check's line, from what was counted. */
static int judge (struct health_run *run, const struct health_def *d, struct tally *t, int orphans,
                  const char *why)
{
  size_t containers = t->n[COI_LEFTOVER_STOPPED] + t->n[COI_LEFTOVER_LAUNCH];
  _cleanup_buf_ struct buf b = { 0 };
  if (why)
    return health_add (run, d, COI_HEALTH_WARN, "coi clean --orphans --dry-run", &t->check,
                       "cannot look for orphaned host state: %s", why);
  if (containers == 0 && orphans == 0)
    return health_add (run, d, COI_HEALTH_OK, NULL, &t->check, "nothing for coi clean to remove");
  if (summary (t, &b) < 0)
    return -1;
  return health_add (run, d, COI_HEALTH_WARN, orphans ? "coi clean --orphans" : "coi clean",
                     &t->check, "%s", b.data);
}

int health_check_leftovers (struct health_run *run, const struct health_def *d)
{
  const struct coi_health_input *in = run->in;
  _cleanup_error_ coi_error_t e = NULL;
  if (load_inventory (run, &e) < 0)
    return health_add (run, d, COI_HEALTH_SKIP, NULL, NULL, "not checked: %s", e->msg);
  struct tally t = { 0 };
  int r = 0;
  for (size_t i = 0; r == 0 && i < run->inv.n; i++)
    {
      const struct coi_instance_info *c = &run->inv.items[i];
      enum coi_leftover_kind k = coi_leftover_container_kind (c);
      if (!coi_clean_selects (c, false))
        continue;
      t.n[k]++;
      r = note (&t, "%s (%s)", c->name, k == COI_LEFTOVER_LAUNCH ? "launch interrupted" : c->status);
    }
  struct coi_orphan_opts oo = { .guard = in->guard, .run_dir = in->run_dir, .prefix = in->container_prefix };
  bool rules_read = true;
  int orphans = r < 0 ? 0 : coi_orphans_scan (in->client, &oo, count_orphan, &t, &rules_read, &e);
  if (r == 0)
    r = judge (run, d, &t, orphans, orphans < 0 ? e->msg : NULL);
  if (r == 0 && !rules_read)
    r = coi_health_detail (t.check, "network rules not looked at: no guard service answers");
  for (size_t i = 0; r == 0 && i < t.nlines; i++)
    r = coi_health_detail (t.check, "%s", t.lines[i]);
  tally_clear (&t);
  return r;
}
