/* Files Incus renders into each new container of a coi image, from the
 * container's own config: what differs per container is set in the one
 * create request instead of being pushed file by file before start. */
#ifndef COI_IMAGE_TEMPLATES_H
#define COI_IMAGE_TEMPLATES_H

#include <stddef.h>

/* Image property naming the template set; bump the version with any change
 * to the templates, so that `coi build` knows an image is out of date. */
#define COI_IMAGE_TEMPLATES_PROPERTY "coi.templates"
#define COI_IMAGE_TEMPLATES_VERSION 2
/* From version 2 on, the network comes from these keys (a fixed address and
 * the gateway as router and resolver); without them, DHCP. */
#define COI_IMAGE_TEMPLATES_NET_SINCE 2
#define COI_NET_KEY_ADDRESS "user.coi.net.address" /* "a.b.c.d/prefix" */
#define COI_NET_KEY_GATEWAY "user.coi.net.gateway"

struct coi_image_template
{
  const char *path; /* in the container */
  const char *name; /* under templates/ in the image */
  const char *text;
};

extern const struct coi_image_template coi_image_templates[];
extern const size_t coi_image_ntemplates;

#endif
