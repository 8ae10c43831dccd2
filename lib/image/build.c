#include "image/build.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/build_private.h"
#include "image/cache.h"
#include "image/recipe.h"
#include "image/templates.h"
#include "incus/image.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Passed through to the recipe so that it reaches the mirror and registry
 * the way this host does. */
static const char *const passthrough[] = {
  "http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
  "COI_NPM_REGISTRY", NULL,
};

static int strv_add (char ***v, size_t *n, const char *fmt, const char *a, const char *b)
{
  char **nv = realloc (*v, (*n + 2) * sizeof (char *));
  if (nv == NULL)
    return -1;
  *v = nv;
  if (asprintf (&nv[*n], fmt, a, b) < 0)
    {
      nv[*n] = NULL;
      return -1;
    }
  nv[++*n] = NULL;
  return 0;
}

static int add_passthrough (char ***env, size_t *n)
{
  for (const char *const *k = passthrough; *k; k++)
    {
      const char *v = getenv (*k);
      if (v && *v && strv_add (env, n, "%s=%s", *k, v) < 0)
        return -1;
    }
  return 0;
}

char **coi_build_recipe_env (const char *mode, bool with_passthrough, coi_error_t *err)
{
  _cleanup_strv_ char **env = NULL;
  size_t n = 0;
  int bad = strv_add (&env, &n, "%s%s", "PATH=", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0
            || strv_add (&env, &n, "%s%s", "HOME=", "/root") < 0
            || strv_add (&env, &n, "%s%s", "LANG=", "C.UTF-8") < 0
            || strv_add (&env, &n, "%s%s", "COI_PROVISION_MODE=", mode) < 0
            || strv_add (&env, &n, "%s%s", "COI_DUMMY_SRC=", COI_DUMMY_PATH) < 0
            || (with_passthrough && add_passthrough (&env, &n) < 0);
  if (bad)
    {
      coi_error_errno (err, ENOMEM, "prepare the recipe's environment");
      return NULL;
    }
  return steal_pointer (&env);
}

char **coi_build_passthrough_env (coi_error_t *err)
{
  _cleanup_strv_ char **env = calloc (1, sizeof (char *));
  size_t n = 0;
  if (env == NULL || add_passthrough (&env, &n) < 0)
    {
      coi_error_errno (err, ENOMEM, "prepare the recipe's environment");
      return NULL;
    }
  return steal_pointer (&env);
}

json_t *coi_build_properties (const struct coi_build *b, const char *base_desc)
{
  _cleanup_free_ char *desc = NULL;
  if (asprintf (&desc, "coi agent image (%s; Claude Code, Node.js, tmux), built %s", base_desc,
                b->stamp) < 0)
    return NULL;
  return json_pack ("{s:s, s:s, s:s, s:s, s:s}", "description", desc, "architecture",
                    coi_host_arch (), "coi.base", base_desc, "coi.built", b->stamp, "coi.alias",
                    b->alias);
}

static int open_log (struct coi_build *b, coi_error_t *err)
{
  _cleanup_free_ char *dir = coi_cache_dir ();
  _cleanup_free_ char *logs = NULL;
  if (dir == NULL || asprintf (&logs, "%s/logs", dir) < 0
      || asprintf (&b->log_path, "%s/build-%s.log", logs, b->stamp) < 0)
    return coi_error_errno (err, ENOMEM, "open the build log");
  if (coi_mkdir_p (logs, 0755, err) < 0)
    return -1;
  b->log_fd = open (b->log_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (b->log_fd < 0)
    return coi_error_errno (err, errno, "open %s", b->log_path);
  return 0;
}

static void build_clear (struct coi_build *b)
{
  free (b->versioned);
  free (b->log_path);
  if (b->log_fd >= 0)
    close (b->log_fd);
  coi_stage_clear (&b->stage);
}

/* 1: the alias exists and needs no rebuild; 0: absent, or an image coi built
 * from debootstrap with an older recipe or template set (it would lack what
 * this coi expects of it). */
static int existing_is_current (struct coi_build *b, coi_error_t *err)
{
  _cleanup_free_ char *fp = NULL;
  _cleanup_json_ json_t *img = NULL;
  if (incus_image_resolve (b->c, b->alias, &fp, &img, err) < 0)
    {
      if ((*err)->status != 404)
        return -1;
      coi_error_release (err);
      return 0;
    }
  if (b->base)
    return 1; /* from an image server: the user's choice */
  char rkey[17];
  enum coi_image_fresh fresh;
  if (coi_image_freshness (img, &b->stage, rkey, &fresh, err) < 0)
    return -1;
  if (fresh != COI_IMAGE_STALE)
    return 1; /* current, or built elsewhere */
  fprintf (stderr, "Image '%s' was built by an older recipe: rebuilding it\n", b->alias);
  return 0;
}

int coi_image_build (struct incus_client *c, const struct coi_build_opts *o, char **fingerprint,
                     coi_error_t *err)
{
  const char *alias = o->alias && *o->alias ? o->alias : COI_IMAGE_ALIAS;
  if (fingerprint)
    *fingerprint = NULL;
  __attribute__ ((cleanup (build_clear))) struct coi_build b = {
    .c = c, .alias = alias, .base = o->base && *o->base ? o->base : NULL, .log_fd = -1, .env = o->env,
  };
  if (coi_stage_collect (&b.stage, err) < 0)
    return coi_error_prefix (err, "build image %s", alias);
  if (!o->force)
    {
      int e = existing_is_current (&b, err);
      if (e != 0)
        return e < 0 ? -1 : COI_BUILD_EXISTS;
    }
  const char *verbose = getenv ("COI_BUILD_VERBOSE");
  b.verbose = verbose && *verbose && strcmp (verbose, "0") != 0;
  time_t now = time (NULL);
  struct tm tm;
  if (gmtime_r (&now, &tm) == NULL || strftime (b.stamp, sizeof (b.stamp), "%Y%m%d-%H%M%S", &tm) == 0
      || asprintf (&b.versioned, "%s-%s", alias, b.stamp) < 0)
    return coi_error_errno (err, ENOMEM, "build image %s", alias);
  if (open_log (&b, err) < 0)
    return coi_error_prefix (err, "build image %s", alias);

  coi_progress_init (&b.progress);
  fprintf (stderr, "Building image '%s' from %s (log: %s)\n", alias,
           b.base ? b.base : "Debian " COI_IMAGE_SUITE " (debootstrap)", b.log_path);
  _cleanup_free_ char *fp = NULL;
  int r = b.base ? coi_build_remote (&b, &fp, err) : coi_build_local (&b, &fp, err);
  if (r < 0)
    {
      coi_error_prefix (err, "build image %s", alias);
      coi_error_set_hint (err, "the build log is %s", b.log_path);
      return -1;
    }
  if (coi_build_warm (&b, fp, err) < 0 || incus_image_alias_move (c, alias, fp, err) < 0)
    return coi_error_prefix (err, "build image %s", alias);
  fprintf (stderr, "Image '%s' is now %.12s (also '%s'), built in %.1f s\n", alias, fp,
           b.versioned, coi_progress_total (&b.progress));
  if (fingerprint)
    *fingerprint = steal_pointer (&fp);
  return COI_BUILD_BUILT;
}
