/* The build cache, /var/cache/coi ($COI_CACHE_DIR): finished trees named by
 * their recipe key ("rootfs-<key>/" with a "rootfs-<key>.ok" stamp beside
 * it), so a rebuild with an unchanged recipe only tars and imports.  A tree
 * without its stamp is half-built and never used.  One build at a time. */
#ifndef COI_IMAGE_CACHE_H
#define COI_IMAGE_CACHE_H

#include <stdbool.h>

#include "util/error.h"

struct coi_cache
{
  char *dir;
  int lock_fd;
};

/* The cache directory: $COI_CACHE_DIR, else /var/cache/coi for root and
 * $XDG_CACHE_HOME/coi (~/.cache/coi) for other users (caller frees). */
char *coi_cache_dir (void);

/* Create the directory and take its lock (waiting, and saying so, while
 * another build holds it). */
int coi_cache_open (struct coi_cache *c, coi_error_t *err);
void coi_cache_close (struct coi_cache *c);

/* "<dir>/<name>" (caller frees; NULL when out of memory). */
char *coi_cache_path (const struct coi_cache *c, const char *name);
/* "<dir>/<layer>-<key>" */
char *coi_cache_layer_path (const struct coi_cache *c, const char *layer, const char *key);

/* A finished tree whose stamp is younger than $COI_CACHE_MAX_AGE_DAYS (30):
 * packages age too, so an old tree counts as stale. */
bool coi_cache_fresh (const struct coi_cache *c, const char *layer, const char *key);

/* Move a finished `partial` tree to its place and stamp it. */
int coi_cache_commit (const struct coi_cache *c, const char *layer, const char *key,
                      const char *partial, coi_error_t *err);

/* Remove every "<layer>-*" tree and stamp except `keep_key`'s, and leftovers
 * of interrupted builds. */
int coi_cache_prune (const struct coi_cache *c, const char *layer, const char *keep_key,
                     coi_error_t *err);

/* rm -r without following symlinks or crossing mount points. */
int coi_rm_tree (const char *path, coi_error_t *err);

#endif
