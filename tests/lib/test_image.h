/* The image every integration fixture, network test and benchmark creates
 * its containers from: $COI_TEST_IMAGE (set by scripts/test.sh), else the
 * product's own image "coi". */
#ifndef COI_TEST_IMAGE_H
#define COI_TEST_IMAGE_H

#include "incus/client.h"

const char *coi_test_image (void);

/* 0 when the server has the image; otherwise one line on stderr naming it
 * and how to get it, and -1. */
int coi_test_image_check (struct incus_client *c);

#endif
