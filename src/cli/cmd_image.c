/* coi image publish|delete|exists|info (spec A.2, A.3, G.4); list and
 * cleanup are in cmd_image_list.c. */
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

COI_HANDLER (cmd_image_list);
COI_HANDLER (cmd_image_publish);
COI_HANDLER (cmd_image_delete);
COI_HANDLER (cmd_image_exists);
COI_HANDLER (cmd_image_cleanup);
COI_HANDLER (cmd_image_info);

const struct coi_command coi_image_commands[] = {
  { "list", "List available images", "[--all] [--prefix P] [--format table|json]", NULL, cmd_image_list, NULL, false },
  { "publish", "Publish a stopped container as an image", "<container> <alias> [--description D]", NULL, cmd_image_publish, NULL, false },
  { "delete", "Delete an image by alias", "<alias>", NULL, cmd_image_delete, NULL, false },
  { "exists", "Check if an image exists (exit 0 yes, 1 no)", "<alias>", NULL, cmd_image_exists, NULL, false },
  { "cleanup", "Delete old image versions, keeping only N most recent", "<prefix> --keep N", NULL, cmd_image_cleanup, NULL, false },
  { "info", "Show detailed image information", "<alias> [--format text|json]", NULL, cmd_image_info, NULL, false },
  { 0 },
};

void coi_format_size (long long bytes, char out[32])
{
  double b = (double) bytes;
  if (bytes < 1024)
    snprintf (out, 32, "%lldB", bytes);
  else if (bytes < 1024 * 1024)
    snprintf (out, 32, "%.1fKB", b / 1024);
  else if (bytes < 1024LL * 1024 * 1024)
    snprintf (out, 32, "%.1fMB", b / (1024 * 1024));
  else
    snprintf (out, 32, "%.1fGB", b / (1024.0 * 1024 * 1024));
}

struct image_opts
{
  char *description;
  char *format;
};

/* Parse and check the positional count; returns 1 after --help. */
static int parse_n (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts,
                    struct image_opts *o, int n, const char *usage, char ***pos, coi_error_t *err)
{
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, opts, o, false, &p, err);
  if (r != 0)
    return r;
  *pos = p.pos;
  return coi_expect_args (&p, n, usage, err);
}

static const struct coi_opt publish_options[] = {
  { "description", 0, OPT_STRING, OPT_AT (struct image_opts, description), "Image description", NULL, "TEXT" },
  OPT_END,
};

COI_HANDLER (cmd_image_publish)
{
  struct image_opts o = { 0 };
  _cleanup_free_ char **pos = NULL;
  int r = parse_n (ctx, argc, argv, publish_options, &o, 2,
                   "coi image publish <container> <alias> [--description D]", &pos, err);
  _cleanup_free_ char *desc = o.description;
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  /* The server publishes first and adds the alias after, so a taken alias
     would leave a nameless copy of the container behind: check first. */
  _cleanup_json_ json_t *taken = NULL;
  if (incus_image_alias_get (c, pos[1], &taken, err) == 0)
    return coi_error_make (err, EEXIST, "publish %s: image alias '%s' already exists", pos[0],
                           pos[1]);
  if ((*err)->status != 404)
    return -1;
  coi_error_release (err);
  const char *aliases[] = { pos[1], NULL };
  _cleanup_json_ json_t *props = desc ? json_pack ("{s:s}", "description", desc) : NULL;
  if (desc && props == NULL)
    return coi_error_errno (err, ENOMEM, "publish %s", pos[0]);
  struct incus_image_publish in = { .instance = pos[0], .properties = props, .aliases = aliases };
  _cleanup_free_ char *fp = NULL;
  if (incus_image_publish (c, &in, &fp, err) < 0)
    return -1;
  _cleanup_json_ json_t *out = json_pack ("{s:s, s:s}", "alias", pos[1], "fingerprint", fp);
  return out ? coi_print_json (out, err) : coi_error_errno (err, ENOMEM, "publish %s", pos[0]);
}

COI_HANDLER (cmd_image_delete)
{
  struct image_opts o = { 0 };
  _cleanup_free_ char **pos = NULL;
  int r = parse_n (ctx, argc, argv, NULL, &o, 1, "coi image delete <alias>", &pos, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct incus_client *c;
  _cleanup_free_ char *fp = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0 || incus_image_resolve (c, pos[0], &fp, NULL, err) < 0
      || incus_image_delete (c, fp, err) < 0)
    return coi_error_prefix (err, "delete image");
  fprintf (stderr, "Image %s deleted\n", pos[0]);
  return 0;
}

COI_HANDLER (cmd_image_exists)
{
  struct image_opts o = { 0 };
  _cleanup_free_ char **pos = NULL;
  int r = parse_n (ctx, argc, argv, NULL, &o, 1, "coi image exists <alias>", &pos, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  int ex = incus_image_exists (c, pos[0], err);
  if (ex < 0)
    return coi_error_prefix (err, "check image");
  return ex ? 0 : 1;
}

static const struct coi_opt info_options[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct image_opts, format), "Output format: text or json", NULL, "FORMAT" },
  OPT_END,
};

static void print_info_text (json_t *img)
{
  char size[32], created[20], uploaded[20];
  coi_format_size (json_integer_value (json_object_get (img, "size")), size);
  coi_short_time (json_string_value (json_object_get (img, "created_at")), created);
  coi_short_time (json_string_value (json_object_get (img, "uploaded_at")), uploaded);
  const char *fp = json_string_value (json_object_get (img, "fingerprint"));
  printf ("Fingerprint: %s\n", fp ? fp : "");
  printf ("Size: %s\n", size);
  printf ("Architecture: %s\n", json_string_value (json_object_get (img, "architecture")) ?: "");
  printf ("Type: %s\n", json_string_value (json_object_get (img, "type")) ?: "container");
  printf ("Public: %s\n", json_is_true (json_object_get (img, "public")) ? "yes" : "no");
  printf ("Created: %s\nUploaded: %s\n", created, uploaded);
  json_t *props = json_object_get (img, "properties");
  if (json_object_size (props))
    {
      printf ("Properties:\n");
      const char *k;
      json_t *v;
      json_object_foreach (props, k, v)
        printf ("    %s: %s\n", k, json_string_value (v) ?: "");
    }
  printf ("Aliases:\n");
  size_t i;
  json_t *a;
  json_array_foreach (json_object_get (img, "aliases"), i, a)
    printf ("    - %s\n", json_string_value (json_object_get (a, "name")) ?: "");
}

COI_HANDLER (cmd_image_info)
{
  struct image_opts o = { 0 };
  _cleanup_free_ char **pos = NULL;
  int r = parse_n (ctx, argc, argv, info_options, &o, 1, "coi image info <alias> [--format text|json]",
                   &pos, err);
  _cleanup_free_ char *format = o.format;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (coi_check_format (format, "text|json", err) < 0)
    return -1;
  struct incus_client *c;
  _cleanup_free_ char *fp = NULL;
  _cleanup_json_ json_t *img = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0 || incus_image_resolve (c, pos[0], &fp, &img, err) < 0)
    return coi_error_prefix (err, "image info");
  if (format && strcmp (format, "json") == 0)
    return coi_print_json (img, err);
  print_info_text (img);
  return 0;
}
