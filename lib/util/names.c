#include "util/names.h"

#include <ctype.h>
#include <string.h>

int coi_valid_container_name (const char *name)
{
  size_t n = strlen (name);
  if (n == 0 || n > 63 || !isalpha ((unsigned char) name[0]) || name[n - 1] == '-')
    return 0;
  for (size_t i = 0; i < n; i++)
    if (!isalnum ((unsigned char) name[i]) && name[i] != '-')
      return 0;
  return 1;
}
