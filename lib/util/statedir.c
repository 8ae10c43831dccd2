#include "util/statedir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int coi_state_dir (char **out, coi_error_t *err)
{
  const char *home = getenv ("HOME");
  if (home == NULL || *home == '\0')
    return coi_error_make (err, 0, "find home directory: HOME is not set");
  if (asprintf (out, "%s/.coi", home) < 0)
    return coi_error_errno (err, ENOMEM, "find home directory");
  return 0;
}
