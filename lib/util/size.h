/* Byte sizes as people write them ("64MiB", "1G", "500kB") and as coi
 * prints them in limits and warnings. */
#ifndef COI_UTIL_SIZE_H
#define COI_UTIL_SIZE_H

#include <stdbool.h>

/* Digits, then an optional unit: B; K/KiB, M/MiB, G/GiB, T/TiB (powers of
 * 1024); kB, MB, GB, TB (powers of 1000).  False on anything else or on
 * overflow. */
bool coi_parse_size (const char *s, unsigned long long *bytes);

/* "64 MiB" when the value is a whole number of KiB/MiB/GiB/TiB, else
 * "N bytes".  Returns out. */
const char *coi_size_str (unsigned long long bytes, char out[32]);

#endif
