#include "util/bootid.h"

#include <stdio.h>
#include <string.h>

void coi_boot_id (char out[64])
{
  out[0] = '\0';
  FILE *f = fopen ("/proc/sys/kernel/random/boot_id", "re");
  if (f == NULL)
    return;
  if (fgets (out, 64, f) == NULL)
    out[0] = '\0';
  fclose (f);
  out[strcspn (out, "\n")] = '\0';
}
