/* coi schema profile: the JSON Schema of profile files, from the key table. */
#include <stdio.h>
#include <stdlib.h>

#include "cli/command.h"
#include "config/config.h"
#include "util/cleanup.h"

static COI_HANDLER (cmd_schema_profile)
{
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, NULL, NULL, false, &p, err);
  _cleanup_free_ char **pos = p.pos;
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (p.npos > 0)
    return coi_error_usage (err, "schema profile takes no arguments");
  _cleanup_free_ char *s = coi_profile_schema_json ();
  if (s == NULL)
    return coi_error_make (err, 0, "schema: out of memory");
  printf ("%s\n", s);
  return 0;
}

const struct coi_command coi_schema_commands[] = {
  { "profile", "Print the JSON Schema of profile files", "", NULL, cmd_schema_profile, NULL, false },
  { 0 },
};
