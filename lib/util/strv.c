#include "util/strv.h"

#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

size_t coi_strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

int coi_strv_push (char ***v, char *s)
{
  size_t n = coi_strv_len (*v);
  char **nv = realloc (*v, (n + 2) * sizeof (char *));
  if (nv == NULL)
    return -1;
  nv[n] = s;
  nv[n + 1] = NULL;
  *v = nv;
  return 0;
}

int coi_strv_add (char ***v, const char *s)
{
  char *copy = strdup (s);
  if (copy == NULL || coi_strv_push (v, copy) < 0)
    {
      free (copy);
      return -1;
    }
  return 0;
}

int coi_strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return 1;
  return 0;
}

int coi_strv_add_unique (char ***v, const char *s)
{
  return coi_strv_contains (*v, s) ? 0 : coi_strv_add (v, s);
}

char **coi_strv_dup (const char *const *v)
{
  _cleanup_strv_ char **out = calloc (1, sizeof (char *));
  if (out == NULL)
    return NULL;
  for (size_t i = 0; v && v[i]; i++)
    if (coi_strv_add (&out, v[i]) < 0)
      return NULL;
  return steal_pointer (&out);
}
