#include "test_image.h"

#include <stdio.h>
#include <stdlib.h>

#include "incus/image.h"
#include "util/cleanup.h"

const char *coi_test_image (void)
{
  const char *i = getenv ("COI_TEST_IMAGE");
  return i && *i ? i : "coi";
}

int coi_test_image_check (struct incus_client *c)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_free_ char *fp = NULL;
  _cleanup_json_ json_t *img = NULL;
  if (incus_image_resolve (c, coi_test_image (), &fp, &img, &err) == 0)
    return 0;
  fprintf (stderr, "test image '%s' is not on this server: %s (scripts/test.sh builds it; "
           "COI_TEST_IMAGE names another)\n", coi_test_image (), err && err->msg ? err->msg : "?");
  return -1;
}
