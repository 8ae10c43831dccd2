/* The user's own files in ~/.coi/run that outlived their container: a
 * launcher's claim (the launcher was killed) and the supervisor's alert
 * lines (kept after the session for reading).  The supervisors' lock, spec
 * and log are the guard's, in its state directory: it removes them when it
 * drops a session, and nothing here looks there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "incus/instance.h"
#include "monitor/paths.h"
#include "session/leftovers_private.h"
#include "session/naming.h"
#include "util/cleanup.h"
#include "util/fs.h"

static const char *const suffixes[] = { COI_RUN_CLAIM, COI_RUN_ALERTS };
#define NSUFFIXES (sizeof suffixes / sizeof suffixes[0])

/* The container a run file is for, or NULL when it is not one. */
static char *container_of (const char *file, const char *prefix)
{
  size_t n = strlen (file);
  for (size_t i = 0; i < NSUFFIXES; i++)
    {
      size_t s = strlen (suffixes[i]);
      if (n <= s || strcmp (file + n - s, suffixes[i]) != 0)
        continue;
      char *name = strndup (file, n - s);
      if (name && strncmp (name, prefix, strlen (prefix)) == 0 && coi_valid_container_name (name))
        return name;
      free (name);
      return NULL;
    }
  return NULL;
}

static bool claim_alive (const char *path)
{
  _cleanup_free_ char *text = NULL;
  _cleanup_error_ coi_error_t ignored = NULL;
  return coi_read_file (path, 128, &text, NULL, &ignored) == 0 && coi_owner_alive (text);
}

/* 1 with files[] filled when every run file of `name` is stale, 0 when one
 * is still in use (a live launcher's claim) or young, -1 on error. */
static int stale_files (const char *dir, const char *name, char *files[NSUFFIXES + 1], coi_error_t *err)
{
  size_t n = 0;
  time_t now = time (NULL);
  files[0] = NULL;
  for (size_t i = 0; i < NSUFFIXES; i++)
    {
      _cleanup_free_ char *p = NULL;
      struct stat st;
      if (asprintf (&p, "%s/%s%s", dir, name, suffixes[i]) < 0)
        return coi_error_errno (err, ENOMEM, "run files of %s", name);
      if (lstat (p, &st) < 0)
        continue;
      if (!S_ISREG (st.st_mode) || now - st.st_mtime < COI_LEFTOVER_GRACE_S
          || (strcmp (suffixes[i], COI_RUN_CLAIM) == 0 && claim_alive (p)))
        return 0;
      files[n++] = steal_pointer (&p);
      files[n] = NULL;
    }
  return n > 0;
}

static void free_files (char **files)
{
  for (size_t i = 0; files[i]; i++)
    free (files[i]);
  files[0] = NULL;
}

/* The distinct containers named by the directory's run files. */
static int names_in (const char *dir, const char *prefix, char ***names, size_t *n, coi_error_t *err)
{
  _cleanup_closedir_ DIR *d = opendir (dir);
  *names = NULL;
  *n = 0;
  if (d == NULL)
    return errno == ENOENT ? 0 : coi_error_errno (err, errno, "read %s", dir);
  struct dirent *de;
  while ((de = readdir (d)))
    {
      _cleanup_free_ char *name = container_of (de->d_name, prefix);
      bool seen = name == NULL;
      for (size_t i = 0; !seen && i < *n; i++)
        seen = strcmp ((*names)[i], name) == 0;
      if (seen)
        continue;
      char **nv = realloc (*names, (*n + 1) * sizeof (char *));
      if (nv == NULL)
        return coi_error_errno (err, ENOMEM, "read %s", dir);
      *names = nv;
      nv[(*n)++] = steal_pointer (&name);
    }
  return 0;
}

int coi_run_orphans (struct incus_client *c, const struct coi_orphan_opts *o, coi_leftover_fn fn,
                     void *data, coi_error_t *err)
{
  char **names = NULL;
  size_t n = 0;
  int found = 0, r = names_in (o->run_dir, o->prefix ? o->prefix : "", &names, &n, err);
  for (size_t i = 0; r == 0 && i < n; i++)
    {
      char *files[NSUFFIXES + 1] = { NULL };
      int stale = stale_files (o->run_dir, names[i], files, err);
      int exists = stale > 0 ? incus_instance_exists (c, names[i], err) : 0;
      if (stale < 0 || exists < 0)
        r = -1;
      else if (stale > 0 && exists == 0)
        {
          for (size_t k = 0; o->remove && r == 0 && files[k]; k++)
            if (unlink (files[k]) < 0 && errno != ENOENT)
              r = coi_error_errno (err, errno, "remove %s", files[k]);
          struct coi_leftover l = { .kind = COI_LEFTOVER_RUN_FILES, .container = names[i],
                                    .files = (const char *const *) files };
          if (r == 0 && fn && fn (&l, data, err) < 0)
            r = -1;
          found++;
        }
      free_files (files);
    }
  for (size_t i = 0; i < n; i++)
    free (names[i]);
  free (names);
  return r < 0 ? -1 : found;
}
