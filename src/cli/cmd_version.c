/* coi version [--format json] */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "util/cleanup.h"

struct version_opts
{
  char *format;
};

static const struct coi_opt version_opts[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct version_opts, format), "Output format (text|json)", NULL, "FORMAT" },
  OPT_END,
};

COI_HANDLER (cmd_version)
{
  struct version_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, version_opts, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos > 0)
    return coi_error_usage (err, "version takes no arguments");
  if (format == NULL || strcmp (format, "text") == 0)
    {
      printf ("code-on-incus (coi) v%s\nhttps://github.com/mensfeld/code-on-incus\n", COI_VERSION);
      return 0;
    }
  if (strcmp (format, "json") == 0)
    {
      _cleanup_json_ json_t *j = json_pack ("{s:s, s:s, s:s}", "name", "coi", "version", COI_VERSION,
                                           "implementation", "c");
      if (j == NULL || json_dumpf (j, stdout, JSON_INDENT (2)) < 0)
        return coi_error_make (err, 0, "print version: cannot encode JSON");
      putchar ('\n');
      return 0;
    }
  return coi_error_usage (err, "invalid format '%s': expected text or json", format);
}
