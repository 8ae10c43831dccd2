#include "netpolicy/site.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

void coi_net_site_default (struct coi_net_site *s)
{
  memset (s, 0, sizeof *s);
  snprintf (s->table, sizeof s->table, "%s", COI_NET_DEFAULT_TABLE);
  snprintf (s->state_dir, sizeof s->state_dir, "%s", COI_NET_DEFAULT_STATE_DIR);
  s->log_base = COI_NET_DEFAULT_LOG_BASE;
}

int coi_net_site_for (struct coi_net_site *s, const char *key, const char *state_dir,
                      coi_error_t *err)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  memset (s, 0, sizeof *s);
  if (EVP_Digest (key, strlen (key), md, &n, EVP_sha256 (), NULL) != 1 || n < 4)
    return coi_error_make (err, EIO, "hash the network site key");
  snprintf (s->table, sizeof s->table, "coi_%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
  if ((size_t) snprintf (s->state_dir, sizeof s->state_dir, "%s", state_dir) >= sizeof s->state_dir)
    return coi_error_make (err, ENAMETOOLONG, "network state directory %s: name too long", state_dir);
  /* 8000-64767 in blocks of 256, clear of the default site's 7300 block:
     a /24 bridge's host indexes fit in one block. */
  s->log_base = (uint16_t) (8000 + 256 * (((unsigned) md[4] << 8 | md[5]) % 222));
  return 0;
}
