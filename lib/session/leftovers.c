#include "session/leftovers.h"

#include <errno.h>
#include <string.h>

#include "netpolicy/addr.h"
#include "util/cleanup.h"
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

/* Network state is the guard's: it finds (and with remove, drops) the
 * rules and reservations whose container is gone. */
static int net_orphans (const struct coi_orphan_opts *o, coi_leftover_fn fn, void *data,
                        bool *rules_read, coi_error_t *err)
{
  if (rules_read)
    *rules_read = false;
  if (o->guard == NULL)
    return 0;
  _cleanup_json_ json_t *res = NULL;
  _cleanup_error_ coi_error_t e = NULL;
  if (coi_guard_link_call (o->guard, "clean", json_pack ("{s:b}", "dry_run", !o->remove), &res, &e) < 0)
    {
      if (e->status == ENOENT || e->status == ECONNREFUSED)
        return 0; /* no guard here: nothing of its to judge */
      *err = steal_pointer (&e);
      return -1;
    }
  if (rules_read)
    *rules_read = true;
  size_t i;
  json_t *it;
  json_array_foreach (json_object_get (res, "orphans"), i, it)
  {
    uint32_t addr = 0;
    coi_ipv4_parse (json_string_value (json_object_get (it, "address")), &addr);
    struct coi_leftover l = {
      .kind = json_is_true (json_object_get (it, "rules")) ? COI_LEFTOVER_NET_RULES : COI_LEFTOVER_NET_ADDR,
      .container = json_string_value (json_object_get (it, "container")),
      .addr = addr,
    };
    if (l.container == NULL)
      continue;
    if (fn && fn (&l, data, err) < 0)
      return -1;
  }
  return (int) json_array_size (json_object_get (res, "orphans"));
}

int coi_orphans_scan (struct incus_client *c, const struct coi_orphan_opts *o, coi_leftover_fn fn,
                      void *data, bool *rules_read, coi_error_t *err)
{
  int n = net_orphans (o, fn, data, rules_read, err);
  if (n < 0)
    return -1;
  if (o->run_dir == NULL)
    return n;
  int m = coi_run_orphans (c, o, fn, data, err);
  return m < 0 ? -1 : n + m;
}
