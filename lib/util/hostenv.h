/* The host environment as the library sees it: read once by the caller
 * (the CLI's command context) and handed down, so that no library code
 * depends on the process environment of whoever calls it. */
#ifndef COI_UTIL_HOSTENV_H
#define COI_UTIL_HOSTENV_H

struct coi_env
{
  char **vars; /* KEY=VALUE, NULL-terminated */
};

/* Copy a NULL-terminated KEY=VALUE list (e.g. environ).  0 or -1 (ENOMEM). */
int coi_env_init (struct coi_env *e, char *const *from);
void coi_env_clear (struct coi_env *e);

/* The value of NAME, or NULL (also for a NULL env). */
const char *coi_env_get (const struct coi_env *e, const char *name);
/* The value of NAME when set and not empty, else fallback. */
const char *coi_env_get_or (const struct coi_env *e, const char *name, const char *fallback);

#endif
