#include "netpolicy/nft.h"

#include <errno.h>
#include <linux/capability.h>
#include <nftables/libnftables.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

struct coi_nft
{
  struct nft_ctx *ctx;
};

bool coi_nft_may_admin (void)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[2];
  if (syscall (SYS_capget, &h, d) < 0)
    return true;
  return (d[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))) != 0;
}

int coi_nft_open (struct coi_nft **out, coi_error_t *err)
{
  struct coi_nft *n = calloc (1, sizeof *n);
  if (n == NULL)
    return coi_error_errno (err, ENOMEM, "nftables");
  n->ctx = nft_ctx_new (NFT_CTX_DEFAULT);
  if (n->ctx == NULL)
    {
      free (n);
      return coi_error_make (err, ENOMEM, "nftables: cannot create a libnftables context");
    }
  /* Buffer both streams: libnftables must never print on the user's terminal. */
  if (nft_ctx_buffer_output (n->ctx) != 0 || nft_ctx_buffer_error (n->ctx) != 0)
    {
      coi_nft_free (n);
      return coi_error_make (err, ENOMEM, "nftables: cannot buffer output");
    }
  *out = n;
  return 0;
}

void coi_nft_free (struct coi_nft *n)
{
  if (n == NULL)
    return;
  if (n->ctx)
    nft_ctx_free (n->ctx);
  free (n);
}

/* The first line of nft's caret diagnostic is the useful part. */
static char *first_error_line (const char *s)
{
  if (s == NULL || *s == '\0')
    return strdup ("unknown error");
  const char *e = strstr (s, "Error: ");
  const char *start = e ? e + 7 : s;
  size_t len = strcspn (start, "\n");
  return strndup (start, len);
}

static int errno_of (const char *msg)
{
  if (msg && strstr (msg, "Operation not permitted"))
    return EPERM;
  if (msg && (strstr (msg, "No such file") || strstr (msg, "does not exist")))
    return ENOENT;
  if (msg && strstr (msg, "File exists"))
    return EEXIST;
  return EIO;
}

int coi_nft_run (struct coi_nft *n, const char *batch, coi_error_t *err)
{
  int r = nft_run_cmd_from_buffer (n->ctx, batch);
  const char *e = nft_ctx_get_error_buffer (n->ctx);
  if (r == 0)
    return 0;
  _cleanup_free_ char *line = first_error_line (e);
  return coi_error_make (err, errno_of (e), "nftables transaction failed: %s",
                         line ? line : "unknown error");
}

int coi_nft_list_json (struct coi_nft *n, const char *cmd, json_t **out, coi_error_t *err)
{
  unsigned flags = nft_ctx_output_get_flags (n->ctx);
  nft_ctx_output_set_flags (n->ctx, flags | NFT_CTX_OUTPUT_JSON);
  int r = nft_run_cmd_from_buffer (n->ctx, cmd);
  nft_ctx_output_set_flags (n->ctx, flags);
  const char *o = nft_ctx_get_output_buffer (n->ctx);
  const char *e = nft_ctx_get_error_buffer (n->ctx);
  *out = NULL;
  if (r != 0)
    {
      if (errno_of (e) == ENOENT)
        return 0;
      _cleanup_free_ char *line = first_error_line (e);
      return coi_error_make (err, errno_of (e), "nftables listing failed: %s",
                             line ? line : "unknown error");
    }
  json_error_t je;
  _cleanup_json_ json_t *root = json_loads (o ? o : "", 0, &je);
  json_t *arr = json_object_get (root, "nftables");
  if (!json_is_array (arr))
    return coi_error_make (err, EIO, "nftables listing: unexpected JSON (%s)", je.text);
  *out = json_incref (arr);
  return 0;
}

int coi_nft_count_rules (struct coi_nft *n, const char *family, const char *table,
                         coi_error_t *err)
{
  _cleanup_free_ char *cmd = NULL;
  if (asprintf (&cmd, "list table %s %s", family, table) < 0)
    return coi_error_errno (err, ENOMEM, "nftables");
  _cleanup_json_ json_t *arr = NULL;
  if (coi_nft_list_json (n, cmd, &arr, err) < 0)
    return -1;
  int count = 0;
  size_t i;
  json_t *item;
  json_array_foreach (arr, i, item)
    if (json_object_get (item, "rule"))
      count++;
  return count;
}
