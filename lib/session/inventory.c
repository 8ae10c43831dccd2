#include "session/inventory.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "incus/instance.h"
#include "session/naming.h"
#include "session/spec.h"
#include "util/bootid.h"
#include "util/cleanup.h"

static void info_clear (struct coi_instance_info *i)
{
  free (i->name);
  free (i->status);
  free (i->ipv4);
  free (i->created_at);
  free (i->image);
  free (i->workspace);
  free (i->session_id);
  free (i->tool);
  free (i->profile);
  free (i->state);
  free (i->owner);
  memset (i, 0, sizeof (*i));
}

void coi_inventory_clear (struct coi_inventory *inv)
{
  for (size_t i = 0; i < inv->n; i++)
    info_clear (&inv->items[i]);
  free (inv->items);
  inv->items = NULL;
  inv->n = 0;
}

static char *dup_or_null (const char *s)
{
  return s ? strdup (s) : NULL;
}

static int fill (struct coi_instance_info *out, json_t *inst)
{
  json_t *cfg = json_object_get (inst, "config");
  const char *image = json_string_value (json_object_get (cfg, COI_KEY_IMAGE));
  if (image == NULL)
    image = json_string_value (json_object_get (cfg, "image.description"));
  const char *ip = incus_state_ipv4 (json_object_get (inst, "state"), "eth0");
  out->name = dup_or_null (json_string_value (json_object_get (inst, "name")));
  out->status = dup_or_null (json_string_value (json_object_get (inst, "status")));
  out->created_at = dup_or_null (json_string_value (json_object_get (inst, "created_at")));
  out->ipv4 = dup_or_null (ip);
  out->image = dup_or_null (image);
  out->workspace = dup_or_null (json_string_value (json_object_get (cfg, COI_KEY_WORKSPACE)));
  out->session_id = dup_or_null (json_string_value (json_object_get (cfg, COI_KEY_SESSION)));
  out->tool = dup_or_null (json_string_value (json_object_get (cfg, COI_KEY_TOOL)));
  out->profile = dup_or_null (json_string_value (json_object_get (cfg, COI_KEY_PROFILE)));
  out->state = dup_or_null (json_string_value (json_object_get (cfg, COI_KEY_STATE)));
  out->owner = dup_or_null (json_string_value (json_object_get (cfg, COI_KEY_OWNER)));
  const char *pers = json_string_value (json_object_get (cfg, COI_KEY_PERSISTENT));
  out->persistent = pers && strcmp (pers, "true") == 0;
  return out->name && out->status ? 0 : -1;
}

int coi_inventory_load (struct incus_client *c, bool with_state, struct coi_inventory *inv,
                        coi_error_t *err)
{
  _cleanup_json_ json_t *list = NULL;
  const char *prefix = coi_container_prefix ();
  memset (inv, 0, sizeof (*inv));
  if (incus_instance_list (c, with_state ? 2 : 1, NULL, &list, err) < 0)
    return -1;
  size_t n = json_array_size (list);
  inv->items = calloc (n ? n : 1, sizeof (*inv->items));
  if (inv->items == NULL)
    return coi_error_errno (err, ENOMEM, "list containers");
  size_t i;
  json_t *inst;
  json_array_foreach (list, i, inst)
  {
    const char *name = json_string_value (json_object_get (inst, "name"));
    if (name == NULL || strncmp (name, prefix, strlen (prefix)) != 0)
      continue;
    if (fill (&inv->items[inv->n], inst) < 0)
      {
        info_clear (&inv->items[inv->n]);
        continue;
      }
    inv->n++;
  }
  return 0;
}

const struct coi_instance_info *coi_inventory_find (const struct coi_inventory *inv,
                                                    const char *name)
{
  for (size_t i = 0; i < inv->n; i++)
    if (strcmp (inv->items[i].name, name) == 0)
      return &inv->items[i];
  return NULL;
}

bool coi_owner_alive (const char *owner)
{
  if (owner == NULL)
    return false;
  char boot[64];
  coi_boot_id (boot);
  char *end = NULL;
  long pid = strtol (owner, &end, 10);
  if (end == owner || *end != ':' || strcmp (end + 1, boot) != 0 || pid <= 0)
    return false;
  return kill ((pid_t) pid, 0) == 0 || errno == EPERM;
}
