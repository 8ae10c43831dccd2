/* Config files are read once into memory: the trust check hashes the very
 * bytes the parser reads, so a file swapped between the two cannot be
 * applied as trusted. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config_private.h"
#include "util/buf.h"
#include "util/cleanup.h"

int config_file_read (const char *path, const char *shown, bool nofollow, char **data, size_t *len,
                      coi_error_t *err)
{
  *data = NULL;
  *len = 0;
  /* O_NONBLOCK: a FIFO planted in a project must not hang the open. */
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (nofollow ? O_NOFOLLOW : 0));
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return 0;
  if (fd < 0 && errno == ELOOP && nofollow)
    return coi_error_make (err, ELOOP, "%s: is a symbolic link; a project config must be a regular file", shown);
  if (fd < 0)
    return coi_error_errno (err, errno, "open %s", shown);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return coi_error_errno (err, errno, "stat %s", shown);
  if (!S_ISREG (st.st_mode))
    return coi_error_make (err, 0, "%s: not a regular file", shown);
  if (st.st_size > CONFIG_FILE_MAX)
    return coi_error_make (err, 0, "%s: file too large (over %d bytes)", shown, CONFIG_FILE_MAX);
  _cleanup_buf_ struct buf b = { .limit = CONFIG_FILE_MAX };
  char chunk[65536];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return coi_error_errno (err, errno, "read %s", shown);
      if (n == 0)
        break;
      if (buf_append (&b, chunk, (size_t) n) < 0)
        return coi_error_make (err, 0, "%s: file too large (over %d bytes)", shown, CONFIG_FILE_MAX);
    }
  if (b.data == NULL && buf_append (&b, "", 0) < 0)
    return coi_error_errno (err, ENOMEM, "read %s", shown);
  *len = b.len;
  *data = buf_steal (&b);
  return 0;
}

void config_sha256 (const void *data, size_t len, char hex[65])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (EVP_Digest (data, len, md, &n, EVP_sha256 (), NULL) != 1 || n != 32)
    {
      /* Matches no recorded hash: the file stays untrusted. */
      snprintf (hex, 65, "%s", "error");
      return;
    }
  for (unsigned i = 0; i < 32; i++)
    snprintf (hex + 2 * i, 3, "%02x", md[i]);
}

int coi_sha256_file (const char *path, char hex[65], coi_error_t *err)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  if (config_file_read (path, path, true, &data, &len, err) < 0)
    return -1;
  if (data == NULL)
    return coi_error_errno (err, ENOENT, "open %s", path);
  config_sha256 (data, len, hex);
  return 0;
}
