#include "session/metadata.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

void coi_session_meta_clear (struct coi_session_meta *m)
{
  free (m->session_id);
  free (m->container_name);
  free (m->workspace);
  free (m->tool);
  free (m->profile);
  free (m->image);
  memset (m, 0, sizeof (*m));
}

int coi_sessions_dir (const char *tool, char **out, coi_error_t *err)
{
  _cleanup_free_ char *home = NULL;
  if (coi_state_dir (&home, err) < 0)
    return -1;
  if (asprintf (out, "%s/sessions-%s", home, tool) < 0)
    return coi_error_errno (err, ENOMEM, "find sessions directory");
  return 0;
}

void coi_format_time (time_t t, char out[32])
{
  struct tm tm;
  gmtime_r (&t, &tm);
  strftime (out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static time_t parse_time (const char *s)
{
  struct tm tm = { 0 };
  if (s == NULL)
    return 0;
  const char *end = strptime (s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == NULL)
    return 0;
  return timegm (&tm);
}

bool coi_valid_session_id (const char *id)
{
  size_t n = id ? strlen (id) : 0;
  if (n == 0 || n > 64)
    return false;
  for (size_t i = 0; i < n; i++)
    {
      char c = id[i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '-'))
        return false;
    }
  return true;
}

int coi_uuid4 (char out[37], coi_error_t *err)
{
  unsigned char b[16];
  if (getrandom (b, sizeof b, 0) != (ssize_t) sizeof b)
    return coi_error_errno (err, errno, "make session id");
  b[6] = (unsigned char) ((b[6] & 0x0f) | 0x40);
  b[8] = (unsigned char) ((b[8] & 0x3f) | 0x80);
  snprintf (out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
            b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
            b[15]);
  return 0;
}

int coi_session_meta_save (const char *tool, const struct coi_session_meta *m, coi_error_t *err)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_free_ char *sdir = NULL;
  _cleanup_free_ char *path = NULL;
  char saved[32];
  if (!coi_valid_session_id (m->session_id))
    return coi_error_make (err, EINVAL, "save session: invalid session id");
  if (coi_sessions_dir (tool, &dir, err) < 0)
    return -1;
  if (asprintf (&sdir, "%s/%s", dir, m->session_id) < 0
      || asprintf (&path, "%s/metadata.json", sdir) < 0)
    return coi_error_errno (err, ENOMEM, "save session");
  if (coi_mkdir_p (sdir, 0700, err) < 0)
    return coi_error_prefix (err, "save session %s", m->session_id);
  coi_format_time (m->saved_at ? m->saved_at : time (NULL), saved);
  _cleanup_json_ json_t *j = json_pack ("{s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:i}", "session_id",
                                        m->session_id, "container_name",
                                        m->container_name ? m->container_name : "", "persistent",
                                        m->persistent, "workspace", m->workspace ? m->workspace : "",
                                        "saved_at", saved, "tool", tool, "image",
                                        m->image ? m->image : "", "slot", m->slot);
  if (j == NULL)
    return coi_error_make (err, 0, "save session %s: cannot encode metadata", m->session_id);
  if (m->profile)
    json_object_set_new (j, "profile", json_string (m->profile));
  _cleanup_free_ char *text = json_dumps (j, JSON_INDENT (2));
  if (text == NULL)
    return coi_error_make (err, 0, "save session %s: cannot encode metadata", m->session_id);
  if (coi_write_file_atomic (path, text, strlen (text), 0600, err) < 0)
    return coi_error_prefix (err, "save session %s", m->session_id);
  return 0;
}

static int meta_from_json (json_t *j, struct coi_session_meta *m)
{
  const char *id = json_string_value (json_object_get (j, "session_id"));
  if (id == NULL || !coi_valid_session_id (id))
    return -1;
  memset (m, 0, sizeof (*m));
#define STR(field, key)                                               \
  do                                                                  \
    {                                                                 \
      const char *v = json_string_value (json_object_get (j, key));   \
      if (v && (m->field = strdup (v)) == NULL)                       \
        return -1;                                                    \
    }                                                                 \
  while (0)
  STR (session_id, "session_id");
  STR (container_name, "container_name");
  STR (workspace, "workspace");
  STR (tool, "tool");
  STR (profile, "profile");
  STR (image, "image");
#undef STR
  m->persistent = json_is_true (json_object_get (j, "persistent"));
  m->slot = (int) json_integer_value (json_object_get (j, "slot"));
  m->saved_at = parse_time (json_string_value (json_object_get (j, "saved_at")));
  return 0;
}

int coi_session_meta_load (const char *tool, const char *id, struct coi_session_meta *m,
                           coi_error_t *err)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_free_ char *path = NULL;
  if (!coi_valid_session_id (id))
    return coi_error_make (err, ENOENT, "session '%s' not found - check available sessions with: coi list --all", id);
  if (coi_sessions_dir (tool, &dir, err) < 0)
    return -1;
  if (asprintf (&path, "%s/%s/metadata.json", dir, id) < 0)
    return coi_error_errno (err, ENOMEM, "load session");
  json_error_t jerr;
  _cleanup_json_ json_t *j = json_load_file (path, 0, &jerr);
  if (j == NULL)
    {
      if (access (path, F_OK) < 0)
        return coi_error_make (err, ENOENT, "session '%s' not found - check available sessions with: coi list --all", id);
      return coi_error_make (err, 0, "load session %s: %s:%d: %s", id, path, jerr.line, jerr.text);
    }
  if (meta_from_json (j, m) < 0)
    {
      coi_session_meta_clear (m);
      return coi_error_make (err, 0, "load session %s: %s has no valid session_id", id, path);
    }
  return 0;
}

static int by_newest (const void *a, const void *b)
{
  const struct coi_session_meta *x = a, *y = b;
  return x->saved_at < y->saved_at ? 1 : x->saved_at > y->saved_at ? -1 : 0;
}

void coi_session_list_free (struct coi_session_meta *list, size_t n)
{
  for (size_t i = 0; i < n; i++)
    coi_session_meta_clear (&list[i]);
  free (list);
}

int coi_session_list (const char *tool, struct coi_session_meta **out, size_t *n, coi_error_t *err)
{
  _cleanup_free_ char *dir = NULL;
  *out = NULL;
  *n = 0;
  if (coi_sessions_dir (tool, &dir, err) < 0)
    return -1;
  _cleanup_closedir_ DIR *d = opendir (dir);
  if (d == NULL)
    return errno == ENOENT ? 0 : coi_error_errno (err, errno, "list sessions in %s", dir);
  size_t cap = 0;
  struct coi_session_meta *list = NULL;
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (!coi_valid_session_id (de->d_name))
        continue;
      _cleanup_free_ char *path = NULL;
      if (asprintf (&path, "%s/%s/metadata.json", dir, de->d_name) < 0)
        continue;
      _cleanup_json_ json_t *j = json_load_file (path, 0, NULL);
      if (j == NULL)
        continue; /* a half-written or foreign entry is not a session */
      if (*n == cap)
        {
          cap = cap ? cap * 2 : 16;
          struct coi_session_meta *nl = realloc (list, cap * sizeof (*nl));
          if (nl == NULL)
            {
              coi_session_list_free (list, *n);
              *n = 0;
              return coi_error_errno (err, ENOMEM, "list sessions");
            }
          list = nl;
        }
      if (meta_from_json (j, &list[*n]) < 0)
        {
          coi_session_meta_clear (&list[*n]);
          continue;
        }
      (*n)++;
    }
  if (*n)
    qsort (list, *n, sizeof (*list), by_newest);
  *out = list;
  return 0;
}

int coi_session_latest_for_workspace (const char *tool, const char *workspace,
                                      struct coi_session_meta *m, coi_error_t *err)
{
  struct coi_session_meta *list = NULL;
  size_t n = 0;
  if (coi_session_list (tool, &list, &n, err) < 0)
    return -1;
  int found = 1;
  for (size_t i = 0; i < n; i++)
    if (list[i].workspace && strcmp (list[i].workspace, workspace) == 0)
      {
        *m = list[i];
        memset (&list[i], 0, sizeof (list[i]));
        found = 0;
        break;
      }
  coi_session_list_free (list, n);
  return found;
}
