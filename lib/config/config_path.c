/* Paths from the configuration, made absolute one way for everybody: the
 * untrusted-config check and the mounts that are finally made must agree
 * on what "host = .ssh" names (the workspace's .ssh, from any cwd). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_private.h"
#include "util/buf.h"
#include "util/cleanup.h"

#define MAX_LINKS 40

/* Drops the last component of the absolute path in b ("/a/b" -> "/a"). */
static void pop (struct buf *b)
{
  while (b->len > 1 && b->data[b->len - 1] != '/')
    b->len--;
  if (b->len > 1)
    b->len--;
  b->data[b->len] = '\0';
}

static int push (struct buf *b, const char *seg, size_t n)
{
  if (b->len > 1 && buf_append (b, "/", 1) < 0)
    return -1;
  return buf_append (b, seg, n);
}

static char *joined (const char *base, const char *path)
{
  char *p = NULL;
  if (path[0] == '/')
    return strdup (path);
  return asprintf (&p, "%s/%s", base && *base ? base : "/", path) < 0 ? NULL : p;
}

char *config_path_clean (const char *base, const char *path)
{
  _cleanup_free_ char *all = joined (base, path);
  _cleanup_buf_ struct buf b = { 0 };
  if (all == NULL || buf_append (&b, "/", 1) < 0)
    return NULL;
  for (char *save = NULL, *seg = strtok_r (all, "/", &save); seg; seg = strtok_r (NULL, "/", &save))
    {
      if (!strcmp (seg, "."))
        continue;
      if (!strcmp (seg, ".."))
        pop (&b);
      else if (push (&b, seg, strlen (seg)) < 0)
        return NULL;
    }
  return buf_steal (&b);
}

/* Component by component, as the kernel walks it: a symbolic link is
 * replaced by its target before the next component, so ".." after a link
 * leaves the link's target.  Components that do not exist (yet) cannot be
 * links and are taken as written. */
char *config_path_resolve (const char *base, const char *path)
{
  _cleanup_free_ char *rest = joined (base, path);
  _cleanup_buf_ struct buf b = { 0 };
  if (rest == NULL || buf_append (&b, "/", 1) < 0)
    return NULL;
  int links = 0;
  size_t at = 0;
  while (rest[at])
    {
      while (rest[at] == '/')
        at++;
      size_t n = strcspn (rest + at, "/");
      const char *seg = rest + at;
      if (n == 0)
        break;
      at += n;
      if (n == 1 && seg[0] == '.')
        continue;
      if (n == 2 && seg[0] == '.' && seg[1] == '.')
        {
          pop (&b);
          continue;
        }
      size_t before = b.len;
      if (push (&b, seg, n) < 0)
        return NULL;
      struct stat st;
      if (lstat (b.data, &st) < 0 || !S_ISLNK (st.st_mode))
        continue;
      if (++links > MAX_LINKS)
        {
          errno = ELOOP;
          return NULL;
        }
      char target[PATH_MAX];
      ssize_t tl = readlink (b.data, target, sizeof target - 1);
      if (tl < 0)
        return NULL;
      target[tl] = '\0';
      b.len = before;
      b.data[b.len] = '\0';
      if (target[0] == '/')
        {
          b.len = 1;
          b.data[1] = '\0';
        }
      char *next = NULL;
      if (asprintf (&next, "%s/%s", target, rest + at) < 0)
        return NULL;
      free (rest);
      rest = next;
      at = 0;
    }
  return buf_steal (&b);
}

bool config_path_inside (const char *dir, const char *path)
{
  size_t n = strlen (dir);
  if (n == 1 && dir[0] == '/')
    return path[0] == '/';
  return !strncmp (dir, path, n) && (path[n] == '\0' || path[n] == '/');
}

int coi_config_resolve_path (const struct coi_config *c, const char *path, char **out, coi_error_t *err)
{
  *out = config_path_resolve (c->workspace, path);
  if (*out == NULL)
    return coi_error_errno (err, errno ? errno : ENOMEM, "resolve %s in %s", path, c->workspace);
  return 0;
}
