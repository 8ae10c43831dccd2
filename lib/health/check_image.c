/* CRITICAL: the image sessions start from exists, how old it is, and
 * whether this coi's recipe made it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "health/health_private.h"
#include "image/recipe.h"
#include "image/templates.h"
#include "incus/image.h"
#include "util/cleanup.h"

static const char *image_name (const struct health_run *run)
{
  const char *name = health_cfg_string (run, "container.image", COI_IMAGE_ALIAS);
  return *name ? name : COI_IMAGE_ALIAS;
}

/* When the image was built: coi's own stamp, else the server's record. */
static time_t built_at (json_t *img)
{
  struct tm tm = { 0 };
  const char *stamp = json_string_value (json_object_get (json_object_get (img, "properties"), "coi.built"));
  if (stamp && strptime (stamp, "%Y%m%d-%H%M%S", &tm) && tm.tm_year > 70)
    return timegm (&tm);
  const char *created = json_string_value (json_object_get (img, "created_at"));
  memset (&tm, 0, sizeof tm);
  if (created && strptime (created, "%Y-%m-%dT%H:%M:%S", &tm) && tm.tm_year > 70)
    return timegm (&tm);
  created = json_string_value (json_object_get (img, "uploaded_at"));
  memset (&tm, 0, sizeof tm);
  if (created && strptime (created, "%Y-%m-%dT%H:%M:%S", &tm) && tm.tm_year > 70)
    return timegm (&tm);
  return 0;
}

static void age_text (time_t t, char *buf, size_t len)
{
  long long s = (long long) (time (NULL) - t);
  if (t == 0)
    snprintf (buf, len, "at an unknown time");
  else if (s < 3600)
    snprintf (buf, len, "%lld minutes ago", s < 0 ? 0 : s / 60);
  else if (s < 2 * 86400)
    snprintf (buf, len, "%lld hours ago", s / 3600);
  else
    snprintf (buf, len, "%lld days ago", s / 86400);
}

int health_check_image (struct health_run *run, const struct health_def *d)
{
  const char *name = image_name (run);
  if (strchr (name, ':'))
    return health_add (run, d, COI_HEALTH_SKIP, NULL, NULL,
                       "not checked: %s comes from a remote when a session starts", name);
  _cleanup_free_ char *fp = NULL;
  _cleanup_json_ json_t *img = NULL;
  _cleanup_error_ coi_error_t e = NULL;
  if (incus_image_resolve (run->in->client, name, &fp, &img, &e) < 0)
    {
      if (e->status != 404)
        return health_add (run, d, COI_HEALTH_FAIL, run->in->setup_command, NULL, "%s", e->msg);
      _cleanup_free_ char *fix = NULL;
      if (strcmp (name, COI_IMAGE_ALIAS) == 0 ? (fix = strdup ("coi build")) == NULL
                                               : asprintf (&fix, "coi build custom %s --script FILE", name) < 0)
        return -1;
      return health_add (run, d, COI_HEALTH_FAIL, fix, NULL, "image '%s' not found on the server", name);
    }
  time_t t = built_at (img);
  char age[48], size[16];
  age_text (t, age, sizeof age);
  health_bytes ((unsigned long long) json_integer_value (json_object_get (img, "size")), size);
  bool old = t && time (NULL) - t > (time_t) COI_HEALTH_IMAGE_MAX_AGE_DAYS * 86400;
  struct coi_health_check *c;
  if (health_add (run, d, old ? COI_HEALTH_WARN : COI_HEALTH_OK, "coi build --force", &c,
                  "%s is %.12s (%s), built %s%s", name, fp, size, age,
                  old ? ": its packages are out of date" : "") < 0)
    return -1;
  const char *desc = json_string_value (json_object_get (json_object_get (img, "properties"), "description"));
  if (desc && coi_health_detail (c, "%s", desc) < 0)
    return -1;
  run->image = steal_pointer (&img);
  return 0;
}

int health_check_recipe (struct health_run *run, const struct health_def *d)
{
  if (run->image == NULL)
    return health_add (run, d, COI_HEALTH_SKIP, NULL, NULL, "not checked: no image");
  char key[17];
  enum coi_image_fresh fresh;
  _cleanup_error_ coi_error_t e = NULL;
  if (coi_image_freshness (run->image, NULL, key, &fresh, &e) < 0)
    return health_add (run, d, COI_HEALTH_WARN, "coi build --force", NULL, "%s", e->msg);
  json_t *props = json_object_get (run->image, "properties");
  const char *recipe = json_string_value (json_object_get (props, "coi.recipe"));
  const char *tv = json_string_value (json_object_get (props, COI_IMAGE_TEMPLATES_PROPERTY));
  const char *base = json_string_value (json_object_get (props, "coi.base"));
  struct coi_health_check *c;
  int r;
  switch (fresh)
    {
    case COI_IMAGE_CURRENT:
      r = health_add (run, d, COI_HEALTH_OK, NULL, &c, "%s matches this coi's recipe (%s, templates v%d)",
                      image_name (run), key, COI_IMAGE_TEMPLATES_VERSION);
      break;
    case COI_IMAGE_UNTRACKED:
      r = health_add (run, d, COI_HEALTH_OK, NULL, &c,
                      "not tracked: %s was not built from this coi's recipe (%s%s)", image_name (run),
                      base ? "base " : "no coi.recipe property", base ? base : "");
      break;
    default:
      r = health_add (run, d, COI_HEALTH_WARN, "coi build --force", &c,
                      "%s was built by another recipe (%s, templates v%s); this coi's is %s, templates v%d",
                      image_name (run), recipe, tv ? tv : "?", key, COI_IMAGE_TEMPLATES_VERSION);
      break;
    }
  if (r < 0 || coi_health_detail (c, "this coi's recipe: %s", key) < 0
      || coi_health_detail (c, "this coi's templates: %d", COI_IMAGE_TEMPLATES_VERSION) < 0)
    return -1;
  return 0;
}
