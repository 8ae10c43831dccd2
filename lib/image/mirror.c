#include "image/mirror.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

#define SOURCES_DIR "/etc/apt/sources.list.d"
#define MAX_SOURCES (1024 * 1024)

/* Does the whitespace-separated list `words` contain `w`? */
static bool has_word (const char *words, size_t len, const char *w)
{
  size_t wl = strlen (w);
  const char *p = words, *end = words + len;
  while (p < end)
    {
      while (p < end && (*p == ' ' || *p == '\t'))
        p++;
      const char *s = p;
      while (p < end && *p != ' ' && *p != '\t')
        p++;
      if ((size_t) (p - s) == wl && strncmp (s, w, wl) == 0)
        return true;
    }
  return false;
}

static char *first_word (const char *words, size_t len)
{
  const char *p = words, *end = words + len;
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  const char *s = p;
  while (p < end && *p != ' ' && *p != '\t')
    p++;
  return p > s ? strndup (s, (size_t) (p - s)) : NULL;
}

struct stanza
{
  const char *uris, *suites, *types, *enabled;
  size_t uris_len, suites_len, types_len, enabled_len;
};

static int stanza_match (const struct stanza *s, const char *suite, char **uri)
{
  if (s->uris == NULL || s->suites == NULL || !has_word (s->suites, s->suites_len, suite))
    return 0;
  if (s->types && !has_word (s->types, s->types_len, "deb"))
    return 0;
  if (s->enabled && has_word (s->enabled, s->enabled_len, "no"))
    return 0;
  *uri = first_word (s->uris, s->uris_len);
  return *uri ? 1 : -1;
}

/* Field values end at the line end; the fields we read are one-liners. */
static void field (const char *line, size_t len, const char *name, const char **v, size_t *vl)
{
  size_t nl = strlen (name);
  if (len > nl && strncasecmp (line, name, nl) == 0 && line[nl] == ':')
    {
      *v = line + nl + 1;
      *vl = len - nl - 1;
    }
}

int coi_mirror_from_deb822 (const char *text, const char *suite, char **uri)
{
  struct stanza s = { 0 };
  const char *p = text;
  *uri = NULL;
  for (;;)
    {
      const char *eol = strchr (p, '\n');
      size_t len = eol ? (size_t) (eol - p) : strlen (p);
      bool blank = true;
      for (size_t i = 0; i < len; i++)
        blank = blank && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r');
      if (blank)
        {
          int r = stanza_match (&s, suite, uri);
          if (r != 0)
            return r;
          memset (&s, 0, sizeof (s));
        }
      else if (p[0] != '#')
        {
          field (p, len, "URIs", &s.uris, &s.uris_len);
          field (p, len, "Suites", &s.suites, &s.suites_len);
          field (p, len, "Types", &s.types, &s.types_len);
          field (p, len, "Enabled", &s.enabled, &s.enabled_len);
        }
      if (eol == NULL)
        return stanza_match (&s, suite, uri);
      p = eol + 1;
    }
}

int coi_mirror_from_list (const char *text, const char *suite, char **uri)
{
  const char *p = text;
  *uri = NULL;
  while (*p)
    {
      const char *eol = strchrnul (p, '\n');
      _cleanup_free_ char *line = strndup (p, (size_t) (eol - p));
      if (line == NULL)
        return -1;
      p = *eol ? eol + 1 : eol;
      char *hash = strchr (line, '#');
      if (hash)
        *hash = '\0';
      char *save = NULL;
      char *w = strtok_r (line, " \t\r", &save);
      if (w == NULL || strcmp (w, "deb") != 0)
        continue;
      w = strtok_r (NULL, " \t\r", &save);
      if (w && w[0] == '[')
        {
          /* "[ options ]" may span several words: the URI follows the "]". */
          while (w && strchr (w, ']') == NULL)
            w = strtok_r (NULL, " \t\r", &save);
          if (w)
            w = strtok_r (NULL, " \t\r", &save);
        }
      char *s = w ? strtok_r (NULL, " \t\r", &save) : NULL;
      if (w && s && strcmp (s, suite) == 0)
        {
          *uri = strdup (w);
          return *uri ? 1 : -1;
        }
    }
  return 0;
}

static int from_file (const char *path, const char *suite, bool deb822, char **uri)
{
  _cleanup_free_ char *text = NULL;
  size_t len = 0;
  _cleanup_error_ coi_error_t ignored = NULL;
  if (coi_read_file (path, MAX_SOURCES, &text, &len, &ignored) < 0)
    return 0; /* absent or unreadable: try the next place */
  return deb822 ? coi_mirror_from_deb822 (text, suite, uri)
                : coi_mirror_from_list (text, suite, uri);
}

static bool ends_with (const char *s, const char *suffix)
{
  size_t a = strlen (s), b = strlen (suffix);
  return a >= b && strcmp (s + a - b, suffix) == 0;
}

static int from_dir (const char *suite, char **uri)
{
  _cleanup_closedir_ DIR *d = opendir (SOURCES_DIR);
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      bool deb822 = ends_with (de->d_name, ".sources");
      if (!deb822 && !ends_with (de->d_name, ".list"))
        continue;
      _cleanup_free_ char *path = NULL;
      if (asprintf (&path, "%s/%s", SOURCES_DIR, de->d_name) < 0)
        return -1;
      int r = from_file (path, suite, deb822, uri);
      if (r != 0)
        return r;
    }
  return 0;
}

int coi_debian_mirror (const char *suite, char **uri, coi_error_t *err)
{
  const char *env = getenv ("COI_DEBIAN_MIRROR");
  if (env && *env)
    {
      *uri = strdup (env);
      return *uri ? 0 : coi_error_errno (err, ENOMEM, "find the Debian mirror");
    }
  int r = from_file (SOURCES_DIR "/debian.sources", suite, true, uri);
  if (r == 0)
    r = from_file ("/etc/apt/sources.list", suite, false, uri);
  if (r == 0)
    r = from_dir (suite, uri);
  if (r < 0)
    return coi_error_errno (err, ENOMEM, "find the Debian mirror");
  if (r == 0)
    {
      coi_error_make (err, ENOENT, "find the Debian mirror: no apt source serves '%s'", suite);
      coi_error_set_hint (err, "add a '%s' entry to /etc/apt/sources.list.d/debian.sources, or set COI_DEBIAN_MIRROR", suite);
      return -1;
    }
  return 0;
}
