/* Images: list, look-up by alias or fingerprint, aliases, import from
 * tarballs (streamed from file descriptors), publish from an instance and
 * deletion.  Every call fails with status 404 in the error when the image or
 * alias does not exist, and the message names it ("image 'x' not found"). */
#ifndef COI_INCUS_IMAGE_H
#define COI_INCUS_IMAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "incus/client.h"

/* GET /1.0/images?recursion=R[&filter=F].  recursion 0 gives URLs, 1 gives
 * image objects (with "aliases", "properties", "size", "created_at").  *list
 * is a JSON array. */
int incus_image_list (struct incus_client *c, int recursion, const char *filter, json_t **list,
                      coi_error_t *err);

/* GET /1.0/images/FINGERPRINT (a unique prefix is accepted by the server). */
int incus_image_get (struct incus_client *c, const char *fingerprint, json_t **image,
                     coi_error_t *err);

/* The image an alias points at, or failing that, a fingerprint (prefix).
 * Aliases win, as with the incus CLI.  *fingerprint is the full one (caller
 * frees); `image` may be NULL. */
int incus_image_resolve (struct incus_client *c, const char *name, char **fingerprint,
                         json_t **image, coi_error_t *err);

/* 1 if an alias or fingerprint `name` exists, 0 if not, -1 on error. */
int incus_image_exists (struct incus_client *c, const char *name, coi_error_t *err);

/* The "source" object of an instance made from "[REMOTE:]ALIAS": a local
 * image (no remote, or a unix:// one such as "local"), or one the server
 * pulls from the remote's image server (simplestreams or Incus protocol).
 * NULL with *err on a bad name or unknown remote. */
json_t *incus_image_source (const char *image, const char *const *env, coi_error_t *err);

/* DELETE /1.0/images/FINGERPRINT, waiting for the operation. */
int incus_image_delete (struct incus_client *c, const char *fingerprint, coi_error_t *err);

/* PATCH /1.0/images/FINGERPRINT with a partial image (properties, public, ...). */
int incus_image_patch (struct incus_client *c, const char *fingerprint, json_t *patch,
                       coi_error_t *err);

/* Aliases. */
/* GET /1.0/images/aliases/NAME: {"name","target","description","type"}. */
int incus_image_alias_get (struct incus_client *c, const char *alias, json_t **obj,
                           coi_error_t *err);
/* GET /1.0/images/aliases?recursion=1: array of alias objects. */
int incus_image_alias_list (struct incus_client *c, json_t **list, coi_error_t *err);
/* POST /1.0/images/aliases.  An existing alias fails with status 409. */
int incus_image_alias_create (struct incus_client *c, const char *alias, const char *fingerprint,
                              const char *description, coi_error_t *err);
/* Point an alias at `fingerprint`, creating it when missing (the stable
 * alias "coi" is moved to each new build this way). */
int incus_image_alias_move (struct incus_client *c, const char *alias, const char *fingerprint,
                            coi_error_t *err);
/* DELETE /1.0/images/aliases/NAME (the image stays). */
int incus_image_alias_delete (struct incus_client *c, const char *alias, coi_error_t *err);

/* Import.  With both fds set, a split image: metadata tarball plus rootfs
 * tarball, sent as multipart/form-data.  With rootfs_fd < 0, meta_fd is a
 * unified tarball (metadata.yaml, templates/, rootfs/).  The bodies are
 * streamed from the fds (read from their current offset to EOF), never held
 * in memory.  `properties` (object of strings) and `aliases` (NULL-terminated)
 * may be NULL.  *fingerprint (may be NULL) receives the new image's. */
struct incus_image_import
{
  int meta_fd;
  int rootfs_fd;
  const char *filename;     /* shown by the server, may be NULL */
  bool public_;
  json_t *properties;
  const char *const *aliases;
};
int incus_image_import (struct incus_client *c, const struct incus_image_import *in,
                        char **fingerprint, coi_error_t *err);

/* Publish an instance (it must be stopped, or `snapshot` given) as a new
 * image: POST /1.0/images with source type "instance".  compression: NULL for
 * the server default, "none" for fastest, or "gzip", "zstd", ...  */
struct incus_image_publish
{
  const char *instance;
  const char *snapshot;     /* NULL: the instance itself */
  const char *compression;
  bool public_;
  json_t *properties;
  const char *const *aliases;
};
int incus_image_publish (struct incus_client *c, const struct incus_image_publish *in,
                         char **fingerprint, coi_error_t *err);

#endif
