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
#include "session/end.h"
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
  { "orphans", 0, OPT_BOOL, OPT_AT (struct clean_opts, orphans), "Also remove host state (network rules, supervisors) of containers that are gone", NULL, NULL },
  { "dry-run", 0, OPT_BOOL, OPT_AT (struct clean_opts, dry_run), "Show what would be removed", NULL, NULL },
  OPT_END,
};

/* A launch that died (coi killed mid-start) leaves a container marked
 * "launching" whose launcher is gone. */
static bool interrupted_launch (const struct coi_instance_info *i)
{
  return i->state && strcmp (i->state, "launching") == 0 && !coi_owner_alive (i->owner);
}

static bool should_remove (const struct clean_opts *o, const struct coi_instance_info *i)
{
  return o->all || strcmp (i->status, "Stopped") == 0 || interrupted_launch (i);
}

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
    if (should_remove (&o, t.items[i]))
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
  if (r == 0 && o.orphans && o.dry_run)
    printf ("Would remove network rules and reservations of containers that are gone\n");
  else if (r == 0 && o.orphans && guard)
    {
      int k = coi_clean_orphans (guard, err);
      if (k < 0)
        r = -1;
      else if (k > 0)
        {
          printf ("Removed network state of %d container(s) that are gone\n", k);
          removed += k;
        }
    }
  if (r == 0 && removed == 0)
    printf ("Nothing to clean\n");
  coi_targets_clear (&t);
  return r;
}
