/* CONFIGURATION: the layered configuration loads as every command loads it. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "health/health_private.h"
#include "util/cleanup.h"

/* "FILE:LINE[:COL]: why" names the place to mend: an editor opened on it. */
static char *editor_fix (const char *msg)
{
  if (msg == NULL || (msg[0] != '/' && msg[0] != '~'))
    return NULL;
  const char *colon = strchr (msg, ':');
  if (colon == NULL || !isdigit ((unsigned char) colon[1]))
    return NULL;
  char *fix = NULL;
  int line = atoi (colon + 1);
  if (asprintf (&fix, "sensible-editor +%d %.*s", line, (int) (colon - msg), msg) < 0)
    return NULL;
  return fix;
}

int health_check_config (struct health_run *run, const struct health_def *d)
{
  const struct coi_health_input *in = run->in;
  if (in->config == NULL)
    {
      const char *why = in->config_error ? in->config_error : "it did not load";
      _cleanup_free_ char *fix = editor_fix (why);
      return health_add (run, d, COI_HEALTH_FAIL, fix ? fix : "coi config show", NULL, "%s", why);
    }
  size_t n;
  const char *const *warnings = coi_config_warnings (in->config, &n);
  const char *profile = coi_config_profile_name (in->config);
  if (n == 0)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "loads (profile %s, image %s, network.mode %s)",
                       profile ? profile : "none", health_cfg_string (run, "container.image", "coi"),
                       health_cfg_string (run, "network.mode", "restricted"));
  _cleanup_free_ char *fix = strstr (warnings[0], "coi trust") ? strdup ("coi trust") : editor_fix (warnings[0]);
  struct coi_health_check *c;
  if (health_add (run, d, COI_HEALTH_WARN, fix ? fix : "coi config show", &c, "%zu warning%s: %s", n,
                  n == 1 ? "" : "s", warnings[0]) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (coi_health_detail (c, "%s", warnings[i]) < 0)
      return -1;
  return 0;
}
