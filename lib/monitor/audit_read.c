#include "monitor/audit_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/audit.h"
#include "util/cleanup.h"

int coi_audit_reader_open (struct coi_audit_reader *r, const char *path, bool *exists, coi_error_t *err)
{
  memset (r, 0, sizeof *r);
  r->partial.limit = COI_AUDIT_MAX_LINE;
  r->fd = open (path, O_RDONLY | O_CLOEXEC);
  *exists = r->fd >= 0;
  if (r->fd < 0 && errno != ENOENT)
    return coi_error_errno (err, errno, "open audit log %s", path);
  struct stat st;
  if (r->fd >= 0 && fstat (r->fd, &st) == 0)
    r->ino = st.st_ino;
  return 0;
}

void coi_audit_reader_close (struct coi_audit_reader *r)
{
  if (r->fd >= 0)
    close (r->fd);
  r->fd = -1;
  buf_free (&r->partial);
}

static void emit_lines (struct coi_audit_reader *r, int *count,
                        void (*fn) (const char *line, json_t *rec, void *data), void *data)
{
  char *start = r->partial.data, *nl;
  while ((nl = memchr (start, '\n', r->partial.len - (size_t) (start - r->partial.data))) != NULL)
    {
      *nl = '\0';
      json_t *rec = json_loads (start, JSON_REJECT_DUPLICATES, NULL);
      fn (start, rec, data);
      if (rec)
        json_decref (rec);
      (*count)++;
      start = nl + 1;
    }
  size_t rest = r->partial.len - (size_t) (start - r->partial.data);
  memmove (r->partial.data, start, rest);
  r->partial.len = rest;
  r->partial.data[rest] = '\0';
}

int coi_audit_reader_poll (struct coi_audit_reader *r, const char *path,
                           void (*fn) (const char *line, json_t *rec, void *data), void *data)
{
  struct stat st;
  /* Appeared, or replaced after retention removed the old file. */
  if (stat (path, &st) == 0 && (r->fd < 0 || st.st_ino != r->ino))
    {
      if (r->fd >= 0)
        close (r->fd);
      r->fd = open (path, O_RDONLY | O_CLOEXEC);
      r->ino = st.st_ino;
      buf_reset (&r->partial);
    }
  if (r->fd < 0)
    return 0;
  int count = 0;
  char chunk[16384];
  for (;;)
    {
      ssize_t n = read (r->fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      if (buf_append (&r->partial, chunk, (size_t) n) < 0)
        {
          /* A line past the cap is no audit record: drop it up to its end. */
          char *nl = memchr (chunk, '\n', (size_t) n);
          buf_reset (&r->partial);
          if (nl && buf_append (&r->partial, nl + 1, (size_t) (chunk + n - nl - 1)) < 0)
            buf_reset (&r->partial);
          continue;
        }
      emit_lines (r, &count, fn, data);
    }
  return count;
}

static const char *str (json_t *o, const char *k)
{
  const char *s = json_string_value (json_object_get (o, k));
  return s ? s : "";
}

/* "key=value" pairs of an object's scalar members, for details and samples. */
static int append_pairs (struct buf *out, json_t *obj)
{
  const char *k;
  json_t *v;
  int r = 0;
  json_object_foreach (obj, k, v)
    {
      if (json_is_string (v))
        r |= buf_printf (out, " %s=%s", k, json_string_value (v));
      else if (json_is_integer (v))
        r |= buf_printf (out, " %s=%lld", k, (long long) json_integer_value (v));
      else if (json_is_real (v))
        r |= buf_printf (out, " %s=%.2f", k, json_real_value (v));
      else if (json_is_boolean (v))
        r |= buf_printf (out, " %s=%s", k, json_is_true (v) ? "true" : "false");
      else if (json_is_array (v) || json_is_object (v))
        {
          _cleanup_free_ char *t = json_dumps (v, JSON_COMPACT);
          r |= buf_printf (out, " %s=%s", k, t ? t : "?");
        }
    }
  return r < 0 ? -1 : 0;
}

int coi_audit_format_text (json_t *rec, struct buf *out)
{
  char when[20] = "";
  const char *ts = str (rec, "timestamp");
  snprintf (when, sizeof when, "%s", ts);
  if (strlen (when) >= 11)
    when[10] = ' ';
  const char *type = str (rec, "type");
  if (strcmp (type, "threat") == 0)
    {
      char level[16];
      snprintf (level, sizeof level, "%s", str (rec, "level"));
      for (char *c = level; *c; c++)
        *c = (char) (*c >= 'a' && *c <= 'z' ? *c - 32 : *c);
      if (buf_printf (out, "%s  %-8s  %s/%s  %s -> %s", when, level, str (rec, "category"), str (rec, "rule"),
                      str (rec, "title"), str (rec, "action"))
          < 0)
        return -1;
      json_t *rep = json_object_get (rec, "repeats_suppressed");
      if (rep && buf_printf (out, " (+%lld repeats)", (long long) json_integer_value (rep)) < 0)
        return -1;
      return 0;
    }
  if (strcmp (type, "sample") == 0)
    {
      if (buf_printf (out, "%s  sample   ", when) < 0)
        return -1;
      return append_pairs (out, json_object_get (rec, "resources"));
    }
  if (buf_printf (out, "%s  %-8s  %s", when, type, str (rec, "event")) < 0)
    return -1;
  json_t *d = json_object_get (rec, "details");
  return json_is_object (d) ? append_pairs (out, d) : 0;
}

struct recent
{
  json_t *arr;
  size_t max;
};

static void keep_threat (const char *line, json_t *rec, void *data)
{
  (void) line;
  struct recent *r = data;
  if (rec == NULL || strcmp (str (rec, "type"), "threat") != 0)
    return;
  json_array_append (r->arr, rec);
  if (json_array_size (r->arr) > r->max)
    json_array_remove (r->arr, 0);
}

json_t *coi_audit_recent_threats (const char *path, size_t max)
{
  struct recent r = { json_array (), max };
  if (r.arr == NULL)
    return NULL;
  struct coi_audit_reader rd;
  bool exists = false;
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_audit_reader_open (&rd, path, &exists, &err) == 0)
    {
      if (exists)
        coi_audit_reader_poll (&rd, path, keep_threat, &r);
      coi_audit_reader_close (&rd);
    }
  return r.arr;
}
