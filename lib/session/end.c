#include "session/end.h"

#include <string.h>

#include "incus/instance.h"
#include "util/cleanup.h"

int coi_container_end (struct incus_client *c, const char *name, int graceful_timeout_s,
                       coi_error_t *err)
{
  if (graceful_timeout_s > 0)
    {
      _cleanup_free_ char *status = NULL;
      _cleanup_error_ coi_error_t soft = NULL;
      if (incus_instance_status (c, name, &status, &soft) == 0 && strcmp (status, "Running") == 0)
        incus_instance_set_state (c, name, "stop", graceful_timeout_s, false, &soft);
    }
  if (incus_instance_force_delete (c, name, err) < 0)
    return -1;
  coi_container_forget (name);
  return 0;
}
