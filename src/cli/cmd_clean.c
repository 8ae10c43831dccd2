/* coi clean [--all] [--force] [--sessions] [--orphans] [--dry-run]:
 * remove stopped coi containers and the leftovers of interrupted launches;
 * with --orphans also host state whose container is gone. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/output.h"
#include "cli/targets.h"
#include "monitor/paths.h"
#include "netpolicy/addr.h"
#include "session/end.h"
#include "session/leftovers.h"
#include "session/naming.h"
#include "session/metadata.h"
#include "util/cleanup.h"

struct clean_opts
{
  bool all;
  bool force;
  bool sessions;
  bool orphans;
  bool dry_run;
};

static const struct coi_opt clean_options[] = {
  { "all", 'a', OPT_BOOL, OPT_AT (struct clean_opts, all), "Remove every coi container, running ones too", NULL, NULL },
  { "force", 'f', OPT_BOOL, OPT_AT (struct clean_opts, force), "Do not ask for confirmation", NULL, NULL },
  { "sessions", 0, OPT_BOOL, OPT_AT (struct clean_opts, sessions), "Also remove saved sessions", NULL, NULL },
  { "orphans", 0, OPT_BOOL, OPT_AT (struct clean_opts, orphans), "Also remove host state (network rules, address reservations, run files) of containers that are gone", NULL, NULL },
  { "dry-run", 0, OPT_BOOL, OPT_AT (struct clean_opts, dry_run), "Show what would be removed", NULL, NULL },
  OPT_END,
};

static int remove_tree (const char *path)
{
  /* rm -rf by argv: the session store holds trees pulled from containers. */
  pid_t pid = fork ();
  if (pid < 0)
    return -1;
  if (pid == 0)
    {
      execlp ("rm", "rm", "-rf", "--one-file-system", "--", path, (char *) NULL);
      _exit (127);
    }
  int st = 0;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (st) && WEXITSTATUS (st) == 0 ? 0 : -1;
}

static int clean_sessions (bool dry_run, int *count, coi_error_t *err)
{
  _cleanup_free_ char *home = NULL;
  if (coi_state_dir (&home, err) < 0)
    return -1;
  _cleanup_closedir_ DIR *d = opendir (home);
  if (d == NULL)
    return errno == ENOENT ? 0 : coi_error_errno (err, errno, "read %s", home);
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strncmp (de->d_name, "sessions-", 9) != 0)
        continue;
      _cleanup_free_ char *path = NULL;
      if (asprintf (&path, "%s/%s", home, de->d_name) < 0)
        return coi_error_errno (err, ENOMEM, "clean sessions");
      printf ("%s saved sessions in %s\n", dry_run ? "Would remove" : "Removing", path);
      if (!dry_run && remove_tree (path) < 0)
        return coi_error_make (err, 0, "remove %s: rm failed", path);
      (*count)++;
    }
  return 0;
}

static int say_orphan (const struct coi_leftover *l, void *data, coi_error_t *err)
{
  (void) err;
  const char *verb = *(const bool *) data ? "Would remove" : "Removed";
  char a[COI_IPV4_STRLEN];
  switch (l->kind)
    {
    case COI_LEFTOVER_NET_RULES:
      printf ("%s network rules of %s (%s, gone)\n", verb, coi_ipv4_str (l->addr, a), l->container);
      break;
    case COI_LEFTOVER_NET_ADDR:
      printf ("%s address reservation %s (%s, gone)\n", verb, coi_ipv4_str (l->addr, a), l->container);
      break;
    default:
      printf ("%s run files of %s (gone):", verb, l->container);
      for (size_t i = 0; l->files && l->files[i]; i++)
        printf (" %s", l->files[i]);
      printf ("\n");
      break;
    }
  return 0;
}

/* Host state whose container is gone: network rules and address
 * reservations (the guard's), the user's claim and alerts files. */
static int clean_orphans (struct incus_client *c, struct coi_guard_link *guard, bool dry_run,
                          coi_error_t *err)
{
  _cleanup_free_ char *run_dir = NULL;
  if (coi_run_dir_peek (&run_dir, err) < 0)
    return -1;
  struct coi_orphan_opts oo = {
    .guard = guard, .run_dir = run_dir, .prefix = coi_container_prefix (), .remove = !dry_run,
  };
  bool rules_read = true;
  int n = coi_orphans_scan (c, &oo, say_orphan, &dry_run, &rules_read, err);
  if (n >= 0 && !rules_read)
    printf ("Network rules not looked at: no guard service answers for this server\n");
  return n;
}

COI_HANDLER (cmd_clean)
{
  struct clean_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, clean_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos)
    return coi_error_usage (err, "clean takes no arguments");

  struct coi_targets t;
  struct incus_client *c;
  struct coi_guard_link *guard = NULL;
  if (coi_targets_resolve (ctx, NULL, 0, true, &t, err) < 0 || coi_ctx_client (ctx, &c, err) < 0
      || coi_ctx_guard (ctx, &guard, err) < 0)
    {
      coi_targets_clear (&t);
      return -1;
    }
  /* Keep only what this clean removes. */
  size_t n = 0;
  for (size_t i = 0; i < t.n; i++)
    if (coi_clean_selects (t.items[i], o.all))
      t.items[n++] = t.items[i];
  t.n = n;

  int removed = 0;
  r = 0;
  if (t.n && !o.dry_run && !coi_targets_confirm (&t, "remove", o.force))
    {
      coi_targets_clear (&t);
      return 1;
    }
  for (size_t i = 0; i < t.n && r == 0; i++)
    {
      printf ("%s %s\n", o.dry_run ? "Would remove" : "Removing", t.items[i]->name);
      if (!o.dry_run && coi_container_end (c, guard, t.items[i]->name, 0, err) < 0)
        r = -1;
      removed++;
    }
  if (r == 0 && o.sessions && clean_sessions (o.dry_run, &removed, err) < 0)
    r = -1;
  if (r == 0 && o.orphans)
    {
      int k = clean_orphans (c, guard, o.dry_run, err);
      if (k < 0)
        r = -1;
      else
        removed += k;
    }
  if (r == 0 && removed == 0)
    printf ("Nothing to clean\n");
  coi_targets_clear (&t);
  return r;
}
