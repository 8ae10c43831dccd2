/* Test fixture for lib/config: a temporary root holding HOME ("home"), the
 * workspace ("ws") and the system config ("sys"), and a clean environment. */
#ifndef COI_TEST_CONFIG_UTIL_H
#define COI_TEST_CONFIG_UTIL_H

#include <ftw.h>
#include <limits.h>

#include "config/config_private.h"

extern char **environ;

struct fx
{
  char root[256];
  char home[300], ws[300], sys[300];
  const char *npm;
  char bufs[8][700];
  int next;
};

static __attribute__ ((unused)) void fx_clear_env (void)
{
  static const char *const names[] = { "COI_CONFIG", "COI_TRUST_ALL", "COI_DEFAULTS_PROFILE",
                                       "CLAUDE_ON_INCUS_IMAGE", "CLAUDE_ON_INCUS_SESSIONS_DIR",
                                       "CLAUDE_ON_INCUS_STORAGE_DIR", "CLAUDE_ON_INCUS_PERSISTENT", "VISUAL",
                                       "EDITOR" };
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    unsetenv (names[i]);
  char name[128];
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      coi_config_env_name (k, name, sizeof name);
      unsetenv (name);
    }
}

static __attribute__ ((unused)) const char *fx_abs (struct fx *f, const char *rel)
{
  char tmp[sizeof f->bufs[0]];
  char *b = f->bufs[f->next++ % 8];
  snprintf (tmp, sizeof tmp, "%s/%s", f->root, rel);
  memcpy (b, tmp, sizeof tmp);
  return b;
}

static __attribute__ ((unused)) const char *fx_path (struct fx *f, const char *kind)
{
  (void) f;
  if (!strcmp (kind, "xdg"))
    return "home/.config/coi/config.toml";
  if (!strcmp (kind, "dot"))
    return "home/.coi/config.toml";
  if (!strcmp (kind, "project"))
    return "ws/.coi/config.toml";
  if (!strcmp (kind, "explicit"))
    return "explicit.toml";
  return kind;
}

static __attribute__ ((unused)) void fx_mkdirs (const char *path)
{
  char p[PATH_MAX];
  snprintf (p, sizeof p, "%s", path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        mkdir (p, 0755);
        *s = '/';
      }
}

static __attribute__ ((unused)) void fx_write (struct fx *f, const char *rel, const char *text)
{
  const char *path = fx_abs (f, rel);
  fx_mkdirs (path);
  FILE *fp = fopen (path, "w");
  assert_non_null (fp);
  fputs (text, fp);
  fclose (fp);
}

static __attribute__ ((unused)) int fx_setup (void **state)
{
  struct fx *f = calloc (1, sizeof *f);
  char tmpl[] = "/tmp/coi-cfg-XXXXXX";
  if (f == NULL || mkdtemp (tmpl) == NULL || realpath (tmpl, f->root) == NULL)
    return -1;
  snprintf (f->home, sizeof f->home, "%s/home", f->root);
  snprintf (f->ws, sizeof f->ws, "%s/ws", f->root);
  snprintf (f->sys, sizeof f->sys, "%s/sys", f->root);
  mkdir (f->home, 0755);
  mkdir (f->ws, 0755);
  fx_clear_env ();
  setenv ("HOME", f->home, 1);
  *state = f;
  return 0;
}

static __attribute__ ((unused)) int fx_rm (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  return flag == FTW_DP ? rmdir (path) : unlink (path);
}

static __attribute__ ((unused)) int fx_teardown (void **state)
{
  struct fx *f = *state;
  nftw (f->root, fx_rm, 16, FTW_DEPTH | FTW_PHYS);
  fx_clear_env ();
  free (f);
  return 0;
}

static __attribute__ ((unused)) int fx_load_err (struct fx *f, const struct coi_config_load_opts *o, coi_error_t *err)
{
  struct coi_config *c = NULL;
  struct cfg_env env = { .home = f->home, .system_config = f->sys, .cwd = f->ws, .npm = f->npm,
                         .vars = (const char *const *) environ };
  int r = config_load_env (o, &env, &c, err);
  coi_config_free (c);
  return r;
}

static __attribute__ ((unused)) struct coi_config *fx_load (struct fx *f, const struct coi_config_load_opts *o)
{
  struct coi_config *c = NULL;
  coi_error_t err = NULL;
  struct cfg_env env = { .home = f->home, .system_config = f->sys, .cwd = f->ws, .npm = f->npm,
                         .vars = (const char *const *) environ };
  if (config_load_env (o, &env, &c, &err) < 0)
    fail_msg ("load failed: %s", err->msg);
  return c;
}

/* The message of a load that must fail. */
static __attribute__ ((unused)) const char *fx_load_fail (struct fx *f, const struct coi_config_load_opts *o)
{
  static char msg[1024];
  coi_error_t err = NULL;
  if (fx_load_err (f, o, &err) == 0)
    fail_msg ("load succeeded where it should fail");
  snprintf (msg, sizeof msg, "%s", err->msg);
  coi_error_release (&err);
  return msg;
}

#endif
