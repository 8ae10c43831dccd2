/* Names that become file names and API paths. */
#ifndef COI_UTIL_NAMES_H
#define COI_UTIL_NAMES_H

/* A valid Incus instance name (RFC 1123 label, <= 63). */
int coi_valid_container_name (const char *name);

#endif
