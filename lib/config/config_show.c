/* `coi config show`: every key with its effective value and the layer
 * that set it. */
#include <stdlib.h>
#include <string.h>

#include "config/config_private.h"
#include "config/toml_json.h"
#include "util/buf.h"
#include "util/cleanup.h"

/* One comment line per value an untrusted file tried to set for k. */
static int refusal_lines (struct buf *b, const struct coi_config *c, const struct coi_config_key *k)
{
  for (size_t i = 0; i < c->nrefusals; i++)
    {
      const struct cfg_refusal *r = &c->refusals[i];
      _cleanup_free_ char *text = NULL;
      if (r->key != config_key_index (k))
        continue;
      if (toml_emit_value (r->value, &text) < 0
          || buf_printf (b, "#   refused from untrusted %s: %s = %s (%s)\n", r->source, k->key, text, r->reason) < 0)
        return -1;
    }
  return 0;
}

char *coi_config_show_text (const struct coi_config *c)
{
  _cleanup_buf_ struct buf b = { 0 };
  buf_printf (&b, "# workspace: %s\n# profile: %s\n", c->workspace, c->profile ? c->profile : "(none)");
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      const struct toml_value *v = coi_config_node (c, k->key);
      if (v)
        {
          _cleanup_free_ char *text = NULL, *line = NULL;
          if (toml_emit_value (v, &text) < 0 || asprintf (&line, "%s = %s", k->key, text) < 0
              || buf_printf (&b, "%-56s # %s\n", line, coi_config_origin (c, k->key)) < 0)
            return NULL;
        }
      if (refusal_lines (&b, c, k) < 0)
        return NULL;
    }
  return buf_steal (&b);
}

/* [{"value": ..., "source": "file:line", "reason": "..."}], NULL when none. */
static json_t *refusals_json (const struct coi_config *c, const struct coi_config_key *k, bool *oom)
{
  json_t *a = NULL;
  for (size_t i = 0; i < c->nrefusals && !*oom; i++)
    {
      const struct cfg_refusal *r = &c->refusals[i];
      if (r->key != config_key_index (k))
        continue;
      json_t *v = toml_to_json (r->value, false);
      json_t *e = v ? json_pack ("{s:o, s:s, s:s}", "value", v, "source", r->source, "reason", r->reason) : NULL;
      if ((a == NULL && (a = json_array ()) == NULL) || e == NULL || json_array_append_new (a, e) < 0)
        *oom = true;
    }
  if (*oom)
    json_decref (a);
  return *oom ? NULL : a;
}

json_t *coi_config_show_json (const struct coi_config *c)
{
  _cleanup_json_ json_t *settings = json_object ();
  if (settings == NULL)
    return NULL;
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      const struct toml_value *v = coi_config_node (c, k->key);
      json_t *val = v ? toml_to_json (v, false) : json_null ();
      json_t *entry = val ? json_pack ("{s:o, s:s}", "value", val, "origin", coi_config_origin (c, k->key)) : NULL;
      if (entry == NULL || json_object_set_new (settings, k->key, entry) < 0)
        return NULL;
      bool oom = false;
      json_t *refused = refusals_json (c, k, &oom);
      if (oom || (refused && json_object_set_new (entry, "refused", refused) < 0))
        return NULL;
    }
  return json_pack ("{s:s, s:s?, s:O}", "workspace", c->workspace, "profile", c->profile, "settings", settings);
}

char *coi_config_template (void)
{
  _cleanup_buf_ struct buf b = { 0 };
  buf_printf (&b, "# coi configuration. Every key is listed with its default, commented out.\n"
                  "# `coi config show` prints the effective values and where they come from.\n");
  char section[128] = "";
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      const char *dot = strrchr (k->key, '.');
      size_t n = dot ? (size_t) (dot - k->key) : 0;
      bool aot = k->type == CFG_TABLES;
      if (aot || strlen (section) != n || strncmp (section, k->key, n) != 0)
        {
          snprintf (section, sizeof section, "%.*s", (int) n, k->key);
          if (aot)
            {
              buf_printf (&b, "\n# %s\n# [[%s]]\n", k->help, k->key);
              for (const struct coi_config_key *f = k->fields; f->key; f++)
                buf_printf (&b, "# %s = ...  # %s\n", f->key, f->help);
              section[0] = '\0';
              continue;
            }
          if (n)
            buf_printf (&b, "\n# [%s]\n", section);
        }
      buf_printf (&b, "# %s = %s  # %s\n", dot ? dot + 1 : k->key, k->def ? k->def : "(unset)", k->help);
    }
  return buf_steal (&b);
}
