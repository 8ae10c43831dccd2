/* The nftables backend: every operation is one libnftables transaction on
 * `table inet coi` (see render.h for the layout). */
#include "netpolicy/backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy/nft.h"
#include "util/cleanup.h"

static int ensure_base (struct coi_nft *n, coi_error_t *err)
{
  _cleanup_free_ char *base = coi_nft_render_base ();
  if (base == NULL)
    return coi_error_errno (err, ENOMEM, "nftables");
  _cleanup_error_ coi_error_t e = NULL;
  if (coi_nft_run (n, base, &e) == 0)
    return 0;
  /* Someone (maybe a concurrent coi) created it first: that is success. */
  if (e->status == EEXIST)
    return 0;
  *err = e;
  e = NULL;
  return -1;
}

static int nft_check (coi_error_t *err)
{
  _cleanup_nft_ struct coi_nft *n = NULL;
  if (coi_nft_open (&n, err) < 0)
    return -1;
  if (ensure_base (n, err) < 0)
    {
      if ((*err)->status == EPERM)
        {
          coi_error_release (err);
          coi_error_make (err, EPERM,
                          "network isolation needs root or CAP_NET_ADMIN to install nftables "
                          "rules; refusing to start an unfiltered session");
          coi_error_set_hint (err, "run coi as root, or choose --network=open explicitly");
        }
      return -1;
    }
  return 0;
}

static int run_rendered (char *batch, coi_error_t *err)
{
  _cleanup_free_ char *b = batch;
  _cleanup_nft_ struct coi_nft *n = NULL;
  if (b == NULL)
    return coi_error_errno (err, ENOMEM, "nftables: cannot render rules");
  if (coi_nft_open (&n, err) < 0 || ensure_base (n, err) < 0)
    return -1;
  return coi_nft_run (n, b, err);
}

static int nft_apply (const struct coi_net_target *t, const struct coi_net_policy *p,
                      coi_error_t *err)
{
  if (!coi_net_container_name_ok (t->container))
    return coi_error_make (err, EINVAL, "invalid container name '%s'", t->container);
  return run_rendered (coi_nft_render_apply (t, p), err);
}

static int nft_teardown (uint32_t addr, coi_error_t *err)
{
  return run_rendered (coi_nft_render_teardown (addr), err);
}

static int nft_allow_learned (uint32_t session_addr, uint32_t a, const struct coi_port_list *ports,
                              unsigned timeout_s, coi_error_t *err)
{
  _cleanup_free_ char *b = coi_nft_render_dynamic (session_addr, a, ports, timeout_s);
  _cleanup_nft_ struct coi_nft *n = NULL;
  if (b == NULL)
    return coi_error_errno (err, ENOMEM, "nftables: cannot render rules");
  /* No ensure_base: a missing session set means the session is gone, and
   * the add must fail rather than recreate anything. */
  if (coi_nft_open (&n, err) < 0)
    return -1;
  return coi_nft_run (n, b, err);
}

static int nft_foreach_session (int (*fn) (uint32_t addr, const char *owner, void *data),
                                void *data, coi_error_t *err)
{
  _cleanup_nft_ struct coi_nft *n = NULL;
  _cleanup_json_ json_t *arr = NULL;
  if (coi_nft_open (&n, err) < 0 || coi_nft_list_json (n, "list table inet " COI_NFT_TABLE, &arr, err) < 0)
    return -1;
  size_t i;
  json_t *item;
  json_array_foreach (arr, i, item)
  {
    json_t *chain = json_object_get (item, "chain");
    const char *name = json_string_value (json_object_get (chain, "name"));
    const char *comment = json_string_value (json_object_get (chain, "comment"));
    uint32_t a;
    if (name == NULL || strncmp (name, "c_", 2) != 0 || !coi_ipv4_key_parse (name + 2, &a))
      continue;
    const char *owner = "";
    if (comment && strncmp (comment, COI_NFT_COMMENT_PREFIX, strlen (COI_NFT_COMMENT_PREFIX)) == 0)
      owner = comment + strlen (COI_NFT_COMMENT_PREFIX);
    if (fn (a, owner, data) < 0)
      return -1;
  }
  return 0;
}

const struct coi_net_backend_ops coi_net_backend_nft = {
  .name = "nftables",
  .check = nft_check,
  .apply = nft_apply,
  .teardown = nft_teardown,
  .allow_learned = nft_allow_learned,
  .foreach_session = nft_foreach_session,
};
