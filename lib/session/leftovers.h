/* What `coi clean` removes, found in one place: clean removes what this
 * finds and `coi health` counts it, so the two never disagree. */
#ifndef COI_SESSION_LEFTOVERS_H
#define COI_SESSION_LEFTOVERS_H

#include <stdbool.h>
#include <stdint.h>

#include "guard/link.h"
#include "incus/client.h"
#include "session/inventory.h"

enum coi_leftover_kind
{
  COI_LEFTOVER_STOPPED,   /* a stopped coi container: coi clean */
  COI_LEFTOVER_LAUNCH,    /* a container whose launcher died mid-start: coi clean */
  COI_LEFTOVER_RUNNING,   /* any other coi container: only coi clean --all */
  COI_LEFTOVER_NET_RULES, /* nftables rules of a container that is gone: --orphans */
  COI_LEFTOVER_NET_ADDR,  /* an address reserved for a container that is gone: --orphans */
  COI_LEFTOVER_RUN_FILES, /* the user's claim and alerts files of a container that is gone: --orphans */
};

/* Grace for host state younger than this: it may belong to a launch in
 * flight whose container does not exist yet. */
#define COI_LEFTOVER_GRACE_S 120

/* Which kind a coi container is to clean, and whether plain `coi clean`
 * (all false) or `coi clean --all` removes it. */
enum coi_leftover_kind coi_leftover_container_kind (const struct coi_instance_info *i);
bool coi_clean_selects (const struct coi_instance_info *i, bool all);

struct coi_leftover
{
  enum coi_leftover_kind kind;
  const char *container;
  uint32_t addr;            /* NET_*: the container's address */
  const char *const *files; /* RUN_FILES: full paths, NULL-terminated */
};
typedef int (*coi_leftover_fn) (const struct coi_leftover *l, void *data, coi_error_t *err);

struct coi_orphan_opts
{
  struct coi_guard_link *guard; /* asked for the network state; NULL: none here */
  const char *run_dir; /* the user's ~/.coi/run (claims, alerts); NULL: not looked at */
  const char *prefix;  /* names of coi containers */
  bool remove;         /* remove each before fn hears of it */
};

/* Host state whose container the server no longer has (what `coi clean
 * --orphans` removes): network state on the server's bridges (the guard's
 * answer), and the user's run files no live launcher holds.  fn may be
 * NULL.  *rules_read (may be NULL) is false when no guard answered, so the
 * network state was not judged.  Returns how many, or -1. */
int coi_orphans_scan (struct incus_client *c, const struct coi_orphan_opts *o, coi_leftover_fn fn,
                      void *data, bool *rules_read, coi_error_t *err);

#endif
