#include "image/stage.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/recipe.h"
#include "util/cleanup.h"
#include "util/fs.h"

#define HOST_CA_DIR "/usr/local/share/ca-certificates"
#define MAX_CA_SIZE (256 * 1024)
#define MAX_CAS 64

void coi_stage_clear (struct coi_stage *s)
{
  for (size_t i = 0; i < s->n; i++)
    {
      free (s->files[i].path);
      free (s->files[i].owned);
    }
  free (s->files);
  s->files = NULL;
  s->n = 0;
}

static int push (struct coi_stage *s, const char *path, const unsigned char *data, size_t len,
                 mode_t mode, unsigned char *owned)
{
  struct coi_stage_file *nf = realloc (s->files, (s->n + 1) * sizeof (*nf));
  if (nf == NULL)
    return -1;
  s->files = nf;
  char *p = strdup (path);
  if (p == NULL)
    return -1;
  s->files[s->n++] = (struct coi_stage_file) { p, data, len, mode, owned };
  return 0;
}

static int by_name (const struct dirent **a, const struct dirent **b)
{
  return strcmp ((*a)->d_name, (*b)->d_name);
}

static int is_crt (const struct dirent *d)
{
  size_t n = strlen (d->d_name);
  return d->d_name[0] != '.' && n > 4 && strcmp (d->d_name + n - 4, ".crt") == 0;
}

/* Sorted by name, so that the cache key does not depend on readdir order. */
static int collect_cas (struct coi_stage *s, coi_error_t *err)
{
  struct dirent **names = NULL;
  int n = scandir (HOST_CA_DIR, &names, is_crt, by_name);
  if (n < 0)
    return 0; /* no local CAs */
  int r = 0;
  for (int i = 0; i < n; i++)
    {
      _cleanup_free_ char *src = NULL, *dst = NULL;
      char *data = NULL;
      size_t len = 0;
      if (r == 0 && i < MAX_CAS && asprintf (&src, "%s/%s", HOST_CA_DIR, names[i]->d_name) > 0
          && asprintf (&dst, "%s/%s", COI_STAGE_CA_DIR, names[i]->d_name) > 0)
        {
          if (coi_read_file (src, MAX_CA_SIZE, &data, &len, err) < 0)
            r = -1;
          else if (push (s, dst, (unsigned char *) data, len, 0644, (unsigned char *) data) < 0)
            {
              free (data);
              r = coi_error_errno (err, ENOMEM, "collect the host's CA certificates");
            }
        }
      free (names[i]);
    }
  free (names);
  return r;
}

int coi_stage_collect (struct coi_stage *s, coi_error_t *err)
{
  s->files = NULL;
  s->n = 0;
  if (push (s, COI_PROVISION_PATH, coi_provision_sh, coi_provision_sh_len, 0755, NULL) < 0
      || push (s, COI_DUMMY_PATH, coi_dummy_sh, coi_dummy_sh_len, 0755, NULL) < 0)
    return coi_error_errno (err, ENOMEM, "stage the recipe");
  if (collect_cas (s, err) < 0)
    {
      coi_stage_clear (s);
      return -1;
    }
  return 0;
}

static int write_one (const char *root, const struct coi_stage_file *f, coi_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  if (asprintf (&path, "%s%s", root, f->path) < 0)
    return coi_error_errno (err, ENOMEM, "stage %s", f->path);
  char *slash = strrchr (path, '/');
  *slash = '\0';
  if (coi_mkdir_p (path, 0755, err) < 0)
    return -1;
  *slash = '/';
  if (unlink (path) < 0 && errno != ENOENT)
    return coi_error_errno (err, errno, "stage %s", path);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, f->mode);
  if (fd < 0 || coi_write_all (fd, f->data, f->len) < 0 || fchmod (fd, f->mode) < 0)
    return coi_error_errno (err, errno, "stage %s", path);
  return 0;
}

int coi_stage_write_tree (const struct coi_stage *s, const char *root, coi_error_t *err)
{
  for (size_t i = 0; i < s->n; i++)
    if (write_one (root, &s->files[i], err) < 0)
      return -1;
  return 0;
}
