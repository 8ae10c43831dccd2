#include "cli/cmd_container_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incus/instance.h"
#include "session/inventory.h"
#include "session/naming.h"
#include "util/buf.h"
#include "util/cleanup.h"

int coi_table_init (struct coi_table *t, size_t ncols, const char *const *headers)
{
  *t = (struct coi_table) { .ncols = ncols };
  return coi_table_add (t, headers);
}

int coi_table_add (struct coi_table *t, const char *const *row)
{
  char **n = realloc (t->cells, (t->nrows + 1) * t->ncols * sizeof (char *));
  if (n == NULL)
    return -1;
  t->cells = n;
  char **dst = n + t->nrows * t->ncols;
  for (size_t i = 0; i < t->ncols; i++)
    dst[i] = NULL;
  t->nrows++;
  for (size_t i = 0; i < t->ncols; i++)
    if ((dst[i] = strdup (row[i] ? row[i] : "")) == NULL)
      return -1;
  return 0;
}

void coi_table_print (const struct coi_table *t)
{
  size_t width[16] = { 0 };
  size_t ncols = t->ncols < 16 ? t->ncols : 16;
  for (size_t r = 0; r < t->nrows; r++)
    for (size_t c = 0; c + 1 < ncols; c++)
      {
        size_t w = strlen (t->cells[r * t->ncols + c]);
        if (w > width[c])
          width[c] = w;
      }
  for (size_t r = 0; r < t->nrows; r++)
    {
      for (size_t c = 0; c < ncols; c++)
        {
          const char *cell = t->cells[r * t->ncols + c];
          if (c + 1 < ncols)
            printf ("%-*s", (int) (width[c] + 2), cell);
          else
            fputs (cell, stdout);
        }
      putchar ('\n');
    }
}

void coi_table_free (struct coi_table *t)
{
  for (size_t i = 0; i < t->nrows * t->ncols; i++)
    free (t->cells[i]);
  free (t->cells);
  *t = (struct coi_table) { 0 };
}

static int must_exist (struct incus_client *c, const char *name, const char *origin,
                       char **out, coi_error_t *err)
{
  int ex = incus_instance_exists (c, name, err);
  if (ex < 0)
    return coi_error_prefix (err, "check container %s", name);
  if (ex == 0)
    return coi_error_make (err, 404, "container '%s'%s not found", name, origin);
  if ((*out = strdup (name)) == NULL)
    return coi_error_errno (err, ENOMEM, "resolve container");
  return 0;
}

int coi_resolve_container (struct coi_ctx *ctx, struct incus_client *c, const char *flag,
                           char **name, coi_error_t *err)
{
  if (flag && *flag)
    return must_exist (c, flag, "", name, err);
  const char *env = getenv ("COI_CONTAINER");
  if (env && *env)
    return must_exist (c, env, " from COI_CONTAINER", name, err);

  _cleanup_free_ char *abs = NULL, *stem = NULL;
  if (coi_workspace_abs (ctx->global.workspace, &abs, err) < 0
      || coi_workspace_stem (abs, &stem, err) < 0)
    return -1;
  struct coi_inventory inv = { 0 };
  if (coi_inventory_load (c, false, &inv, err) < 0)
    return -1;
  _cleanup_buf_ struct buf names = { 0 };
  const char *found = NULL;
  size_t n = 0;
  int r = 0;
  for (size_t i = 0; i < inv.n && r == 0; i++)
    {
      if (coi_container_slot (stem, inv.items[i].name) < 1)
        continue;
      found = inv.items[i].name;
      r = buf_printf (&names, "%s%s", n++ ? ", " : "", found);
    }
  if (r == 0 && n == 1)
    r = (*name = strdup (found)) ? 0 : -1;
  coi_inventory_clear (&inv);
  if (r < 0)
    return coi_error_errno (err, ENOMEM, "resolve container");
  if (n == 0)
    {
      coi_error_make (err, 404, "no COI containers found for workspace %s", abs);
      coi_error_set_hint (err, "use --container to specify one");
      return -1;
    }
  if (n > 1)
    {
      coi_error_make (err, 0, "multiple COI containers found for workspace %s: %s", abs,
                      names.data);
      coi_error_set_hint (err, "use --container to specify one");
      return -1;
    }
  return 0;
}

void coi_short_time (const char *iso, char out[20])
{
  size_t n = iso ? strlen (iso) : 0;
  if (n < 19)
    {
      snprintf (out, 20, "%s", iso ? iso : "");
      return;
    }
  memcpy (out, iso, 19);
  out[10] = ' ';
  out[19] = '\0';
}

int coi_expect_args (const struct coi_parsed *p, int n, const char *usage, coi_error_t *err)
{
  if (p->npos == n)
    return 0;
  coi_error_usage (err, "accepts %d arg(s), received %d", n, p->npos);
  coi_error_set_hint (err, "usage: %s", usage);
  return -1;
}
