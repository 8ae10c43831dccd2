/* The nftables backend: every operation is one libnftables transaction on
 * the site's `table inet <table>` (see render.h for the layout). */
#include "netpolicy/backend.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy/nft.h"
#include "util/cleanup.h"

/* The handle: one libnftables context, for one site's table. */
struct nft_backend
{
  struct coi_nft *n;
  const struct coi_net_site *site;
};

static int ensure_base (struct nft_backend *nb, coi_error_t *err)
{
  _cleanup_free_ char *base = coi_nft_render_base (nb->site->table);
  if (base == NULL)
    return coi_error_errno (err, ENOMEM, "nftables");
  _cleanup_error_ coi_error_t e = NULL;
  if (coi_nft_run (nb->n, base, &e) == 0)
    return 0;
  /* Someone (maybe a concurrent coi) created it first: that is success. */
  if (e->status == EEXIST)
    return 0;
  *err = e;
  e = NULL;
  return -1;
}

static int refuse_unprivileged (coi_error_t *err)
{
  coi_error_make (err, EPERM,
                  "network isolation needs root or CAP_NET_ADMIN to install nftables rules; "
                  "refusing to start an unfiltered session");
  coi_error_set_hint (err, "run coi as root, or choose --network=open explicitly");
  return -1;
}

/* Read-only where possible: a "create table" that fails with EEXIST still
 * costs a kernel transaction and its abort. */
static int base_present (struct nft_backend *nb, coi_error_t *err)
{
  _cleanup_json_ json_t *arr = NULL;
  if (coi_nft_list_json (nb->n, "list tables", &arr, err) < 0)
    return -1;
  size_t i;
  json_t *it;
  json_array_foreach (arr, i, it)
  {
    json_t *t = json_object_get (it, "table");
    const char *fam = json_string_value (json_object_get (t, "family"));
    const char *name = json_string_value (json_object_get (t, "name"));
    if (fam && name && strcmp (fam, "inet") == 0 && strcmp (name, nb->site->table) == 0)
      return 1;
  }
  return 0;
}

static int nft_check (void *h, coi_error_t *err)
{
  _cleanup_error_ coi_error_t e = NULL;
  int r;
  if (!coi_nft_may_admin ())
    r = coi_error_make (&e, EPERM, "no CAP_NET_ADMIN");
  else if ((r = base_present (h, &e)) == 0)
    r = ensure_base (h, &e);
  if (r >= 0)
    return 0;
  if (e->status != EPERM)
    {
      *err = e;
      e = NULL;
      return -1;
    }
  return refuse_unprivileged (err);
}

/* One transaction.  The base is created only when the table is missing,
 * so the usual apply or teardown costs exactly one kernel commit. */
static int run_rendered (struct nft_backend *nb, char *batch, bool create_base, coi_error_t *err)
{
  _cleanup_free_ char *b = batch;
  _cleanup_error_ coi_error_t e = NULL;
  if (b == NULL)
    return coi_error_errno (err, ENOMEM, "nftables: cannot render rules");
  if (coi_nft_run (nb->n, b, &e) == 0)
    return 0;
  if (e->status == ENOENT && !create_base)
    return 0; /* no table: nothing of any session exists */
  if (e->status != ENOENT)
    {
      *err = e;
      e = NULL;
      return -1;
    }
  if (ensure_base (nb, err) < 0)
    return -1;
  return coi_nft_run (nb->n, b, err);
}

static int nft_apply (void *h, const struct coi_net_target *t, const struct coi_net_policy *p,
                      coi_error_t *err)
{
  if (!coi_net_container_name_ok (t->container))
    return coi_error_make (err, EINVAL, "invalid container name '%s'", t->container);
  /* No separate check here: apply is one transaction on the hot path. */
  if (!coi_nft_may_admin ())
    return refuse_unprivileged (err);
  struct nft_backend *nb = h;
  return run_rendered (nb, coi_nft_render_apply (nb->site->table, t, p), true, err);
}

static int nft_teardown (void *h, uint32_t addr, coi_error_t *err)
{
  struct nft_backend *nb = h;
  return run_rendered (nb, coi_nft_render_teardown (nb->site->table, addr), false, err);
}

static int nft_allow_learned (void *h, uint32_t session_addr, uint32_t a,
                              const struct coi_port_list *ports, unsigned timeout_s, coi_error_t *err)
{
  struct nft_backend *nb = h;
  _cleanup_free_ char *b = coi_nft_render_dynamic (nb->site->table, session_addr, a, ports, timeout_s);
  if (b == NULL)
    return coi_error_errno (err, ENOMEM, "nftables: cannot render rules");
  /* No ensure_base: a missing session set means the session is gone, and
   * the add must fail rather than recreate anything. */
  return coi_nft_run (nb->n, b, err);
}

/* The owner is read from the comment of the session's sa_ set: libnftables
 * 1.0.6 does not put chain comments into its JSON.  A c_ chain without that
 * set (a partial leftover) is reported with an empty owner. */
static int nft_foreach_session (void *h, int (*fn) (uint32_t addr, const char *owner, void *data),
                                void *data, coi_error_t *err)
{
  _cleanup_json_ json_t *arr = NULL;
  _cleanup_json_ json_t *owners = json_object ();
  if (owners == NULL)
    return coi_error_errno (err, ENOMEM, "nftables");
  struct nft_backend *nb = h;
  char cmd[64];
  snprintf (cmd, sizeof cmd, "list table inet %s", nb->site->table);
  if (coi_nft_list_json (nb->n, cmd, &arr, err) < 0)
    return -1;
  size_t i;
  json_t *item;
  const size_t plen = strlen (COI_NFT_COMMENT_PREFIX);
  json_array_foreach (arr, i, item)
  {
    json_t *set = json_object_get (item, "set");
    const char *name = json_string_value (json_object_get (set, "name"));
    const char *comment = json_string_value (json_object_get (set, "comment"));
    uint32_t a;
    if (name && strncmp (name, "sa_", 3) == 0 && coi_ipv4_key_parse (name + 3, &a) && comment
        && strncmp (comment, COI_NFT_COMMENT_PREFIX, plen) == 0
        && json_object_set_new (owners, name + 3, json_string (comment + plen)) < 0)
      return coi_error_errno (err, ENOMEM, "nftables");
  }
  json_array_foreach (arr, i, item)
  {
    json_t *chain = json_object_get (item, "chain");
    const char *name = json_string_value (json_object_get (chain, "name"));
    uint32_t a;
    if (name == NULL || strncmp (name, "c_", 2) != 0 || !coi_ipv4_key_parse (name + 2, &a))
      continue;
    const char *owner = json_string_value (json_object_get (owners, name + 2));
    if (fn (a, owner ? owner : "", data) < 0)
      return -1;
  }
  return 0;
}

static int nft_open (const struct coi_net_site *site, void **h, coi_error_t *err)
{
  struct nft_backend *nb = calloc (1, sizeof *nb);
  if (nb == NULL)
    return coi_error_errno (err, ENOMEM, "nftables");
  nb->site = site;
  if (coi_nft_open (&nb->n, err) < 0)
    {
      free (nb);
      return -1;
    }
  *h = nb;
  return 0;
}

static void nft_close (void *h)
{
  struct nft_backend *nb = h;
  coi_nft_free (nb->n);
  free (nb);
}

const struct coi_net_backend_ops coi_net_backend_nft = {
  .name = "nftables",
  .open = nft_open,
  .close = nft_close,
  .check = nft_check,
  .apply = nft_apply,
  .teardown = nft_teardown,
  .allow_learned = nft_allow_learned,
  .foreach_session = nft_foreach_session,
};

int coi_net_backend_open (struct coi_net_backend *b, const struct coi_net_site *site,
                          coi_error_t *err)
{
  b->ops = &coi_net_backend_nft;
  b->h = NULL;
  return b->ops->open (site, &b->h, err);
}
