#include "util/hostenv.h"

#include <string.h>

const char *coi_env_get (const char *const *env, const char *name)
{
  if (name == NULL)
    return NULL;
  size_t n = strlen (name);
  for (; env && *env; env++)
    if (strncmp (*env, name, n) == 0 && (*env)[n] == '=')
      return *env + n + 1;
  return NULL;
}

const char *coi_env_get_or (const char *const *env, const char *name, const char *fallback)
{
  const char *v = coi_env_get (env, name);
  return v && *v ? v : fallback;
}
