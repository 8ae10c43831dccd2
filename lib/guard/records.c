/* The guard's session records: one JSON file per container under
 * <state>/sessions/, written atomically whenever a session changes, read
 * back when the guard starts.  Only root writes there (0700). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guard/server_private.h"
#include "netpolicy/addr.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/names.h"

int guard_session_path (struct guard *g, const char *container, const char *suffix, char *out,
                        size_t cap)
{
  if (!coi_valid_container_name (container))
    return -1;
  return (size_t) snprintf (out, cap, "%s/sessions/%s%s", g->where.state_dir, container, suffix) < cap ? 0 : -1;
}

struct gsession *gsession_find (struct guard *g, const char *container)
{
  for (struct gsession *s = g->sessions; s; s = s->next)
    if (strcmp (s->container, container) == 0)
      return s;
  return NULL;
}

struct gsession *gsession_new (struct guard *g, const char *container, const char *project)
{
  struct gsession *s = calloc (1, sizeof *s);
  if (s == NULL)
    return NULL;
  snprintf (s->container, sizeof s->container, "%s", container);
  snprintf (s->project, sizeof s->project, "%s", project);
  s->nflog_fd = s->sup_pidfd = s->ready_fd = s->waiter = -1;
  s->next = g->sessions;
  g->sessions = s;
  return s;
}

void gsession_free (struct gsession *s)
{
  json_decref (s->policy);
  json_decref (s->supervise);
  int *fds[] = { &s->nflog_fd, &s->sup_pidfd, &s->ready_fd };
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (*fds[i] >= 0)
      close (*fds[i]);
  free (s);
}

static json_t *to_json (const struct gsession *s)
{
  char ip[COI_IPV4_STRLEN];
  return json_pack ("{s:s, s:s, s:{s:I, s:I, s:s, s:s}, s:s?, s:b, s:I, s:O?, s:O?, s:i}", "container",
                    s->container, "project", s->project, "owner", "uid", (json_int_t) s->owner.uid, "gid",
                    (json_int_t) s->owner.gid, "name", s->owner.name, "state_dir", s->owner.state_dir,
                    "address", s->addr ? coi_ipv4_str (s->addr, ip) : NULL, "pending", s->pending,
                    "reserved_at", (json_int_t) s->reserved_at, "policy", s->policy, "supervise",
                    s->supervise, "restarts", s->restarts);
}

int gsession_save (struct guard *g, const struct gsession *s, coi_error_t *err)
{
  char path[512];
  if (guard_session_path (g, s->container, ".json", path, sizeof path) < 0)
    return coi_error_make (err, EINVAL, "record of %s: bad name", s->container);
  _cleanup_json_ json_t *j = to_json (s);
  _cleanup_free_ char *text = j ? json_dumps (j, JSON_COMPACT) : NULL;
  if (text == NULL)
    return coi_error_errno (err, ENOMEM, "record of %s", s->container);
  return coi_write_file_atomic (path, text, strlen (text), 0600, err);
}

void gsession_unlink (struct guard *g, const char *container)
{
  static const char *const suffixes[] = { ".json", ".spec.json", ".hold", NULL };
  char path[512];
  for (const char *const *sfx = suffixes; *sfx; sfx++)
    if (guard_session_path (g, container, *sfx, path, sizeof path) == 0)
      unlink (path);
}

static int from_json (struct gsession *s, json_t *j)
{
  json_t *o = json_object_get (j, "owner");
  const char *name = json_string_value (json_object_get (o, "name"));
  const char *dir = json_string_value (json_object_get (o, "state_dir"));
  const char *addr = json_string_value (json_object_get (j, "address"));
  if (!json_is_integer (json_object_get (o, "uid")) || !json_is_integer (json_object_get (o, "gid")) || !name
      || !dir || strlen (name) >= sizeof s->owner.name || strlen (dir) >= sizeof s->owner.state_dir)
    return -1;
  s->owner.uid = (uid_t) json_integer_value (json_object_get (o, "uid"));
  s->owner.gid = (gid_t) json_integer_value (json_object_get (o, "gid"));
  strcpy (s->owner.name, name);
  strcpy (s->owner.state_dir, dir);
  if (addr && !coi_ipv4_parse (addr, &s->addr))
    return -1;
  s->pending = json_is_true (json_object_get (j, "pending"));
  s->reserved_at = (time_t) json_integer_value (json_object_get (j, "reserved_at"));
  s->restarts = (int) json_integer_value (json_object_get (j, "restarts"));
  json_t *p = json_object_get (j, "policy");
  json_t *sv = json_object_get (j, "supervise");
  s->policy = json_is_object (p) ? json_incref (p) : NULL;
  s->supervise = json_is_object (sv) ? json_incref (sv) : NULL;
  return 0;
}

int gsession_load_all (struct guard *g, coi_error_t *err)
{
  char dir[sizeof g->where.state_dir + 16];
  snprintf (dir, sizeof dir, "%s/sessions", g->where.state_dir);
  _cleanup_closedir_ DIR *d = opendir (dir);
  if (d == NULL)
    return coi_error_errno (err, errno, "read %s", dir);
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    {
      size_t n = strlen (de->d_name);
      if (n <= 5 || strcmp (de->d_name + n - 5, ".json") != 0 || strstr (de->d_name, ".spec.json"))
        continue;
      char name[64];
      if (n - 5 >= sizeof name)
        continue;
      memcpy (name, de->d_name, n - 5);
      name[n - 5] = '\0';
      char path[512];
      if (guard_session_path (g, name, ".json", path, sizeof path) < 0)
        continue;
      json_error_t je;
      _cleanup_json_ json_t *j = json_load_file (path, 0, &je);
      const char *c = json_string_value (json_object_get (j, "container"));
      if (j == NULL || c == NULL || strcmp (c, name) != 0)
        {
          coi_warn (g->sink, "ignoring the unreadable record %s", path);
          continue;
        }
      /* Records from before projects were kept are the default project's. */
      _cleanup_json_ json_t *pargs = json_pack ("{s:O?}", "project", json_object_get (j, "project"));
      const char *project;
      _cleanup_error_ coi_error_t perr = NULL;
      if (pargs == NULL || coi_guard_arg_project (pargs, &project, &perr) < 0)
        {
          coi_warn (g->sink, "ignoring the unreadable record %s", path);
          continue;
        }
      struct gsession *s = gsession_new (g, name, project);
      if (s == NULL)
        return coi_error_errno (err, ENOMEM, "load sessions");
      if (from_json (s, j) < 0)
        {
          coi_warn (g->sink, "ignoring the unreadable record %s", path);
          g->sessions = s->next;
          gsession_free (s);
        }
    }
  return 0;
}

void gsession_drop (struct guard *g, struct gsession *s, const char *why)
{
  coi_info (g->sink, "session %s (%s) ends: %s", s->container, s->owner.name, why);
  guard_supervisor_stop (g, s);
  guard_remove_rules (g, s);
  gsession_unlink (g, s->container);
  for (struct gsession **p = &g->sessions; *p; p = &(*p)->next)
    if (*p == s)
      {
        *p = s->next;
        break;
      }
  if (s->waiter >= 0)
    {
      _cleanup_json_ json_t *r = coi_guard_reply_error (COI_GUARD_NOT_FOUND, why);
      guard_reply (g, s->waiter, r, -1);
    }
  gsession_free (s);
}
