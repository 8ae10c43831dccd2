#include "util/hostenv.h"

#include <stdlib.h>
#include <string.h>

int coi_env_init (struct coi_env *e, char *const *from)
{
  size_t n = 0;
  while (from && from[n])
    n++;
  e->vars = calloc (n + 1, sizeof (char *));
  if (e->vars == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    if ((e->vars[i] = strdup (from[i])) == NULL)
      {
        coi_env_clear (e);
        return -1;
      }
  return 0;
}

void coi_env_clear (struct coi_env *e)
{
  for (size_t i = 0; e->vars && e->vars[i]; i++)
    free (e->vars[i]);
  free (e->vars);
  e->vars = NULL;
}

const char *coi_env_get (const struct coi_env *e, const char *name)
{
  if (e == NULL || e->vars == NULL || name == NULL)
    return NULL;
  size_t n = strlen (name);
  for (char **v = e->vars; *v; v++)
    if (strncmp (*v, name, n) == 0 && (*v)[n] == '=')
      return *v + n + 1;
  return NULL;
}

const char *coi_env_get_or (const struct coi_env *e, const char *name, const char *fallback)
{
  const char *v = coi_env_get (e, name);
  return v && *v ? v : fallback;
}
