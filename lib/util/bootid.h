#ifndef COI_UTIL_BOOTID_H
#define COI_UTIL_BOOTID_H
/* This boot's id: a pid recorded with it cannot be confused with a pid of an
 * earlier boot.  Empty string when unknown. */
void coi_boot_id (char out[64]);
#endif
