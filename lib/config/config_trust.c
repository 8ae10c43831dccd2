/* Project trust: a project's own config files are untrusted until their
 * sha256 is recorded in ~/.coi/trust.toml (what an untrusted file may
 * still set: config_untrusted.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config/config_private.h"
#include "util/cleanup.h"

static char *store_path (const char *home)
{
  char *p = NULL;
  return asprintf (&p, "%s/.coi/trust.toml", home) < 0 ? NULL : p;
}

void coi_trust_entries_free (struct coi_trust_entry *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].path);
      free (v[i].sha256);
      free (v[i].trusted_at);
    }
  free (v);
}

static char *text_of (const struct toml_value *v)
{
  char buf[64];
  if (v == NULL)
    return strdup ("");
  if (v->type == TOML_STRING)
    return strdup (v->u.s.ptr);
  if (v->type >= TOML_DATETIME && v->type <= TOML_TIME_LOCAL && toml_datetime_format (v->type, &v->u.dt, buf, sizeof buf) == 0)
    return strdup (buf);
  return strdup ("");
}

int coi_trust_list (const char *home, struct coi_trust_entry **out, size_t *n, coi_error_t *err)
{
  *out = NULL;
  *n = 0;
  _cleanup_free_ char *path = store_path (home);
  if (path == NULL)
    return coi_error_errno (err, ENOMEM, "trust");
  if (access (path, F_OK) < 0)
    return 0;
  _cleanup_free_ char *shown = coi_display_path (home, path);
  _cleanup_toml_ struct toml_value *doc = NULL;
  if (toml_parse_file (path, shown, &doc, err) < 0)
    return -1;
  const struct toml_value *arr = toml_table_get (doc, "trusted");
  if (arr == NULL)
    return 0;
  if (arr->type != TOML_ARRAY)
    return coi_error_make (err, 0, "%s: \"trusted\" must be an array of tables", shown);
  struct coi_trust_entry *v = calloc (arr->u.arr.n + 1, sizeof *v);
  if (v == NULL)
    return coi_error_errno (err, ENOMEM, "trust");
  size_t k = 0;
  for (size_t i = 0; i < arr->u.arr.n; i++)
    {
      const struct toml_value *e = arr->u.arr.items[i];
      const struct toml_value *p = toml_table_get (e, "path"), *s = toml_table_get (e, "sha256");
      if (p == NULL || s == NULL || p->type != TOML_STRING || s->type != TOML_STRING)
        continue;
      v[k].path = strdup (p->u.s.ptr);
      v[k].sha256 = strdup (s->u.s.ptr);
      v[k].trusted_at = text_of (toml_table_get (e, "trusted_at"));
      if (!v[k].path || !v[k].sha256 || !v[k].trusted_at)
        {
          coi_trust_entries_free (v, k + 1);
          return coi_error_errno (err, ENOMEM, "trust");
        }
      k++;
    }
  *out = v;
  *n = k;
  return 0;
}

static int add_entry (struct toml_value *arr, const struct coi_trust_entry *e)
{
  struct toml_value *t = toml_new (TOML_TABLE);
  if (t == NULL || toml_array_push (arr, t) < 0)
    return -1;
  struct toml_datetime dt;
  struct toml_value *at = NULL;
  if (toml_datetime_parse (e->trusted_at, strlen (e->trusted_at), &dt) == TOML_DATETIME
      && (at = toml_new (TOML_DATETIME)) != NULL)
    at->u.dt = dt;
  else
    at = toml_new_string (e->trusted_at, strlen (e->trusted_at));
  return toml_table_set (t, "path", 4, toml_new_string (e->path, strlen (e->path))) < 0
                 || toml_table_set (t, "sha256", 6, toml_new_string (e->sha256, strlen (e->sha256))) < 0
                 || toml_table_set (t, "trusted_at", 10, at) < 0
             ? -1
             : 0;
}

/* Written to a temporary file and renamed, so a crash never leaves half a store. */
static int write_store (const char *home, const struct coi_trust_entry *v, size_t n, coi_error_t *err)
{
  _cleanup_free_ char *dir = NULL, *path = store_path (home), *tmp = NULL;
  if (path == NULL || asprintf (&dir, "%s/.coi", home) < 0 || asprintf (&tmp, "%s.tmp.%d", path, getpid ()) < 0)
    return coi_error_errno (err, ENOMEM, "trust");
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return coi_error_errno (err, errno, "create %s", dir);
  _cleanup_toml_ struct toml_value *root = toml_new (TOML_TABLE);
  struct toml_value *arr = toml_new (TOML_ARRAY);
  if (root == NULL || arr == NULL || toml_table_set (root, "trusted", 7, arr) < 0)
    return coi_error_errno (err, ENOMEM, "trust");
  arr->flags = TOML_F_AOT;
  for (size_t i = 0; i < n; i++)
    if (add_entry (arr, &v[i]) < 0)
      return coi_error_errno (err, ENOMEM, "trust");
  _cleanup_free_ char *body = toml_emit (root);
  if (body == NULL)
    return coi_error_errno (err, ENOMEM, "trust");
  _cleanup_close_ int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return coi_error_errno (err, errno, "write %s", tmp);
  const char *head = "# Project config files trusted by `coi trust` (sha256 of the file).\n";
  size_t hl = strlen (head), bl = strlen (body);
  if (write (fd, head, hl) != (ssize_t) hl || write (fd, body, bl) != (ssize_t) bl || fsync (fd) < 0)
    {
      int e = errno;
      unlink (tmp);
      return coi_error_errno (err, e, "write %s", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return coi_error_errno (err, e, "rename %s", tmp);
    }
  return 0;
}

static char *now_rfc3339 (void)
{
  time_t t = time (NULL);
  struct tm tm;
  char buf[32];
  if (gmtime_r (&t, &tm) == NULL || strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
    return NULL;
  return strdup (buf);
}

int coi_trust_add (const char *home, const char *path, char hex_out[65], coi_error_t *err)
{
  char hex[65];
  struct coi_trust_entry *v = NULL;
  size_t n = 0;
  if (coi_sha256_file (path, hex, err) < 0 || coi_trust_list (home, &v, &n, err) < 0)
    return -1;
  if (hex_out)
    memcpy (hex_out, hex, sizeof hex);
  struct coi_trust_entry *nv = realloc (v, (n + 1) * sizeof *nv);
  if (nv == NULL)
    {
      coi_trust_entries_free (v, n);
      return coi_error_errno (err, ENOMEM, "trust");
    }
  v = nv;
  size_t i = 0;
  while (i < n && strcmp (v[i].path, path) != 0)
    i++;
  if (i == n)
    {
      v[n] = (struct coi_trust_entry) { strdup (path), NULL, NULL };
      n++;
    }
  free (v[i].sha256);
  free (v[i].trusted_at);
  v[i].sha256 = strdup (hex);
  v[i].trusted_at = now_rfc3339 ();
  int r = v[i].path && v[i].sha256 && v[i].trusted_at ? write_store (home, v, n, err)
                                                      : coi_error_errno (err, ENOMEM, "trust");
  coi_trust_entries_free (v, n);
  return r;
}

int coi_trust_remove (const char *home, const char *path, coi_error_t *err)
{
  struct coi_trust_entry *v = NULL;
  size_t n = 0;
  if (coi_trust_list (home, &v, &n, err) < 0)
    return -1;
  size_t out = 0, removed = 0;
  for (size_t i = 0; i < n; i++)
    {
      if (!strcmp (v[i].path, path))
        {
          free (v[i].path);
          free (v[i].sha256);
          free (v[i].trusted_at);
          removed++;
          continue;
        }
      v[out++] = v[i];
    }
  int r = removed ? write_store (home, v, out, err) : 0;
  coi_trust_entries_free (v, out);
  return r < 0 ? -1 : removed > 0;
}

int coi_trust_check (const char *home, const char *path, coi_error_t *err)
{
  char hex[65];
  if (coi_sha256_file (path, hex, err) < 0)
    return -1;
  return config_trust_lookup (home, path, hex, err);
}

int config_trust_lookup (const char *home, const char *path, const char hex[65], coi_error_t *err)
{
  struct coi_trust_entry *v = NULL;
  size_t n = 0;
  if (coi_trust_list (home, &v, &n, err) < 0)
    return -1;
  int found = 0;
  for (size_t i = 0; i < n && !found; i++)
    found = !strcmp (v[i].path, path) && !strcmp (v[i].sha256, hex);
  coi_trust_entries_free (v, n);
  return found;
}

static int cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int coi_trust_project_files (const char *workspace, char ***files, coi_error_t *err)
{
  struct strv s = { 0 };
  _cleanup_closedir_ DIR *d = NULL;
  _cleanup_free_ char *cfg = NULL, *legacy = NULL, *pdir = NULL;
  if (asprintf (&cfg, "%s/.coi/config.toml", workspace) < 0 || asprintf (&legacy, "%s/.coi.toml", workspace) < 0
      || asprintf (&pdir, "%s/.coi/profiles", workspace) < 0)
    return coi_error_errno (err, ENOMEM, "trust");
  if ((access (cfg, F_OK) == 0 && strv_add (&s, cfg) < 0) || (access (legacy, F_OK) == 0 && strv_add (&s, legacy) < 0))
    goto oom;
  d = opendir (pdir);
  size_t first = s.n;
  for (struct dirent *de; d && (de = readdir (d)) != NULL;)
    {
      if (de->d_name[0] == '.')
        continue;
      _cleanup_free_ char *p = NULL;
      if (asprintf (&p, "%s/%s/config.toml", pdir, de->d_name) < 0)
        goto oom;
      if (access (p, F_OK) == 0 && strv_add (&s, p) < 0)
        goto oom;
    }
  if (s.n > first)
    qsort (s.v + first, s.n - first, sizeof (char *), cmp_str);
  if (s.v == NULL && (s.v = calloc (1, sizeof (char *))) == NULL)
    goto oom;
  *files = s.v;
  return 0;
oom:
  strv_clear (&s);
  return coi_error_errno (err, ENOMEM, "trust");
}
