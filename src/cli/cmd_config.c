/* coi config show [--format text|json] */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli_config.h"
#include "cli/output.h"
#include "util/cleanup.h"

struct config_opts
{
  char *format;
};

static const struct coi_opt config_show_options[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct config_opts, format), "Output format (text|json)", NULL, "FORMAT" },
  OPT_END,
};

static COI_HANDLER (cmd_config_show)
{
  struct config_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, config_show_options, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos > 0)
    return coi_error_usage (err, "config show takes no arguments");
  if (coi_check_format (format, "text|json", err) < 0)
    return -1;
  _cleanup_config_ struct coi_config *cfg = NULL;
  if (coi_ctx_config (ctx, false, &cfg, err) < 0)
    return -1;
  if (format && format[0] == 'j')
    {
      _cleanup_json_ json_t *j = coi_config_show_json (cfg);
      return coi_print_json (j, err) < 0 ? -1 : 0;
    }
  _cleanup_free_ char *text = coi_config_show_text (cfg);
  if (text == NULL)
    return coi_error_make (err, 0, "config show: out of memory");
  fputs (text, stdout);
  return 0;
}

const struct coi_command coi_config_commands[] = {
  { "show", "Show the effective configuration and where each value comes from", "[--format text|json]", NULL,
    cmd_config_show, NULL, false },
  { 0 },
};
