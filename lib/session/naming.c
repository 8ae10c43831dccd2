#include "session/naming.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"

void coi_sha256_hex (const void *data, size_t len, char out[65])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;
  if (EVP_Digest (data, len, md, &mdlen, EVP_sha256 (), NULL) != 1)
    mdlen = 0;
  for (unsigned int i = 0; i < mdlen && i < 32; i++)
    sprintf (out + 2 * i, "%02x", md[i]);
  out[mdlen ? 64 : 0] = '\0';
}

/* filepath.Clean semantics: collapse "//", "/./" and "x/.." lexically. */
static void clean_path (char *p)
{
  char *out = p;
  const char *in = p;
  char *segs[PATH_MAX / 2];
  int nseg = 0;
  *out++ = '/';
  while (*in)
    {
      while (*in == '/')
        in++;
      if (!*in)
        break;
      const char *end = strchr (in, '/');
      size_t len = end ? (size_t) (end - in) : strlen (in);
      if (len == 1 && in[0] == '.')
        ;
      else if (len == 2 && in[0] == '.' && in[1] == '.')
        {
          if (nseg > 0)
            out = segs[--nseg];
        }
      else
        {
          segs[nseg++] = out;
          if (out != p + 1)
            *out++ = '/';
          memmove (out, in, len);
          out += len;
        }
      in += len;
    }
  if (out == p)
    out++;
  *out = '\0';
  /* Strip a separator left by popping back to the root. */
  size_t n = strlen (p);
  if (n > 1 && p[n - 1] == '/')
    p[n - 1] = '\0';
}

int coi_workspace_abs (const char *workspace, char **abs, coi_error_t *err)
{
  if (workspace == NULL || *workspace == '\0')
    workspace = ".";
  if (strlen (workspace) >= PATH_MAX)
    return coi_error_make (err, ENAMETOOLONG, "workspace path is too long");
  char *p = NULL;
  if (workspace[0] == '/')
    p = strdup (workspace);
  else
    {
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof cwd) == NULL)
        return coi_error_errno (err, errno, "resolve workspace %s", workspace);
      if (asprintf (&p, "%s/%s", cwd, workspace) < 0)
        p = NULL;
    }
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "resolve workspace %s", workspace);
  if (strlen (p) >= PATH_MAX)
    {
      free (p);
      return coi_error_make (err, ENAMETOOLONG, "workspace path is too long");
    }
  clean_path (p);
  *abs = p;
  return 0;
}

const char *coi_container_prefix (void)
{
  const char *p = getenv ("COI_CONTAINER_PREFIX");
  return p && *p ? p : COI_DEFAULT_PREFIX;
}

int coi_workspace_stem (const char *abs_workspace, char **stem, coi_error_t *err)
{
  char hex[65];
  coi_sha256_hex (abs_workspace, strlen (abs_workspace), hex);
  if (asprintf (stem, "%s%.8s-", coi_container_prefix (), hex) < 0)
    return coi_error_errno (err, ENOMEM, "name container");
  return 0;
}

int coi_container_name (const char *abs_workspace, int slot, char **name, coi_error_t *err)
{
  _cleanup_free_ char *stem = NULL;
  if (coi_workspace_stem (abs_workspace, &stem, err) < 0)
    return -1;
  if (asprintf (name, "%s%d", stem, slot) < 0)
    return coi_error_errno (err, ENOMEM, "name container");
  if (!coi_valid_container_name (*name))
    {
      int r = coi_error_make (err, EINVAL, "container name '%s' is not valid", *name);
      coi_error_set_hint (err, "COI_CONTAINER_PREFIX may hold only letters, digits and '-'");
      free (*name);
      *name = NULL;
      return r;
    }
  return 0;
}

int coi_container_slot (const char *stem, const char *name)
{
  size_t n = strlen (stem);
  if (strncmp (name, stem, n) != 0 || name[n] == '\0')
    return -1;
  char *end = NULL;
  errno = 0;
  long v = strtol (name + n, &end, 10);
  if (errno || *end || v < 1 || v > 100000 || name[n] == '0' || name[n] == '+' || name[n] == '-')
    return -1;
  return (int) v;
}

