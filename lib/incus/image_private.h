/* Shared between the image files of the Incus client; not for callers. */
#ifndef COI_INCUS_IMAGE_PRIVATE_H
#define COI_INCUS_IMAGE_PRIVATE_H

#include <jansson.h>

#include "util/error.h"

/* Copy metadata.fingerprint of a finished image operation into *fingerprint
 * (no-op when fingerprint is NULL). */
int incus_image_op_fingerprint (json_t *metadata, char **fingerprint, const char *what,
                                coi_error_t *err);

#endif
