/* Host-side state keyed to a container name, removed once it is gone. */
#include <stdio.h>

#include "netpolicy/net.h"
#include "session/end.h"
#include "util/cleanup.h"

void coi_container_forget (const char *name)
{
  _cleanup_error_ coi_error_t ignored = NULL;
  coi_net_teardown (name, &ignored);
}

int coi_clean_orphans (struct incus_client *c, bool dry_run, coi_error_t *err)
{
  if (dry_run)
    {
      printf ("Would remove network rules and reservations of containers that are gone\n");
      return 0;
    }
  int n = coi_net_clean_orphans (c, err);
  if (n > 0)
    printf ("Removed network state of %d container(s) that are gone\n", n);
  return n;
}
