#include "incus/exec_env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "incus/files.h"
#include "util/buf.h"
#include "util/cleanup.h"

#define MAX_ENV_BYTES (4u * 1024 * 1024)

/* What bash can export: anything else would be dropped with a warning
 * inside, after the command had been started without it. */
static bool name_ok (const char *s, size_t n)
{
  if (n == 0 || (s[0] >= '0' && s[0] <= '9'))
    return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
          || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      return false;
  return true;
}

int incus_env_file_push (struct incus_client *c, const char *inst, const char *dir, int uid,
                         int gid, const char *const *env, char path[INCUS_ENV_PATH_MAX],
                         coi_error_t *err)
{
  path[0] = '\0';
  if (env == NULL || env[0] == NULL)
    return 0;
  _cleanup_buf_ struct buf data = { .limit = MAX_ENV_BYTES };
  for (const char *const *e = env; *e; e++)
    {
      const char *eq = strchr (*e, '=');
      size_t klen = eq ? (size_t) (eq - *e) : strlen (*e);
      /* The name only: the value may be a secret. */
      if (eq == NULL || !name_ok (*e, klen))
        return coi_error_usage (err, "invalid environment variable '%.*s': expected NAME=VALUE, "
                                     "the name of letters, digits and _",
                                (int) klen, *e);
      if (buf_append (&data, *e, strlen (*e) + 1) < 0)
        return coi_error_errno (err, errno, "pass environment to %s", inst);
    }
  unsigned char rnd[8];
  if (getrandom (rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
    return coi_error_errno (err, errno, "pass environment to %s", inst);
  int n = snprintf (path, INCUS_ENV_PATH_MAX, "%s/.coi-env-%02x%02x%02x%02x%02x%02x%02x%02x", dir,
                    rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
  if (n < 0 || n >= INCUS_ENV_PATH_MAX)
    {
      path[0] = '\0';
      return coi_error_make (err, ENAMETOOLONG, "pass environment to %s: directory name too long",
                             inst);
    }
  struct incus_file_attrs a = { uid, gid, 0600 };
  if (incus_file_push_data (c, inst, path, data.data, data.len, a, err) < 0)
    {
      path[0] = '\0';
      return coi_error_prefix (err, "pass environment to %s", inst);
    }
  return 0;
}

const char **incus_env_wrap (const char *script, const char *envfile, const char *const *cmd)
{
  size_t n = 0;
  while (cmd[n])
    n++;
  const char **v = calloc (n + 6, sizeof (char *));
  if (v == NULL)
    return NULL;
  v[0] = "bash";
  v[1] = "-c";
  v[2] = script;
  v[3] = "coi-env";
  v[4] = envfile;
  memcpy (v + 5, cmd, n * sizeof (char *));
  return v;
}

/* A file no loader will read: removed, as well as we can. */
static void drop (struct incus_client *c, const char *inst, const char *path)
{
  _cleanup_error_ coi_error_t ignored = NULL;
  incus_file_delete (c, inst, path, &ignored);
}

static int run (struct incus_client *c, const char *inst, const struct incus_exec_opts *o,
                struct buf *out, struct buf *errb, int *exit_code, coi_error_t *err)
{
  if (out || errb)
    return incus_exec_capture (c, inst, o, out, errb, exit_code, err);
  return incus_exec (c, inst, o, exit_code, err);
}

int incus_exec_with_env_file (struct incus_client *c, const char *inst,
                              const struct incus_exec_opts *o, const char *dir,
                              const char *const *env, struct buf *out, struct buf *errb,
                              int *exit_code, coi_error_t *err)
{
  if (env == NULL || env[0] == NULL)
    return run (c, inst, o, out, errb, exit_code, err);
  static const char script[] = INCUS_ENV_LOADER "exec \"$@\"";
  char path[INCUS_ENV_PATH_MAX];
  if (o->argv == NULL || o->argv[0] == NULL)
    return coi_error_usage (err, "no command given");
  if (incus_env_file_push (c, inst, dir, o->uid, o->gid, env, path, err) < 0)
    return -1;
  _cleanup_free_ const char **argv = incus_env_wrap (script, path, o->argv);
  if (argv == NULL)
    {
      drop (c, inst, path);
      return coi_error_errno (err, ENOMEM, "exec in %s", inst);
    }
  struct incus_exec_opts w = *o;
  bool not_started = false;
  w.argv = argv;
  if (w.not_started == NULL)
    w.not_started = &not_started;
  if (run (c, inst, &w, out, errb, exit_code, err) < 0)
    {
      if (*w.not_started)
        drop (c, inst, path);
      return -1;
    }
  /* The loader deletes the file first thing: still there, bash never ran. */
  if (*exit_code == INCUS_EXEC_NOT_FOUND)
    {
      _cleanup_error_ coi_error_t probe = NULL;
      if (incus_file_exists (c, inst, path, NULL, &probe) == 1)
        {
          drop (c, inst, path);
          coi_error_make (err, ENOENT, "exec in %s: environment variables need bash in the "
                                       "container", inst);
          coi_error_set_hint (err, "coi passes them through a file that bash reads, never in "
                                   "the exec request, where the host's ps would show them");
          return -1;
        }
    }
  return 0;
}
