/* The agent's environment and names: pure functions, no Incus. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/agent.h"
#include "util/cleanup.h"

int coi_tmux_session_name (const char *container, char **out, coi_error_t *err)
{
  if (asprintf (out, "coi-%s", container) < 0)
    return coi_error_errno (err, ENOMEM, "name tmux session");
  return 0;
}

const char *coi_sanitize_term (const char *term)
{
  static const char *const unknown[] = { "xterm-ghostty", "wezterm", "alacritty", "xterm-kitty",
                                         "tmux-256color", "screen-256color", NULL };
  if (term == NULL || *term == '\0')
    return "xterm-256color";
  for (const char *const *u = unknown; *u; u++)
    if (strcmp (term, *u) == 0)
      return "xterm-256color";
  /* Anything odd (spaces, slashes) is not a terminfo name we can trust. */
  for (const char *p = term; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')
          || *p == '-' || *p == '_' || *p == '.' || *p == '+'))
      return "xterm-256color";
  return term;
}

static int env_push (char ***env, size_t *n, const char *kv)
{
  const char *eq = strchr (kv, '=');
  if (eq == NULL || eq == kv)
    return 1; /* not KEY=VALUE: ignored */
  size_t klen = (size_t) (eq - kv) + 1;
  for (size_t i = 0; i < *n; i++)
    if (strncmp ((*env)[i], kv, klen) == 0)
      {
        char *d = strdup (kv);
        if (d == NULL)
          return -1;
        free ((*env)[i]);
        (*env)[i] = d;
        return 0;
      }
  char **ne = realloc (*env, (*n + 2) * sizeof (char *));
  if (ne == NULL)
    return -1;
  *env = ne;
  if ((ne[*n] = strdup (kv)) == NULL)
    return -1;
  ne[++*n] = NULL;
  return 0;
}

int coi_agent_env (const struct coi_agent_user *u, const char *user_name, const char *term,
                   const char *const *extra, char ***env, coi_error_t *err)
{
  _cleanup_strv_ char **e = NULL;
  size_t n = 0;
  char line[512];
  const char *base[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                         "IS_SANDBOX=1", "LANG=C.UTF-8", NULL };
  for (const char *const *b = base; *b; b++)
    if (env_push (&e, &n, *b) < 0)
      return coi_error_errno (err, ENOMEM, "prepare agent environment");
#define SETF(...)                                                        \
  do                                                                     \
    {                                                                    \
      snprintf (line, sizeof line, __VA_ARGS__);                         \
      if (env_push (&e, &n, line) < 0)                                   \
        return coi_error_errno (err, ENOMEM, "prepare agent environment"); \
    }                                                                    \
  while (0)
  SETF ("HOME=%s", u->home);
  SETF ("USER=%s", user_name);
  SETF ("LOGNAME=%s", user_name);
  SETF ("TERM=%s", coi_sanitize_term (term));
#undef SETF
  for (const char *const *x = extra; x && *x; x++)
    if (env_push (&e, &n, *x) < 0)
      return coi_error_errno (err, ENOMEM, "prepare agent environment");
  *env = steal_pointer (&e);
  return 0;
}

