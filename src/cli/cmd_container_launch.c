/* coi container launch <image> <name> [--ephemeral] [-s POOL] and
 * coi container mount <name> <device> <source> <path> [--shift] [--readonly] */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_container_common.h"
#include "cli/command.h"
#include "incus/image.h"
#include "incus/instance.h"
#include "session/naming.h"
#include "util/cleanup.h"

struct launch_opts
{
  bool ephemeral;
  char *storage;
};

static const struct coi_opt launch_options[] = {
  { "ephemeral", 0, OPT_BOOL, OPT_AT (struct launch_opts, ephemeral), "Create ephemeral container", NULL, NULL },
  { "storage", 's', OPT_STRING, OPT_AT (struct launch_opts, storage), "Incus storage pool name (empty = default pool)", NULL, "POOL" },
  OPT_END,
};

/* Everything in one create request that also starts the instance. */
static json_t *launch_body (const char *name, json_t *source, const struct launch_opts *o)
{
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:s, s:O, s:b, s:b, s:{}}", "name", name,
                                           "type", "container", "source", source, "ephemeral",
                                           o->ephemeral, "start", true, "devices");
  if (body == NULL)
    return NULL;
  if (o->storage && *o->storage)
    {
      json_t *root = json_pack ("{s:s, s:s, s:s}", "type", "disk", "path", "/", "pool", o->storage);
      if (root == NULL || json_object_set_new (json_object_get (body, "devices"), "root", root) < 0)
        return NULL;
    }
  return steal_pointer (&body);
}

/* A local image by alias or fingerprint (so a missing one is named before
 * anything is created), or "remote:alias" pulled by the server. */
static json_t *image_source (struct incus_client *c, const char *image, const char *const *env,
                             coi_error_t *err)
{
  if (strchr (image, ':'))
    return incus_image_source (image, env, err);
  _cleanup_free_ char *fp = NULL;
  if (incus_image_resolve (c, image, &fp, NULL, err) < 0)
    return NULL;
  json_t *src = json_pack ("{s:s, s:s}", "type", "image", "fingerprint", fp);
  if (src == NULL)
    coi_error_errno (err, ENOMEM, "image %s", image);
  return src;
}

COI_HANDLER (cmd_container_launch)
{
  struct launch_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, launch_options, &o, false, &p, err);
  _cleanup_free_ char *storage = o.storage;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (coi_expect_args (&p, 2, "coi container launch <image> <name> [--ephemeral] [-s POOL]", err) < 0)
    return -1;
  const char *image = pos[0], *name = pos[1];
  if (!coi_valid_container_name (name))
    return coi_error_usage (err, "invalid container name '%s': use letters, digits and '-', "
                                 "starting with a letter (at most 63)", name);
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  _cleanup_json_ json_t *source = image_source (c, image, ctx->env, err);
  if (source == NULL)
    return coi_error_prefix (err, "launch %s", name);
  _cleanup_json_ json_t *body = launch_body (name, source, &o);
  if (body == NULL)
    return coi_error_errno (err, ENOMEM, "launch %s", name);
  if (incus_instance_create (c, body, err) < 0)
    return -1;
  fprintf (stderr, "Container %s launched from %s\n", name, image);
  return 0;
}

struct mount_opts
{
  bool shift;
  bool readonly;
};

static const struct coi_opt mount_options[] = {
  { "shift", 0, OPT_BOOL, OPT_AT (struct mount_opts, shift), "Enable UID/GID shifting (default true)", NULL, NULL },
  { "readonly", 0, OPT_BOOL, OPT_AT (struct mount_opts, readonly), "Mount as read-only", NULL, NULL },
  OPT_END,
};

static int add_disk (struct incus_client *c, const char *name, const char *dev, const char *src,
                     const char *path, const struct mount_opts *o, coi_error_t *err)
{
  _cleanup_json_ json_t *inst = NULL;
  if (incus_instance_get (c, name, &inst, err) < 0)
    return -1;
  /* PATCH would silently replace a device of that name. */
  if (json_object_get (json_object_get (inst, "devices"), dev))
    return coi_error_make (err, EEXIST, "mount %s on %s: device '%s' already exists", src, name,
                           dev);
  _cleanup_json_ json_t *patch = json_pack ("{s:{s:{s:s, s:s, s:s}}}", "devices", dev, "type",
                                            "disk", "source", src, "path", path);
  json_t *d = json_object_get (json_object_get (patch, "devices"), dev);
  if (patch == NULL || d == NULL
      || (o->shift && json_object_set_new (d, "shift", json_string ("true")) < 0)
      || (o->readonly && json_object_set_new (d, "readonly", json_string ("true")) < 0))
    return coi_error_errno (err, ENOMEM, "mount %s on %s", src, name);
  return incus_instance_patch (c, name, patch, err);
}

COI_HANDLER (cmd_container_mount)
{
  struct mount_opts o = { .shift = true };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, mount_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (coi_expect_args (&p, 4, "coi container mount <name> <device-name> <source> <path>", err) < 0)
    return -1;
  const char *name = pos[0], *dev = pos[1], *path = pos[3];
  if (path[0] != '/')
    return coi_error_usage (err, "mount path '%s' must be absolute", path);
  /* The server resolves sources on its side: give it an absolute path. */
  _cleanup_free_ char *src = NULL;
  if (coi_workspace_abs (pos[2], &src, err) < 0)
    return -1;
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  if (add_disk (c, name, dev, src, path, &o, err) < 0)
    return -1;
  fprintf (stderr, "Disk mounted: %s -> %s:%s\n", src, name, path);
  return 0;
}
