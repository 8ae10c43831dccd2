#include "cli/targets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/output.h"
#include "incus/client.h"
#include "session/naming.h"
#include "util/cleanup.h"

void coi_targets_clear (struct coi_targets *t)
{
  coi_inventory_clear (&t->inv);
  free (t->items);
  memset (t, 0, sizeof (*t));
}

int coi_targets_resolve (struct coi_ctx *ctx, char **names, int nnames, bool all,
                         struct coi_targets *t, coi_error_t *err)
{
  struct incus_client *c;
  memset (t, 0, sizeof (*t));
  if (coi_ctx_client (ctx, &c, err) < 0 || coi_inventory_load (c, false, &t->inv, err) < 0)
    return -1;
  t->items = calloc (t->inv.n + (size_t) nnames + 1, sizeof (*t->items));
  if (t->items == NULL)
    return coi_error_errno (err, ENOMEM, "select containers");
  if (nnames > 0)
    {
      for (int i = 0; i < nnames; i++)
        {
          const struct coi_instance_info *info = coi_inventory_find (&t->inv, names[i]);
          if (info == NULL)
            return coi_error_make (err, ENOENT, "container '%s' not found", names[i]);
          t->items[t->n++] = info;
        }
      return 0;
    }
  _cleanup_free_ char *ws = NULL;
  _cleanup_free_ char *stem = NULL;
  if (!all && (coi_workspace_abs (ctx->global.workspace, &ws, err) < 0
               || coi_workspace_stem (ws, &stem, err) < 0))
    return -1;
  for (size_t i = 0; i < t->inv.n; i++)
    if (all || coi_container_slot (stem, t->inv.items[i].name) > 0)
      t->items[t->n++] = &t->inv.items[i];
  return 0;
}

bool coi_targets_confirm (const struct coi_targets *t, const char *verb, bool force)
{
  if (force)
    return true;
  fprintf (stderr, "This will %s %zu container(s):\n", verb, t->n);
  for (size_t i = 0; i < t->n; i++)
    fprintf (stderr, "  - %s (%s)\n", t->items[i]->name, t->items[i]->status);
  if (!isatty (STDIN_FILENO))
    {
      fprintf (stderr, "Not confirmed (stdin is not a terminal); use --force.\n");
      return false;
    }
  return coi_confirm ("Continue?");
}

int coi_targets_each (struct coi_ctx *ctx, char **names, int nnames, bool all, bool force,
                      const char *verb, coi_target_fn fn, void *data, coi_error_t *err)
{
  struct coi_targets t;
  struct incus_client *c;
  if (all && nnames)
    return coi_error_usage (err, "give container names or --all, not both");
  if (coi_targets_resolve (ctx, names, nnames, all, &t, err) < 0 || coi_ctx_client (ctx, &c, err) < 0)
    {
      coi_targets_clear (&t);
      return -1;
    }
  int r = 0;
  if (t.n == 0)
    printf ("No containers to %s\n", verb);
  else if ((all || t.n > 1) && !coi_targets_confirm (&t, verb, force))
    r = 1;
  for (size_t i = 0; i < t.n && r == 0; i++)
    if (fn (c, t.items[i], data, err) < 0)
      r = -1;
  coi_targets_clear (&t);
  return r;
}
