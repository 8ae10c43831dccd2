/* NULL-terminated vectors of owned strings (argv, environments, lists),
 * freed with cleanup_strvp / _cleanup_strv_ (util/cleanup.h). */
#ifndef COI_UTIL_STRV_H
#define COI_UTIL_STRV_H

#include <stddef.h>

size_t coi_strv_len (char *const *v);
/* Append s, taking ownership of it on success (on failure s is still the
 * caller's).  *v may be NULL.  0, or -1 (ENOMEM). */
int coi_strv_push (char ***v, char *s);
/* Append a copy of s.  0, or -1 (ENOMEM). */
int coi_strv_add (char ***v, const char *s);
/* Append a copy of s unless an equal string is there. */
int coi_strv_add_unique (char ***v, const char *s);
int coi_strv_contains (char *const *v, const char *s);
/* A deep copy (NULL on ENOMEM; an empty vector for NULL). */
char **coi_strv_dup (const char *const *v);

#endif
