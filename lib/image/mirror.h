/* The Debian mirror of this host's apt configuration.  coi never names a
 * package host itself: debootstrap gets the URI apt already uses. */
#ifndef COI_IMAGE_MIRROR_H
#define COI_IMAGE_MIRROR_H

#include "util/error.h"

/* The first URI serving `suite` (e.g. "bookworm") in
 * /etc/apt/sources.list.d/debian.sources, /etc/apt/sources.list, then the
 * other files of sources.list.d.  $COI_DEBIAN_MIRROR overrides. */
int coi_debian_mirror (const char *suite, char **uri, coi_error_t *err);

/* The parsers, for tests: deb822 stanzas and one-line "deb" entries.
 * Return 1 and set *uri when found, 0 when not, -1 when out of memory. */
int coi_mirror_from_deb822 (const char *text, const char *suite, char **uri);
int coi_mirror_from_list (const char *text, const char *suite, char **uri);

#endif
