/* The host environment as the library sees it: read once by the caller
 * (the CLI's command context) and handed down as a NULL-terminated list of
 * "NAME=value", so that no library code depends on the process environment
 * of whoever calls it. */
#ifndef COI_UTIL_HOSTENV_H
#define COI_UTIL_HOSTENV_H

/* The value of NAME, or NULL (also for a NULL env). */
const char *coi_env_get (const char *const *env, const char *name);
/* The value of NAME when set and not empty, else fallback. */
const char *coi_env_get_or (const char *const *env, const char *name, const char *fallback);

#endif
