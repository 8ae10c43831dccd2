#include "incus/image.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "incus/image_private.h"
#include "incus/remote.h"
#include "util/cleanup.h"

/* One call on a named image or alias: "<prefix><escaped name>".  A missing
 * one keeps status 404 and gets a message that names it ("image 'x' not
 * found"); other failures read "<action> <name>: <why>". */
static int named_call (struct incus_client *c, const char *method, const char *prefix,
                       const char *name, json_t *body, json_t **out, const char *what,
                       const char *action, coi_error_t *err)
{
  _cleanup_free_ char *e = incus_escape (name);
  _cleanup_free_ char *path = NULL;
  if (e == NULL || asprintf (&path, "%s%s", prefix, e) < 0)
    return coi_error_errno (err, ENOMEM, "%s %s", action, name);
  if (incus_call (c, method, path, body, out, err) == 0)
    return 0;
  if ((*err)->status == 404)
    {
      coi_error_release (err);
      return coi_error_make (err, 404, "%s '%s' not found", what, name);
    }
  return coi_error_prefix (err, "%s %s", action, name);
}

#define IMAGES "/1.0/images/"
#define ALIASES "/1.0/images/aliases/"

int incus_image_list (struct incus_client *c, int recursion, const char *filter, json_t **list,
                      coi_error_t *err)
{
  _cleanup_free_ char *path = NULL;
  _cleanup_free_ char *f = filter ? incus_escape (filter) : NULL;
  if ((filter && f == NULL)
      || asprintf (&path, "/1.0/images?recursion=%d%s%s", recursion, f ? "&filter=" : "",
                   f ? f : "") < 0)
    return coi_error_errno (err, ENOMEM, "list images");
  if (incus_list (c, path, list, err) < 0)
    return coi_error_prefix (err, "list images");
  return 0;
}

int incus_image_get (struct incus_client *c, const char *fingerprint, json_t **image,
                     coi_error_t *err)
{
  return named_call (c, "GET", IMAGES, fingerprint, NULL, image, "image", "get image", err);
}

int incus_image_alias_get (struct incus_client *c, const char *alias, json_t **obj,
                           coi_error_t *err)
{
  return named_call (c, "GET", ALIASES, alias, NULL, obj, "image alias", "get image alias", err);
}

int incus_image_alias_list (struct incus_client *c, json_t **list, coi_error_t *err)
{
  if (incus_list (c, "/1.0/images/aliases?recursion=1", list, err) < 0)
    return coi_error_prefix (err, "list image aliases");
  return 0;
}

int incus_image_resolve (struct incus_client *c, const char *name, char **fingerprint,
                         json_t **image, coi_error_t *err)
{
  _cleanup_json_ json_t *alias = NULL;
  _cleanup_json_ json_t *img = NULL;
  const char *target = name;

  *fingerprint = NULL;
  if (image)
    *image = NULL;
  if (name == NULL || *name == '\0')
    return coi_error_usage (err, "image name is empty");
  if (incus_image_alias_get (c, name, &alias, err) == 0)
    {
      target = json_string_value (json_object_get (alias, "target"));
      if (target == NULL)
        return coi_error_make (err, 0, "image alias '%s' has no target", name);
    }
  else if ((*err)->status == 404)
    coi_error_release (err);
  else
    return -1;

  if (incus_image_get (c, target, &img, err) < 0)
    {
      if ((*err)->status == 404 && target == name)
        {
          coi_error_release (err);
          return coi_error_make (err, 404, "image '%s' not found", name);
        }
      return -1;
    }
  const char *fp = json_string_value (json_object_get (img, "fingerprint"));
  if (fp == NULL)
    return coi_error_make (err, 0, "image '%s': server sent no fingerprint", name);
  if ((*fingerprint = strdup (fp)) == NULL)
    return coi_error_errno (err, ENOMEM, "resolve image %s", name);
  if (image)
    *image = steal_pointer (&img);
  return 0;
}

int incus_image_exists (struct incus_client *c, const char *name, coi_error_t *err)
{
  _cleanup_free_ char *fp = NULL;
  if (incus_image_resolve (c, name, &fp, NULL, err) == 0)
    return 1;
  if ((*err)->status == 404)
    {
      coi_error_release (err);
      return 0;
    }
  return -1;
}

int incus_image_delete (struct incus_client *c, const char *fingerprint, coi_error_t *err)
{
  return named_call (c, "DELETE", IMAGES, fingerprint, NULL, NULL, "image", "delete image", err);
}

int incus_image_patch (struct incus_client *c, const char *fingerprint, json_t *patch,
                       coi_error_t *err)
{
  return named_call (c, "PATCH", IMAGES, fingerprint, patch, NULL, "image", "update image", err);
}

int incus_image_alias_create (struct incus_client *c, const char *alias, const char *fingerprint,
                              const char *description, coi_error_t *err)
{
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:s, s:s}", "name", alias, "target",
                                           fingerprint, "description",
                                           description ? description : "");
  if (body == NULL)
    return coi_error_errno (err, ENOMEM, "create image alias %s", alias);
  if (incus_call (c, "POST", "/1.0/images/aliases", body, NULL, err) < 0)
    return coi_error_prefix (err, "create image alias %s", alias);
  return 0;
}

int incus_image_alias_move (struct incus_client *c, const char *alias, const char *fingerprint,
                            coi_error_t *err)
{
  _cleanup_json_ json_t *cur = NULL;
  if (incus_image_alias_get (c, alias, &cur, err) < 0)
    {
      if ((*err)->status != 404)
        return -1;
      coi_error_release (err);
      if (incus_image_alias_create (c, alias, fingerprint, NULL, err) == 0)
        return 0;
      /* Someone created it meanwhile: fall through and move theirs. */
      if ((*err)->status != 409)
        return -1;
      coi_error_release (err);
    }
  _cleanup_json_ json_t *body = json_pack ("{s:s}", "target", fingerprint);
  if (body == NULL)
    return coi_error_errno (err, ENOMEM, "move image alias %s", alias);
  /* PATCH keeps the description; PUT would clear it. */
  return named_call (c, "PATCH", ALIASES, alias, body, NULL, "image alias", "move image alias",
                     err);
}

int incus_image_alias_delete (struct incus_client *c, const char *alias, coi_error_t *err)
{
  return named_call (c, "DELETE", ALIASES, alias, NULL, NULL, "image alias", "delete image alias",
                     err);
}

/* The fingerprint a finished image operation reports. */
int incus_image_op_fingerprint (json_t *metadata, char **fingerprint, const char *what,
                                coi_error_t *err)
{
  if (fingerprint == NULL)
    return 0;
  const char *fp = json_string_value (json_object_get (metadata, "fingerprint"));
  if (fp == NULL)
    return coi_error_make (err, 0, "%s: the server reported no fingerprint", what);
  *fingerprint = strdup (fp);
  return *fingerprint ? 0 : coi_error_errno (err, ENOMEM, "%s", what);
}

static json_t *alias_array (const char *const *aliases)
{
  json_t *a = json_array ();
  for (const char *const *p = aliases; a && p && *p; p++)
    if (json_array_append_new (a, json_pack ("{s:s}", "name", *p)) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

int incus_image_publish (struct incus_client *c, const struct incus_image_publish *in,
                         char **fingerprint, coi_error_t *err)
{
  _cleanup_free_ char *source_name = NULL;
  if (fingerprint)
    *fingerprint = NULL;
  if (in->snapshot ? asprintf (&source_name, "%s/%s", in->instance, in->snapshot) < 0
                   : (source_name = strdup (in->instance)) == NULL)
    return coi_error_errno (err, ENOMEM, "publish %s", in->instance);
  _cleanup_json_ json_t *body = json_pack (
      "{s:{s:s, s:s}, s:b, s:o}", "source", "type", in->snapshot ? "snapshot" : "instance",
      "name", source_name, "public", in->public_, "aliases", alias_array (in->aliases));
  if (body == NULL
      || (in->properties && json_object_set (body, "properties", in->properties) < 0)
      || (in->compression
          && json_object_set_new (body, "compression_algorithm", json_string (in->compression)) < 0))
    return coi_error_errno (err, ENOMEM, "publish %s", in->instance);

  _cleanup_json_ json_t *meta = NULL;
  if (incus_call (c, "POST", "/1.0/images", body, &meta, err) < 0)
    return coi_error_prefix (err, "publish %s", source_name);
  return incus_image_op_fingerprint (meta, fingerprint, "publish", err);
}

json_t *incus_image_source (const char *image, const char *const *env, coi_error_t *err)
{
  const char *colon = strchr (image, ':');
  const char *alias = colon ? colon + 1 : image;
  if (*alias == '\0')
    {
      coi_error_usage (err, "invalid image '%s': expected [REMOTE:]ALIAS", image);
      return NULL;
    }
  json_t *src = NULL;
  if (colon == NULL || colon == image)
    src = json_pack ("{s:s, s:s}", "type", "image", "alias", alias);
  else
    {
      _cleanup_free_ char *remote = strndup (image, (size_t) (colon - image));
      struct incus_remote_info info = { 0 };
      if (remote == NULL)
        {
          coi_error_errno (err, ENOMEM, "image %s", image);
          return NULL;
        }
      if (incus_remote_lookup (remote, env, &info, err) < 0)
        return NULL;
      bool no_addr = info.addr == NULL;
      if (no_addr)
        coi_error_make (err, 0, "remote '%s' has no address", remote);
      else if (strncmp (info.addr, "unix:", 5) == 0)
        src = json_pack ("{s:s, s:s}", "type", "image", "alias", alias);
      else
        src = json_pack ("{s:s, s:s, s:s, s:s, s:s}", "type", "image", "mode", "pull", "server",
                         info.addr, "protocol", info.protocol ? info.protocol : "simplestreams",
                         "alias", alias);
      incus_remote_info_clear (&info);
      if (no_addr)
        return NULL;
    }
  if (src == NULL)
    coi_error_errno (err, ENOMEM, "image %s", image);
  return src;
}
