/* coi's containers on the server, read in one request. */
#ifndef COI_SESSION_INVENTORY_H
#define COI_SESSION_INVENTORY_H

#include <stdbool.h>
#include <stddef.h>

#include "incus/client.h"

struct coi_instance_info
{
  char *name;
  char *status;      /* Running, Stopped, Frozen, ... */
  char *ipv4;        /* may be NULL */
  char *created_at;
  char *image;
  char *workspace;   /* may be NULL for containers coi did not label */
  char *session_id;
  char *tool;
  char *profile;
  char *state;       /* launching | ready | NULL */
  char *owner;       /* pid:boot-id of the launcher */
  bool persistent;
};

struct coi_inventory
{
  struct coi_instance_info *items;
  size_t n;
};

void coi_inventory_clear (struct coi_inventory *inv);
/* All instances whose name starts with the container prefix.  with_state
 * also reads addresses (a slower recursion=2 listing). */
int coi_inventory_load (struct incus_client *c, bool with_state, struct coi_inventory *inv,
                        coi_error_t *err);
const struct coi_instance_info *coi_inventory_find (const struct coi_inventory *inv,
                                                    const char *name);
/* True when the launcher recorded in `owner` is a live process of this boot. */
bool coi_owner_alive (const char *owner);

#endif
