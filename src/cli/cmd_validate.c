/* coi validate profile PATH [--format text|json] [--json]
 * JSON: {"valid": bool, "errors": [{"path", "message"}]}; exit 1 when invalid. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "cli/output.h"
#include "config/config.h"
#include "util/cleanup.h"

struct validate_opts
{
  char *format;
  bool json;
};

static const struct coi_opt validate_options[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct validate_opts, format), "Output format (text|json)", NULL, "FORMAT" },
  { "json", 0, OPT_BOOL, OPT_AT (struct validate_opts, json), "Same as --format json", NULL, NULL },
  OPT_END,
};

static COI_HANDLER (cmd_validate_profile)
{
  struct validate_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, validate_options, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (p.npos != 1)
    return coi_error_usage (err, "expected the path of a profile file");
  if (coi_check_format (format, "text|json", err) < 0)
    return -1;
  bool json = o.json || (format && format[0] == 'j');
  struct coi_validate_issue *v = NULL;
  size_t n = 0;
  if (coi_validate_profile_file (pos[0], &v, &n, err) < 0)
    return -1;
  int rc = n ? 1 : 0;
  if (json)
    {
      json_t *errors = json_array ();
      for (size_t i = 0; errors && i < n; i++)
        json_array_append_new (errors, json_pack ("{s:s, s:s}", "path", v[i].path, "message", v[i].message));
      _cleanup_json_ json_t *j = json_pack ("{s:b, s:o}", "valid", n == 0, "errors", errors);
      if (coi_print_json (j, err) < 0)
        rc = -1;
    }
  else if (n == 0)
    printf ("%s: valid\n", pos[0]);
  else
    {
      printf ("%s: %zu problem%s\n", pos[0], n, n == 1 ? "" : "s");
      for (size_t i = 0; i < n; i++)
        printf ("  %s\n", v[i].message);
    }
  coi_validate_issues_free (v, n);
  return rc;
}

const struct coi_command coi_validate_commands[] = {
  { "profile", "Check a profile file against the schema", "<path> [--format text|json] [--json]", NULL,
    cmd_validate_profile, NULL, false },
  { 0 },
};
