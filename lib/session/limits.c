#include "session/limits.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

void coi_limits_init (struct coi_limits *l)
{
  memset (l, 0, sizeof *l);
  l->auto_stop = true;
  l->stop_graceful = true;
}

void coi_limits_clear (struct coi_limits *l)
{
  free (l->cpu_count);
  free (l->cpu_allowance);
  free (l->memory_limit);
  free (l->memory_enforce);
  free (l->memory_swap);
  free (l->disk_read);
  free (l->disk_write);
  free (l->disk_max);
  free (l->root_pool);
  coi_limits_init (l);
}

/* Parse a non-negative decimal integer filling all of [s, end). */
static bool parse_uint (const char *s, size_t len, unsigned long long max, unsigned long long *out)
{
  if (len == 0 || len > 19)
    return false;
  unsigned long long v = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (!isdigit ((unsigned char) s[i]))
        return false;
      v = v * 10 + (unsigned) (s[i] - '0');
    }
  if (v > max)
    return false;
  *out = v;
  return true;
}

static bool parse_uint_str (const char *s, unsigned long long max, unsigned long long *out)
{
  return parse_uint (s, strlen (s), max, out);
}

/* "N%" with 1 <= N <= 100. */
static bool is_percent (const char *s)
{
  size_t n = strlen (s);
  unsigned long long v;
  return n >= 2 && s[n - 1] == '%' && parse_uint (s, n - 1, 100, &v) && v >= 1;
}

/* An integer byte count with an Incus unit, as units.ParseByteSizeString takes it. */
static bool is_byte_size (const char *s)
{
  static const char *const units[] = { "", "B", "kB", "MB", "GB", "TB", "PB", "EB",
                                       "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
  size_t digits = strspn (s, "0123456789");
  unsigned long long v;
  if (!parse_uint (s, digits, ULLONG_MAX, &v) || v == 0)
    return false;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp (s + digits, units[i]) == 0)
      return true;
  return false;
}

/* "2", or a cpuset list "0-3,6". */
static bool is_cpu_count (const char *s)
{
  unsigned long long v;
  if (parse_uint_str (s, 4096, &v))
    return v >= 1;
  _cleanup_free_ char *copy = strdup (s);
  if (copy == NULL || *s == '\0')
    return false;
  char *save = NULL;
  for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
    {
      char *dash = strchr (tok, '-');
      unsigned long long a, b;
      if (dash == NULL)
        {
          if (!parse_uint_str (tok, 4095, &a))
            return false;
          continue;
        }
      if (!parse_uint (tok, (size_t) (dash - tok), 4095, &a) || !parse_uint_str (dash + 1, 4095, &b) || a > b)
        return false;
    }
  /* strtok_r skips empty items: reject "1,,2", ",1" and "1,". */
  return strstr (s, ",,") == NULL && s[0] != ',' && s[strlen (s) - 1] != ',';
}

/* "50%" or "25ms/100ms". */
static bool is_allowance (const char *s)
{
  if (is_percent (s))
    return true;
  const char *slash = strchr (s, '/');
  unsigned long long a, b;
  if (slash == NULL || slash - s < 3 || strncmp (slash - 2, "ms", 2) != 0)
    return false;
  size_t rest = strlen (slash + 1);
  if (rest < 3 || strcmp (slash + 1 + rest - 2, "ms") != 0)
    return false;
  return parse_uint (s, (size_t) (slash - 2 - s), 1000000, &a) && a > 0
         && parse_uint (slash + 1, rest - 2, 1000000, &b) && b > 0;
}

static bool is_disk_rate (const char *s)
{
  size_t n = strlen (s);
  unsigned long long v;
  if (n > 4 && strcmp (s + n - 4, "iops") == 0)
    return parse_uint (s, n - 4, ULLONG_MAX, &v) && v > 0;
  return is_byte_size (s);
}

static const char *normalize_bool (const char *s)
{
  static const char *const yes[] = { "true", "yes", "on", "1" };
  static const char *const no[] = { "false", "no", "off", "0" };
  for (size_t i = 0; i < 4; i++)
    {
      if (strcasecmp (s, yes[i]) == 0)
        return "true";
      if (strcasecmp (s, no[i]) == 0)
        return "false";
    }
  return NULL;
}

int coi_parse_duration (const char *s, long *seconds)
{
  static const struct
  {
    const char *unit;
    double seconds;
  } units[] = { { "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 },
                { "s", 1 },     { "m", 60 },    { "h", 3600 } };
  if (s == NULL || *s == '\0')
    return -1;
  if (strcmp (s, "0") == 0)
    {
      *seconds = 0;
      return 0;
    }
  double total = 0;
  const char *p = s;
  while (*p)
    {
      char *end = NULL;
      if (!isdigit ((unsigned char) *p) && *p != '.')
        return -1;
      errno = 0;
      double v = strtod (p, &end);
      if (errno || end == p)
        return -1;
      p = end;
      size_t best = 0;
      double mult = 0;
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        {
          size_t ul = strlen (units[i].unit);
          /* Longest match first: "ms" must not be read as "m" then "s". */
          if (ul > best && strncmp (p, units[i].unit, ul) == 0)
            {
              best = ul;
              mult = units[i].seconds;
            }
        }
      if (best == 0)
        return -1;
      p += best;
      total += v * mult;
    }
  if (total > (double) LONG_MAX / 2)
    return -1;
  long whole = (long) total;
  *seconds = (double) whole < total ? whole + 1 : whole;
  return 0;
}

enum key_kind
{
  K_STRING,
  K_PRIORITY,
  K_COUNT,
  K_DURATION,
  K_BOOL_FLAG,
};

struct limit_key
{
  const char *name; /* relative to [limits] */
  enum key_kind kind;
  size_t offset;
  bool (*valid) (const char *);
  const char *expect; /* for the error message */
};

static bool is_memory (const char *s)
{
  return is_percent (s) || is_byte_size (s);
}

static bool is_enforce (const char *s)
{
  return strcmp (s, "soft") == 0 || strcmp (s, "hard") == 0;
}

static bool is_bool_text (const char *s)
{
  return normalize_bool (s) != NULL;
}

/* Incus takes a boolean or a swap size. */
static bool is_swap (const char *s)
{
  return is_bool_text (s) || is_byte_size (s);
}

#define L(f) offsetof (struct coi_limits, f)
static const struct limit_key keys[] = {
  { "cpu.count", K_STRING, L (cpu_count), is_cpu_count, "a CPU count such as \"2\" or a set such as \"0-3\"" },
  { "cpu.allowance", K_STRING, L (cpu_allowance), is_allowance, "a share such as \"50%\" or a quota such as \"25ms/100ms\"" },
  { "cpu.priority", K_PRIORITY, L (cpu_priority), NULL, "an integer from 0 to 10" },
  { "memory.limit", K_STRING, L (memory_limit), is_memory, "a size such as \"2GiB\" or a share such as \"50%\"" },
  { "memory.enforce", K_STRING, L (memory_enforce), is_enforce, "\"soft\" or \"hard\"" },
  { "memory.swap", K_STRING, L (memory_swap), is_swap, "true, false or a size such as \"1GiB\"" },
  { "disk.read", K_STRING, L (disk_read), is_disk_rate, "a rate such as \"30MB\" (bytes/s) or \"100iops\"" },
  { "disk.write", K_STRING, L (disk_write), is_disk_rate, "a rate such as \"30MB\" (bytes/s) or \"100iops\"" },
  { "disk.max", K_STRING, L (disk_max), is_disk_rate, "a rate such as \"30MB\" (bytes/s) or \"100iops\"" },
  { "disk.priority", K_PRIORITY, L (disk_priority), NULL, "an integer from 0 to 10" },
  { "runtime.max_processes", K_COUNT, L (max_processes), NULL, "a process count (0 = unlimited)" },
  { "runtime.max_duration", K_DURATION, L (max_duration_sec), NULL, "a duration such as \"2h\" or \"30m\"" },
  { "runtime.auto_stop", K_BOOL_FLAG, L (auto_stop), NULL, "true or false" },
  { "runtime.stop_graceful", K_BOOL_FLAG, L (stop_graceful), NULL, "true or false" },
};
#undef L
#define N_KEYS (sizeof keys / sizeof keys[0])

/* Keys of [limits] that other parts of coi apply (root size, /tmp size). */
static bool is_foreign_key (const char *rel)
{
  return strcmp (rel, "disk.size") == 0 || strcmp (rel, "disk.tmpfs_size") == 0;
}

int coi_limits_set (struct coi_limits *l, const char *key, const char *value, coi_error_t *err)
{
  const char *rel = strncmp (key, "limits.", 7) == 0 ? key + 7 : key;
  const struct limit_key *k = NULL;
  for (size_t i = 0; i < N_KEYS; i++)
    if (strcmp (keys[i].name, rel) == 0)
      k = &keys[i];
  if (k == NULL)
    {
      if (is_foreign_key (rel))
        return 0;
      return coi_error_usage (err, "limits.%s: unknown key", rel);
    }
  if (value == NULL)
    value = "";
  char *p = (char *) l + k->offset;
  unsigned long long v = 0;
  switch (k->kind)
    {
    case K_STRING:
      {
        char **s = (char **) p;
        if (*value && !k->valid (value))
          return coi_error_usage (err, "limits.%s: invalid value \"%s\": expected %s", rel, value, k->expect);
        const char *store = k->valid == is_swap && normalize_bool (value) ? normalize_bool (value) : value;
        free (*s);
        *s = NULL;
        if (*store && (*s = strdup (store)) == NULL)
          return coi_error_errno (err, ENOMEM, "limits.%s", rel);
        return 0;
      }
    case K_PRIORITY:
    case K_COUNT:
      if (*value && !parse_uint_str (value, k->kind == K_PRIORITY ? 10 : 10000000, &v))
        return coi_error_usage (err, "limits.%s: invalid value \"%s\": expected %s", rel, value, k->expect);
      *(int *) p = (int) v;
      return 0;
    case K_DURATION:
      {
        long secs = 0;
        if (*value && coi_parse_duration (value, &secs) < 0)
          return coi_error_usage (err, "limits.%s: invalid value \"%s\": expected %s", rel, value, k->expect);
        *(long *) p = secs;
        return 0;
      }
    case K_BOOL_FLAG:
      {
        const char *b = normalize_bool (value);
        if (b == NULL)
          return coi_error_usage (err, "limits.%s: invalid value \"%s\": expected %s", rel, value, k->expect);
        *(bool *) p = strcmp (b, "true") == 0;
        return 0;
      }
    }
  return 0;
}

/* One leaf of the JSON table as the text coi_limits_set takes. */
static int leaf_text (json_t *v, char *buf, size_t len)
{
  if (json_is_string (v))
    return snprintf (buf, len, "%s", json_string_value (v)) < (int) len ? 0 : -1;
  if (json_is_integer (v))
    return snprintf (buf, len, "%lld", (long long) json_integer_value (v)) < (int) len ? 0 : -1;
  if (json_is_boolean (v))
    return snprintf (buf, len, "%s", json_is_true (v) ? "true" : "false") < (int) len ? 0 : -1;
  return -1;
}

int coi_limits_from_json (struct coi_limits *l, json_t *table, coi_error_t *err)
{
  if (table == NULL || json_is_null (table))
    return 0;
  if (!json_is_object (table))
    return coi_error_usage (err, "limits: expected a table");
  const char *section;
  json_t *sub;
  json_object_foreach (table, section, sub)
    {
      if (!json_is_object (sub))
        return coi_error_usage (err, "limits.%s: expected a table", section);
      const char *name;
      json_t *v;
      json_object_foreach (sub, name, v)
        {
          char key[128], text[256];
          if (snprintf (key, sizeof key, "%s.%s", section, name) >= (int) sizeof key)
            return coi_error_usage (err, "limits.%s.%s: unknown key", section, name);
          if (is_foreign_key (key))
            continue;
          if (leaf_text (v, text, sizeof text) < 0)
            return coi_error_usage (err, "limits.%s: expected a string, number or boolean", key);
          if (coi_limits_set (l, key, text, err) < 0)
            return -1;
        }
    }
  return 0;
}

static int set_str (json_t *obj, const char *key, const char *value)
{
  return json_object_set_new (obj, key, json_string (value));
}

static int set_int_str (json_t *obj, const char *key, long long value)
{
  char buf[32];
  snprintf (buf, sizeof buf, "%lld", value);
  return set_str (obj, key, buf);
}

/* The config keys of the limits, into obj (a body's config, or the audit record). */
static int fill_config (const struct coi_limits *l, json_t *config)
{
  int r = 0;
  if (l->cpu_count)
    r |= set_str (config, "limits.cpu", l->cpu_count);
  if (l->cpu_allowance)
    r |= set_str (config, "limits.cpu.allowance", l->cpu_allowance);
  if (l->cpu_priority > 0)
    r |= set_int_str (config, "limits.cpu.priority", l->cpu_priority);
  /* enforce and swap qualify a limit: without one, COI's defaults
   * (soft, swap on) would only override Incus' own defaults for nothing. */
  if (l->memory_limit)
    {
      r |= set_str (config, "limits.memory", l->memory_limit);
      if (l->memory_enforce)
        r |= set_str (config, "limits.memory.enforce", l->memory_enforce);
      if (l->memory_swap)
        r |= set_str (config, "limits.memory.swap", l->memory_swap);
    }
  if (l->disk_priority > 0)
    r |= set_int_str (config, "limits.disk.priority", l->disk_priority);
  if (l->max_processes > 0)
    r |= set_int_str (config, "limits.processes", l->max_processes);
  return r < 0 ? -1 : 0;
}

static int fill_root (const struct coi_limits *l, json_t *root)
{
  int r = 0;
  if (l->disk_read)
    r |= set_str (root, "limits.read", l->disk_read);
  if (l->disk_write)
    r |= set_str (root, "limits.write", l->disk_write);
  if (l->disk_max)
    r |= set_str (root, "limits.max", l->disk_max);
  return r < 0 ? -1 : 0;
}

/* The body's member `key` as an object, created when missing. */
static json_t *object_member (json_t *obj, const char *key)
{
  json_t *m = json_object_get (obj, key);
  if (m == NULL)
    {
      m = json_object ();
      if (m == NULL || json_object_set_new (obj, key, m) < 0)
        return NULL;
    }
  return json_is_object (m) ? m : NULL;
}

int coi_limits_apply_to_body (const struct coi_limits *l, json_t *body, coi_error_t *err)
{
  if (!json_is_object (body))
    return coi_error_make (err, EINVAL, "apply limits: the instance request is not an object");
  json_t *config = object_member (body, "config");
  if (config == NULL || fill_config (l, config) < 0)
    return coi_error_make (err, ENOMEM, "apply limits: bad or unwritable \"config\" in the instance request");
  if (!l->disk_read && !l->disk_write && !l->disk_max)
    return 0;
  json_t *devices = object_member (body, "devices");
  if (devices == NULL)
    return coi_error_make (err, ENOMEM, "apply limits: bad or unwritable \"devices\" in the instance request");
  json_t *root = json_object_get (devices, "root");
  if (root == NULL)
    {
      /* The root disk otherwise comes from a profile; device keys need an
       * instance-level device, so it is declared here on the same pool. */
      if (l->root_pool == NULL || *l->root_pool == '\0')
        {
          coi_error_make (err, EINVAL, "limits.disk: the container has no root disk device to limit");
          coi_error_set_hint (err, "set container.storage_pool, or leave limits.disk.read/write/max empty");
          return -1;
        }
      root = json_pack ("{s:s, s:s, s:s}", "type", "disk", "path", "/", "pool", l->root_pool);
      if (root == NULL || json_object_set_new (devices, "root", root) < 0)
        return coi_error_errno (err, ENOMEM, "apply limits");
    }
  if (!json_is_object (root) || fill_root (l, root) < 0)
    return coi_error_make (err, EINVAL, "apply limits: bad root device in the instance request");
  return 0;
}

json_t *coi_limits_to_json (const struct coi_limits *l)
{
  _cleanup_json_ json_t *j = json_object ();
  if (j == NULL || fill_config (l, j) < 0)
    return NULL;
  _cleanup_json_ json_t *root = json_object ();
  if (root == NULL || fill_root (l, root) < 0)
    return NULL;
  if (json_object_size (root) > 0 && json_object_set (j, "root", root) < 0)
    return NULL;
  if (l->max_duration_sec > 0
      && (json_object_set_new (j, "max_duration_sec", json_integer (l->max_duration_sec)) < 0
          || json_object_set_new (j, "auto_stop", json_boolean (l->auto_stop)) < 0
          || json_object_set_new (j, "stop_graceful", json_boolean (l->stop_graceful)) < 0))
    return NULL;
  return steal_pointer (&j);
}
