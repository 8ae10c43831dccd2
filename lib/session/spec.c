#include "session/spec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "incus/image.h"
#include "util/bootid.h"
#include "util/cleanup.h"

#define FUSE_SUPER_MAGIC 0x65735546

/* Each mode argument is checked for S_ISUID (04000) and S_ISGID (02000);
 * openat2 passes its mode in a struct seccomp cannot read, so it is refused
 * and callers fall back to openat. */
#define SETID_RULE(sc, arg) \
  sc " errno 1 [" #arg ",2048,SCMP_CMP_MASKED_EQ,2048]\n" sc " errno 1 [" #arg ",1024,SCMP_CMP_MASKED_EQ,1024]\n"
const char coi_no_setid_rules[] = SETID_RULE ("chmod", 1) SETID_RULE ("fchmod", 1) SETID_RULE ("fchmodat", 2)
    SETID_RULE ("fchmodat2", 2) SETID_RULE ("open", 2) SETID_RULE ("openat", 3) SETID_RULE ("creat", 1)
        SETID_RULE ("mknod", 1) SETID_RULE ("mknodat", 2) "openat2 errno 38\n";

enum coi_idmap_mode coi_choose_idmap (bool server_has_idmapped_mounts, bool disable_shift,
                                      const char *workspace_host, uid_t host_uid, int code_uid)
{
  struct statfs sfs;
  /* Idmapped mounts do not work on FUSE (virtiofs, sshfs, ...). */
  bool fuse = statfs (workspace_host, &sfs) == 0 && sfs.f_type == FUSE_SUPER_MAGIC;
  if ((int) host_uid != code_uid)
    return COI_IDMAP_RAW;
  if (disable_shift || fuse || !server_has_idmapped_mounts)
    return COI_IDMAP_NONE;
  return COI_IDMAP_SHIFT;
}

static int boot_id_owner (char *out, size_t len)
{
  char boot[64];
  coi_boot_id (boot);
  return snprintf (out, len, "%d:%s", (int) getpid (), boot) < 0 ? -1 : 0;
}

int coi_instance_body (const struct coi_instance_plan *p, json_t **body, coi_error_t *err)
{
  char owner[96];
  if (boot_id_owner (owner, sizeof owner) < 0)
    return coi_error_make (err, 0, "prepare container %s", p->name);
  _cleanup_json_ json_t *source = incus_image_source (p->image, p->env, err);
  if (source == NULL)
    return err && *err ? coi_error_prefix (err, "prepare container %s", p->name)
                       : coi_error_errno (err, ENOMEM, "prepare container %s", p->name);

  _cleanup_json_ json_t *config = json_pack (
      "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", COI_KEY_SESSION, p->session_id,
      COI_KEY_WORKSPACE, p->workspace_host, COI_KEY_PERSISTENT, p->persistent ? "true" : "false",
      COI_KEY_TOOL, p->tool ? p->tool : "claude", COI_KEY_OWNER, owner, COI_KEY_STATE, "launching",
      /* Hardening that costs nothing at create time. */
      "security.privileged", "false", "security.nesting", "false", "security.guestapi", "false");
  if (config && json_object_set_new (config, "security.syscalls.deny", json_string (coi_no_setid_rules)) < 0)
    return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
  if (config == NULL)
    return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
  if (json_object_set_new (config, COI_KEY_IMAGE, json_string (p->image)) < 0)
    return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
  if (p->profile && json_object_set_new (config, COI_KEY_PROFILE, json_string (p->profile)) < 0)
    return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
  if (p->idmap == COI_IDMAP_RAW)
    {
      char map[96];
      snprintf (map, sizeof map, "uid %u %d\ngid %u %d", (unsigned) p->host_uid, p->code_uid,
                (unsigned) p->host_gid, p->code_uid);
      if (json_object_set_new (config, "raw.idmap", json_string (map)) < 0)
        return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
    }

  _cleanup_json_ json_t *devices = json_object ();
  json_t *ws = json_pack ("{s:s, s:s, s:s}", "type", "disk", "source", p->workspace_host, "path",
                          p->workspace_path);
  if (devices == NULL || ws == NULL)
    {
      json_decref (ws);
      return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
    }
  if (p->idmap == COI_IDMAP_SHIFT)
    json_object_set_new (ws, "shift", json_string ("true"));
  json_object_set_new (devices, "workspace", ws);
  for (size_t i = 0; p->mounts && i < p->mounts->n; i++)
    {
      char dev[32];
      snprintf (dev, sizeof dev, "mount-%zu", i + 1);
      json_t *d = json_pack ("{s:s, s:s, s:s}", "type", "disk", "source", p->mounts->items[i].host,
                             "path", p->mounts->items[i].container);
      if (d == NULL)
        return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
      if (p->idmap == COI_IDMAP_SHIFT)
        json_object_set_new (d, "shift", json_string ("true"));
      json_object_set_new (devices, dev, d);
    }
  if (p->storage_pool && *p->storage_pool)
    {
      json_t *root = json_pack ("{s:s, s:s, s:s}", "type", "disk", "path", "/", "pool", p->storage_pool);
      if (root == NULL)
        return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
      json_object_set_new (devices, "root", root);
    }

  json_t *b = json_pack ("{s:s, s:s, s:O, s:b, s:O, s:O, s:[s]}", "name", p->name, "type",
                         "container", "source", source, "ephemeral", false, "config", config,
                         "devices", devices, "profiles", "default");
  if (b == NULL)
    return coi_error_errno (err, ENOMEM, "prepare container %s", p->name);
  *body = b;
  return 0;
}
