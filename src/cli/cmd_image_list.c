/* coi image list [--all] [--prefix P] [--format table|json] and
 * coi image cleanup <prefix> --keep N. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_container_common.h"
#include "cli/cmd_image.h"
#include "cli/command.h"
#include "cli/output.h"
#include "incus/image.h"
#include "util/cleanup.h"

/* The image `coi build` makes (spec H: it must exist). */
#define COI_IMAGE_ALIAS "coi"
#define COI_IMAGE_DESC "coi image (Claude CLI, Node.js, tmux, the dummy agent)"

struct list_opts
{
  bool all;
  char *prefix;
  char *format;
};

static const struct coi_opt list_options[] = {
  { "all", 'a', OPT_BOOL, OPT_AT (struct list_opts, all), "Show all local images, not just COI images", NULL, NULL },
  { "prefix", 0, OPT_STRING, OPT_AT (struct list_opts, prefix), "Filter images by alias prefix", NULL, "PREFIX" },
  { "format", 0, OPT_STRING, OPT_AT (struct list_opts, format), "Output format: table or json", NULL, "FORMAT" },
  OPT_END,
};

static bool has_prefix (const char *s, const char *prefix)
{
  return prefix == NULL || strncmp (s, prefix, strlen (prefix)) == 0;
}

/* COI's ImageInfo: fingerprint, the (matching) alias names, size, created_at. */
static json_t *image_json (json_t *img, const char *prefix)
{
  json_t *names = json_array ();
  size_t i;
  json_t *a;
  json_array_foreach (json_object_get (img, "aliases"), i, a)
  {
    const char *n = json_string_value (json_object_get (a, "name"));
    if (n && has_prefix (n, prefix) && names && json_array_append_new (names, json_string (n)) < 0)
      {
        json_decref (names);
        return NULL;
      }
  }
  const char *fp = json_string_value (json_object_get (img, "fingerprint"));
  const char *created = json_string_value (json_object_get (img, "created_at"));
  return json_pack ("{s:s, s:o, s:I, s:s}", "fingerprint", fp ? fp : "", "aliases", names,
                    "size", (json_int_t) json_integer_value (json_object_get (img, "size")),
                    "created_at", created ? created : "");
}

static int print_json (json_t *images, const struct list_opts *o, coi_error_t *err)
{
  _cleanup_json_ json_t *out = json_array ();
  size_t i;
  json_t *img;
  json_array_foreach (images, i, img)
  {
    json_t *j = image_json (img, o->prefix);
    if (j == NULL || out == NULL)
      {
        json_decref (j);
        return coi_error_errno (err, ENOMEM, "list images");
      }
    /* Unaliased images only with --all and no prefix, as COI shows aliases. */
    if (json_array_size (json_object_get (j, "aliases")) == 0 && !(o->all && o->prefix == NULL))
      {
        json_decref (j);
        continue;
      }
    if (json_array_append_new (out, j) < 0)
      return coi_error_errno (err, ENOMEM, "list images");
  }
  return coi_print_json (out, err);
}

/* One row per alias (or one "(none)" row for an unaliased image). */
static int alias_table (json_t *images, const char *prefix, const char *date_head,
                        size_t *rows, coi_error_t *err)
{
  const char *head[] = { "ALIAS", "SIZE", date_head };
  _cleanup_table_ struct coi_table t = { 0 };
  if (coi_table_init (&t, 3, head) < 0)
    return coi_error_errno (err, ENOMEM, "list images");
  size_t i, k;
  json_t *img, *a;
  *rows = 0;
  json_array_foreach (images, i, img)
  {
    char size[32], created[20];
    coi_format_size (json_integer_value (json_object_get (img, "size")), size);
    coi_short_time (json_string_value (json_object_get (img, prefix ? "created_at" : "uploaded_at")),
                    created);
    if (prefix)
      created[16] = '\0'; /* COI shows minutes there */
    json_t *aliases = json_object_get (img, "aliases");
    if (json_array_size (aliases) == 0 && prefix == NULL)
      {
        const char *row[] = { "(none)", size, created };
        if (coi_table_add (&t, row) < 0)
          return coi_error_errno (err, ENOMEM, "list images");
        (*rows)++;
      }
    json_array_foreach (aliases, k, a)
    {
      const char *n = json_string_value (json_object_get (a, "name"));
      if (n == NULL || !has_prefix (n, prefix))
        continue;
      const char *row[] = { n, size, created };
      if (coi_table_add (&t, row) < 0)
        return coi_error_errno (err, ENOMEM, "list images");
      (*rows)++;
    }
  }
  if (*rows)
    coi_table_print (&t);
  return 0;
}

static int print_table (struct incus_client *c, json_t *images, const struct list_opts *o,
                        coi_error_t *err)
{
  size_t rows;
  if (o->prefix)
    {
      printf ("Images with prefix '%s':\n\n", o->prefix);
      if (alias_table (images, o->prefix, "CREATED", &rows, err) < 0)
        return -1;
      if (rows == 0)
        printf ("No images found with prefix '%s'\n", o->prefix);
      return 0;
    }
  int ex = incus_image_exists (c, COI_IMAGE_ALIAS, err);
  if (ex < 0)
    return -1;
  printf ("Available Images:\n\nCOI Images:\n");
  if (ex)
    printf ("  \u2713 %s\n    %s\n\n", COI_IMAGE_ALIAS, COI_IMAGE_DESC);
  else
    printf ("  \u2717 %s (not built)\n    %s\n    Build with: coi build\n\n", COI_IMAGE_ALIAS,
            COI_IMAGE_DESC);
  if (!o->all)
    {
      printf ("Tip: Use --all to see all local images\n");
      return 0;
    }
  printf ("All Local Images:\n");
  if (alias_table (images, NULL, "UPLOAD DATE", &rows, err) < 0)
    return -1;
  if (rows == 0)
    printf ("  No local images found\n");
  return 0;
}

COI_HANDLER (cmd_image_list)
{
  struct list_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, list_options, &o, false, &p, err);
  _cleanup_free_ char *prefix = o.prefix, *format = o.format;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  /* "text" is accepted too: later COI versions call the table that. */
  if (coi_expect_args (&p, 0, "coi image list [--all] [--prefix P] [--format table|json]", err) < 0
      || coi_check_format (format, "table|text|json", err) < 0)
    return -1;
  struct incus_client *c;
  _cleanup_json_ json_t *images = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0 || incus_image_list (c, 1, NULL, &images, err) < 0)
    return -1;
  if (format && strcmp (format, "json") == 0)
    return print_json (images, &o, err);
  return print_table (c, images, &o, err);
}

/* "<prefix>-YYYYMMDD-HHMMSS" (the '-' may end the prefix) -> "YYYYMMDDHHMMSS". */
static bool version_stamp (const char *alias, const char *prefix, char out[15])
{
  size_t n = strlen (prefix);
  if (strncmp (alias, prefix, n) != 0)
    return false;
  const char *t = alias + n;
  if (n == 0 || prefix[n - 1] != '-')
    {
      if (*t != '-')
        return false;
      t++;
    }
  if (strlen (t) != 15 || t[8] != '-')
    return false;
  for (int i = 0; i < 15; i++)
    if (i != 8 && !isdigit ((unsigned char) t[i]))
      return false;
  memcpy (out, t, 8);
  memcpy (out + 8, t + 9, 6);
  out[14] = '\0';
  return true;
}

struct version
{
  json_t *img;     /* borrowed */
  char stamp[15];  /* newest version alias of the image */
  const char *other; /* an alias that is not a version of the prefix, if any */
};

static int by_stamp (const void *a, const void *b)
{
  return strcmp (((const struct version *) a)->stamp, ((const struct version *) b)->stamp);
}

static void print_aliases (const char *title, struct version *v, size_t from, size_t to,
                           const char *prefix)
{
  if (from >= to)
    return;
  fprintf (stderr, "\n%s %zu %s version(s):\n", title, to - from,
           strcmp (title, "Deleted") == 0 ? "old" : "recent");
  for (size_t i = from; i < to; i++)
    {
      size_t k;
      json_t *a;
      char s[15];
      json_array_foreach (json_object_get (v[i].img, "aliases"), k, a)
      {
        const char *n = json_string_value (json_object_get (a, "name"));
        if (n && version_stamp (n, prefix, s))
          fprintf (stderr, "  - %s\n", n);
      }
    }
}

struct cleanup_opts
{
  int keep;
};

static const struct coi_opt cleanup_options[] = {
  { "keep", 0, OPT_INT, OPT_AT (struct cleanup_opts, keep), "Number of versions to keep (required)", NULL, "N" },
  OPT_END,
};

COI_HANDLER (cmd_image_cleanup)
{
  struct cleanup_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, cleanup_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (coi_expect_args (&p, 1, "coi image cleanup <prefix> --keep N", err) < 0)
    return -1;
  if (o.keep <= 0)
    return coi_error_usage (err, "--keep must be > 0");
  const char *prefix = pos[0];
  struct incus_client *c;
  _cleanup_json_ json_t *images = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0 || incus_image_list (c, 1, NULL, &images, err) < 0)
    return -1;
  _cleanup_free_ struct version *v = calloc (json_array_size (images) + 1, sizeof *v);
  if (v == NULL)
    return coi_error_errno (err, ENOMEM, "clean up images");
  size_t n = 0, i, k;
  json_t *img, *a;
  json_array_foreach (images, i, img)
  {
    struct version cur = { .img = img };
    json_array_foreach (json_object_get (img, "aliases"), k, a)
    {
      const char *name = json_string_value (json_object_get (a, "name"));
      char s[15];
      if (name && version_stamp (name, prefix, s))
        {
          if (strcmp (s, cur.stamp) > 0)
            memcpy (cur.stamp, s, sizeof s);
        }
      else if (name)
        cur.other = name;
    }
    if (cur.stamp[0])
      v[n++] = cur;
  }
  qsort (v, n, sizeof *v, by_stamp);
  size_t drop = n > (size_t) o.keep ? n - (size_t) o.keep : 0;
  size_t deleted = 0;
  for (i = 0; i < drop; i++)
    {
      const char *fp = json_string_value (json_object_get (v[i].img, "fingerprint"));
      /* Deleting the image would take an unrelated alias (such as the stable
         "coi") with it: leave such an image alone. */
      if (v[i].other)
        {
          fprintf (stderr, "Keeping %.12s: it is also aliased as '%s'\n", fp, v[i].other);
          continue;
        }
      if (incus_image_delete (c, fp, err) < 0)
        return coi_error_prefix (err, "clean up %s", prefix);
      if (deleted != i)
        {
          struct version t = v[deleted];
          v[deleted] = v[i];
          v[i] = t;
        }
      deleted++;
    }
  fprintf (stderr, "Cleanup complete:\n");
  print_aliases ("Deleted", v, 0, deleted, prefix);
  print_aliases ("Kept", v, deleted, n, prefix);
  return 0;
}
