/* Is an image what this coi's recipe would build?  One answer for `coi
 * build` (rebuild a stale image) and `coi health` (say so). */
#include <stdlib.h>
#include <string.h>

#include "image/recipe.h"
#include "image/stage.h"
#include "image/templates.h"

int coi_image_freshness (json_t *image, const struct coi_stage *stage, char key[17],
                         enum coi_image_fresh *out, coi_error_t *err)
{
  struct coi_stage own = { 0 };
  if (stage == NULL)
    {
      if (coi_stage_collect (&own, err) < 0)
        return -1;
      stage = &own;
    }
  int r = coi_recipe_key ("rootfs", stage, key, err);
  coi_stage_clear (&own);
  if (r < 0)
    return -1;
  json_t *props = json_object_get (image, "properties");
  const char *recipe = json_string_value (json_object_get (props, "coi.recipe"));
  const char *tv = json_string_value (json_object_get (props, COI_IMAGE_TEMPLATES_PROPERTY));
  if (recipe == NULL)
    *out = COI_IMAGE_UNTRACKED;
  else if (strcmp (recipe, key) == 0 && tv && atoi (tv) == COI_IMAGE_TEMPLATES_VERSION)
    *out = COI_IMAGE_CURRENT;
  else
    *out = COI_IMAGE_STALE;
  return 0;
}
