#include "session/leftovers.h"

#include <string.h>

#include "netpolicy/net.h"
#include "session/leftovers_private.h"

enum coi_leftover_kind coi_leftover_container_kind (const struct coi_instance_info *i)
{
  if (i->status && strcmp (i->status, "Stopped") == 0)
    return COI_LEFTOVER_STOPPED;
  /* A launch that died (coi killed mid-start) leaves a container marked
   * "launching" whose launcher is gone. */
  if (i->state && strcmp (i->state, "launching") == 0 && !coi_owner_alive (i->owner))
    return COI_LEFTOVER_LAUNCH;
  return COI_LEFTOVER_RUNNING;
}

bool coi_clean_selects (const struct coi_instance_info *i, bool all)
{
  return all || coi_leftover_container_kind (i) != COI_LEFTOVER_RUNNING;
}

struct net_pass
{
  coi_leftover_fn fn;
  void *data;
};

static int net_orphan (const struct coi_net_orphan *o, void *data, coi_error_t *err)
{
  struct net_pass *p = data;
  struct coi_leftover l = {
    .kind = o->rules ? COI_LEFTOVER_NET_RULES : COI_LEFTOVER_NET_ADDR,
    .container = o->owner,
    .addr = o->addr,
  };
  return p->fn ? p->fn (&l, p->data, err) : 0;
}

int coi_orphans_scan (struct incus_client *c, const struct coi_orphan_opts *o, coi_leftover_fn fn,
                      void *data, bool *rules_read, coi_error_t *err)
{
  struct net_pass p = { fn, data };
  int n = coi_net_orphans (c, o->remove, net_orphan, &p, rules_read, err);
  if (n < 0)
    return -1;
  if (o->run_dir == NULL)
    return n;
  int m = coi_run_orphans (c, o, fn, data, err);
  return m < 0 ? -1 : n + m;
}
