/* The npm registry in network.allowed_domains comes from the host's own
 * npm configuration at run time, never from a name written in our code. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config_private.h"
#include "util/cleanup.h"
#include "util/clock.h"

#define NPM_TIMEOUT_MS 5000

char *config_url_host (const char *url)
{
  const char *p = strstr (url, "://");
  p = p ? p + 3 : url;
  const char *end = p + strcspn (p, "/?#");
  const char *at = memchr (p, '@', (size_t) (end - p));
  if (at)
    p = at + 1;
  if (*p == '[')
    {
      const char *close = memchr (p, ']', (size_t) (end - p));
      return close && close > p + 1 ? strndup (p + 1, (size_t) (close - p - 1)) : NULL;
    }
  const char *colon = memchr (p, ':', (size_t) (end - p));
  if (colon)
    end = colon;
  return end > p ? strndup (p, (size_t) (end - p)) : NULL;
}

/* The program as the caller's PATH finds it (the caller's environment,
 * never ours). */
static char *find_program (const char *name, char *const *env)
{
  if (strchr (name, '/'))
    return strdup (name);
  const char *path = coi_env_get ((const char *const *) env, "PATH");
  for (const char *p = path; p && *p;)
    {
      size_t n = strcspn (p, ":");
      char *full = NULL;
      if (asprintf (&full, "%.*s%s%s", (int) n, p, n ? "/" : "", name) < 0)
        return NULL;
      if (access (full, X_OK) == 0)
        return full;
      free (full);
      p += n + (p[n] == ':');
    }
  return NULL;
}

char *config_npm_registry_host (const char *npm, char *const *env)
{
  static char *const empty[] = { NULL };
  if (npm == NULL || *npm == '\0')
    return NULL;
  _cleanup_free_ char *prog = find_program (npm, env ? env : empty);
  if (prog == NULL)
    return NULL;
  int fds[2];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&fa, fds[1], 1);
  posix_spawn_file_actions_addopen (&fa, 2, "/dev/null", O_WRONLY, 0);
  char *argv[] = { (char *) npm, (char *) "config", (char *) "get", (char *) "registry", NULL };
  pid_t pid;
  int r = posix_spawn (&pid, prog, &fa, NULL, argv, env ? env : empty);
  posix_spawn_file_actions_destroy (&fa);
  close (fds[1]);
  _cleanup_close_ int rd = fds[0];
  if (r != 0)
    return NULL;
  char out[4096];
  size_t n = 0;
  long long deadline = coi_now_ms () + NPM_TIMEOUT_MS;
  bool timed_out = false;
  while (n + 1 < sizeof out)
    {
      long long left = deadline - coi_now_ms ();
      struct pollfd pfd = { rd, POLLIN, 0 };
      if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
        {
          timed_out = true;
          break;
        }
      ssize_t got = read (rd, out + n, sizeof out - 1 - n);
      if (got <= 0)
        break;
      n += (size_t) got;
    }
  out[n] = '\0';
  if (timed_out)
    kill (pid, SIGKILL);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (timed_out || !WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return NULL;
  out[strcspn (out, "\r\n")] = '\0';
  return *out ? config_url_host (out) : NULL;
}

void config_runtime_defaults (struct coi_config *c)
{
  if (c->npm_done)
    return;
  c->npm_done = true;
  struct cfg_entry *e = &c->e[config_key_index (coi_config_key_find ("network.allowed_domains"))];
  if (e->v == NULL || e->origin == NULL || strcmp (e->origin, "default") != 0)
    return;
  _cleanup_free_ char *host = config_npm_registry_host (c->npm, c->env);
  if (host == NULL)
    return;
  for (size_t i = 0; i < e->v->u.arr.n; i++)
    if (!strcmp (e->v->u.arr.items[i]->u.s.ptr, host))
      return;
  struct toml_value *h = toml_new_string (host, strlen (host));
  if (h == NULL || toml_array_push (e->v, h) < 0)
    return;
  /* The registry goes first, where COI lists it. */
  memmove (&e->v->u.arr.items[1], &e->v->u.arr.items[0], (e->v->u.arr.n - 1) * sizeof (struct toml_value *));
  e->v->u.arr.items[0] = h;
  free (e->strv);
  e->strv = NULL;
}
