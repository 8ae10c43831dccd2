/* coi profile create|edit|delete: profile directories under ~/.coi/profiles
 * (--user, the default) or WORKSPACE/.coi/profiles (--project). */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli_config.h"
#include "cli/output.h"
#include "util/cleanup.h"

struct profile_edit_opts
{
  char *inherits;
  bool user;
  bool project;
  bool force;
};

#define PO(f) OPT_AT (struct profile_edit_opts, f)
static const struct coi_opt create_options[] = {
  { "inherits", 0, OPT_STRING, PO (inherits), "Parent profile", NULL, "PARENT" },
  { "user", 0, OPT_BOOL, PO (user), "Create in ~/.coi/profiles (default)", NULL, NULL },
  { "project", 0, OPT_BOOL, PO (project), "Create in the workspace's .coi/profiles", NULL, NULL },
  OPT_END,
};
static const struct coi_opt delete_options[] = {
  { "force", 'f', OPT_BOOL, PO (force), "Do not ask for confirmation", NULL, NULL },
  OPT_END,
};
#undef PO

static int mkdir_p (const char *path, coi_error_t *err)
{
  _cleanup_free_ char *p = strdup (path);
  if (p == NULL)
    return coi_error_errno (err, ENOMEM, "create %s", path);
  for (char *s = p + 1; *s; s++)
    if (*s == '/')
      {
        *s = '\0';
        if (mkdir (p, 0755) < 0 && errno != EEXIST)
          return coi_error_errno (err, errno, "create %s", p);
        *s = '/';
      }
  if (mkdir (p, 0755) < 0 && errno != EEXIST)
    return coi_error_errno (err, errno, "create %s", p);
  return 0;
}

/* O_EXCL: never overwrite an existing file. */
static int write_new (const char *path, const char *text, coi_error_t *err)
{
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    return coi_error_make (err, EEXIST, "%s already exists", path);
  if (fd < 0)
    return coi_error_errno (err, errno, "create %s", path);
  size_t n = strlen (text);
  if (write (fd, text, n) != (ssize_t) n)
    return coi_error_errno (err, errno, "write %s", path);
  return 0;
}

static int parse_name (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts, void *o,
                       struct coi_parsed *p, coi_error_t *err)
{
  int r = coi_cmd_parse (ctx, argc, argv, opts, o, false, p, err);
  if (r != 0)
    return r;
  if (p->npos != 1)
    return coi_error_usage (err, "expected one profile name");
  if (!coi_profile_name_valid (p->pos[0]))
    return coi_error_usage (err, "invalid profile name \"%s\": use letters, digits, '-', '_' and '.'", p->pos[0]);
  return 0;
}

COI_HANDLER (cmd_profile_create)
{
  struct profile_edit_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = parse_name (ctx, argc, argv, create_options, &o, &p, err);
  _cleanup_free_ char *inherits = o.inherits;
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (o.user && o.project)
    return coi_error_usage (err, "--user and --project are mutually exclusive");
  const char *name = pos[0];
  _cleanup_config_ struct coi_config *cfg = NULL;
  if (coi_ctx_config (ctx, true, &cfg, err) < 0)
    return -1;
  _cleanup_free_ char *dir = NULL, *path = NULL, *body = NULL;
  if (!strcmp (name, "default"))
    {
      /* `profile create default` scaffolds the main config file. */
      if (asprintf (&dir, "%s/.coi", o.project ? coi_config_workspace (cfg) : coi_config_home (cfg)) < 0
          || asprintf (&path, "%s/config.toml", dir) < 0 || (body = coi_config_template ()) == NULL)
        return coi_error_errno (err, ENOMEM, "profile create");
    }
  else
    {
      if (inherits)
        {
          _cleanup_strv_ char **chain = NULL;
          if (coi_config_profile_chain (cfg, inherits, &chain, err) < 0)
            return coi_error_prefix (err, "--inherits");
        }
      _cleanup_free_ char *base = coi_profile_dir (cfg, o.project);
      if (base == NULL || asprintf (&dir, "%s/%s", base, name) < 0 || asprintf (&path, "%s/config.toml", dir) < 0
          || asprintf (&body,
                       "# coi profile \"%s\": any configuration key may be set here.\n"
                       "# `coi schema profile` lists them; `coi validate profile %s` checks this file.\n"
                       "%s%s%s"
                       "\n# [network]\n# mode = \"restricted\"\n"
                       "\n# [container]\n# image = \"coi\"\n",
                       name, path ? path : "", inherits ? "inherits = \"" : "", inherits ? inherits : "",
                       inherits ? "\"\n" : "")
                 < 0)
        return coi_error_errno (err, ENOMEM, "profile create");
    }
  if (mkdir_p (dir, err) < 0 || write_new (path, body, err) < 0)
    return -1;
  printf ("Created %s %s\n", strcmp (name, "default") ? "profile" : "configuration", path);
  return 0;
}

/* The file of a profile that lives in its own file (edit and delete work on those). */
static char *file_profile_path (struct coi_ctx *ctx, const char *name, coi_error_t *err)
{
  _cleanup_config_ struct coi_config *cfg = NULL;
  _cleanup_strv_ char **chain = NULL;
  struct coi_profile_info *v = NULL;
  size_t n = 0;
  if (coi_ctx_config (ctx, true, &cfg, err) < 0 || coi_config_profile_chain (cfg, name, &chain, err) < 0
      || coi_config_profiles (cfg, &v, &n, err) < 0)
    return NULL;
  char *path = NULL;
  for (size_t i = 0; i < n; i++)
    if (!strcmp (v[i].name, name))
      {
        if (v[i].path && (path = strdup (v[i].path)) == NULL)
          coi_error_errno (err, ENOMEM, "profile %s", name);
        else if (v[i].path == NULL)
          {
            coi_error_make (err, 0, "profile \"%s\" is %s (%s), not a profile file", name,
                            v[i].kind == COI_PROFILE_BUILTIN ? "built in" : "defined in a config file", v[i].source);
            coi_error_set_hint (err, "'coi profile create %s' makes a profile file of your own", name);
          }
      }
  coi_profile_infos_free (v, n);
  return path;
}

/* $VISUAL or $EDITOR split on blanks into argv (never through a shell). */
static int run_editor (const char *path, coi_error_t *err)
{
  const char *ed = getenv ("VISUAL");
  if (ed == NULL || *ed == '\0')
    ed = getenv ("EDITOR");
  if (ed == NULL || *ed == '\0')
    ed = "vi";
  _cleanup_free_ char *copy = strdup (ed);
  char *argv[34];
  int n = 0;
  if (copy == NULL)
    return coi_error_errno (err, ENOMEM, "edit");
  for (char *save = NULL, *w = strtok_r (copy, " \t", &save); w && n < 32; w = strtok_r (NULL, " \t", &save))
    argv[n++] = w;
  argv[n++] = (char *) path;
  argv[n] = NULL;
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    return coi_error_errno (err, errno, "start editor %s", argv[0]);
  if (pid == 0)
    {
      execvp (argv[0], argv);
      fprintf (stderr, "coi: cannot run editor %s: %s\n", argv[0], strerror (errno));
      _exit (127);
    }
  int status = 0;
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return coi_error_errno (err, errno, "wait for editor");
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return coi_error_make (err, 0, "editor %s failed (status %d)", argv[0],
                           WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status));
  return 0;
}

COI_HANDLER (cmd_profile_edit)
{
  struct coi_parsed p = { 0 };
  int r = parse_name (ctx, argc, argv, NULL, NULL, &p, err);
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char *path = file_profile_path (ctx, pos[0], err);
  if (path == NULL || run_editor (path, err) < 0)
    return -1;
  struct coi_validate_issue *issues = NULL;
  size_t ni = 0;
  if (coi_validate_profile_file (path, &issues, &ni, err) < 0)
    return -1;
  for (size_t i = 0; i < ni; i++)
    fprintf (stderr, "coi: warning: %s\n", issues[i].message);
  coi_validate_issues_free (issues, ni);
  return 0;
}

static int remove_entry (const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st;
  (void) ftw;
  return flag == FTW_DP ? rmdir (path) : unlink (path);
}

COI_HANDLER (cmd_profile_delete)
{
  struct profile_edit_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = parse_name (ctx, argc, argv, delete_options, &o, &p, err);
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char *path = file_profile_path (ctx, pos[0], err);
  if (path == NULL)
    return -1;
  char *slash = strrchr (path, '/');
  *slash = '\0'; /* the profile's directory */
  if (!o.force)
    {
      _cleanup_free_ char *q = NULL;
      if (!isatty (STDIN_FILENO))
        return coi_error_usage (err, "refusing to delete %s without confirmation; use --force", path);
      if (asprintf (&q, "Delete profile \"%s\" (%s)?", pos[0], path) < 0 || !coi_confirm (q))
        {
          printf ("Cancelled.\n");
          return 0;
        }
    }
  if (nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
    return coi_error_errno (err, errno, "delete %s", path);
  printf ("Deleted profile \"%s\" (%s)\n", pos[0], path);
  return 0;
}
