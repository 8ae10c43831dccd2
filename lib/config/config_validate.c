/* `coi validate profile` and `coi schema profile`, both driven by the key
 * table so that they can never disagree with the loader. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_private.h"
#include "config/toml_json.h"
#include "util/cleanup.h"

void coi_validate_issues_free (struct coi_validate_issue *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      free (v[i].path);
      free (v[i].message);
    }
  free (v);
}

int coi_validate_profile_file (const char *path, struct coi_validate_issue **out, size_t *n, coi_error_t *err)
{
  *out = NULL;
  *n = 0;
  _cleanup_toml_ struct toml_value *doc = NULL;
  _cleanup_error_ coi_error_t perr = NULL;
  if (toml_parse_file (path, path, &doc, &perr) < 0)
    {
      if (perr->status != 0)
        {
          coi_error_make (err, perr->status, "%s", perr->msg);
          return -1;
        }
      struct coi_validate_issue *v = calloc (1, sizeof *v);
      if (v == NULL || (v->path = strdup ("")) == NULL || (v->message = strdup (perr->msg)) == NULL)
        {
          coi_validate_issues_free (v, v ? 1 : 0);
          return coi_error_errno (err, ENOMEM, "validate");
        }
      *out = v;
      *n = 1;
      return 0;
    }
  struct cfg_layer l = { .label = path, .trusted = true, .profile = true, .validate = true, .err = err };
  if (config_apply_doc (&l, doc) < 0)
    {
      coi_validate_issues_free (l.issues, l.nissues);
      return -1;
    }
  *out = l.issues;
  *n = l.nissues;
  return 0;
}

static json_t *choices_json (const char *choices)
{
  json_t *a = json_array ();
  for (const char *p = choices; a && *p;)
    {
      const char *bar = strchr (p, '|');
      size_t len = bar ? (size_t) (bar - p) : strlen (p);
      json_array_append_new (a, json_stringn (p, len));
      p += len + (bar ? 1 : 0);
    }
  return a;
}

static json_t *leaf_schema (const struct coi_config_key *k);

static json_t *object_schema (const struct coi_config_key *fields)
{
  json_t *props = json_object (), *req = json_array ();
  for (const struct coi_config_key *f = fields; f->key; f++)
    {
      json_object_set_new (props, f->key, leaf_schema (f));
      if (f->flags & CFG_K_REQUIRED)
        json_array_append_new (req, json_string (f->key));
    }
  return json_pack ("{s:s, s:b, s:o, s:o}", "type", "object", "additionalProperties", 0, "properties", props,
                    "required", req);
}

static json_t *leaf_schema (const struct coi_config_key *k)
{
  json_t *s = NULL;
  switch (k->type)
    {
    case CFG_STRING:
      s = json_pack ("{s:s}", "type", "string");
      if (k->choices)
        json_object_set_new (s, "enum", choices_json (k->choices));
      break;
    case CFG_BOOL:
      s = json_pack ("{s:s}", "type", "boolean");
      break;
    case CFG_INT:
      s = json_pack ("{s:s}", "type", "integer");
      if (k->min < k->max)
        {
          json_object_set_new (s, "minimum", json_integer (k->min));
          json_object_set_new (s, "maximum", json_integer (k->max));
        }
      break;
    case CFG_FLOAT:
      s = json_pack ("{s:s}", "type", "number");
      break;
    case CFG_STRV:
      s = json_pack ("{s:s, s:{s:s}}", "type", "array", "items", "type", "string");
      break;
    case CFG_INTV:
      s = json_pack ("{s:s, s:{s:s, s:I, s:I}}", "type", "array", "items", "type", "integer", "minimum",
                     (json_int_t) k->min, "maximum", (json_int_t) k->max);
      break;
    case CFG_MAP:
      s = json_pack ("{s:s, s:{s:s}}", "type", "object", "additionalProperties", "type", "string");
      break;
    case CFG_TABLES:
      s = json_pack ("{s:s, s:o}", "type", "array", "items", object_schema (k->fields));
      break;
    }
  if (s && k->help)
    json_object_set_new (s, "description", json_string (k->help));
  if (s && k->def)
    {
      _cleanup_toml_ struct toml_value *d = config_parse_literal (k->def);
      if (d)
        json_object_set_new (s, "default", toml_to_json (d, false));
    }
  return s;
}

/* Finds or makes the nested "properties" object for "a.b" of "a.b.c". */
static json_t *section (json_t *root, const char *key)
{
  json_t *props = json_object_get (root, "properties");
  const char *p = key;
  for (const char *dot; (dot = strchr (p, '.')) != NULL; p = dot + 1)
    {
      _cleanup_free_ char *name = strndup (p, (size_t) (dot - p));
      json_t *sub = json_object_get (props, name);
      if (sub == NULL)
        {
          sub = json_pack ("{s:s, s:b, s:{}}", "type", "object", "additionalProperties", 0, "properties");
          json_object_set_new (props, name, sub);
        }
      props = json_object_get (sub, "properties");
    }
  return props;
}

char *coi_profile_schema_json (void)
{
  _cleanup_json_ json_t *root
      = json_pack ("{s:s, s:s, s:s, s:s, s:b, s:{s:{s:s, s:s}, s:{s:s, s:s}}}", "$schema",
                   "https://json-schema.org/draft/2020-12/schema", "title", "coi profile", "description",
                   "A profile file: ~/.coi/profiles/NAME/config.toml or .coi/profiles/NAME/config.toml", "type",
                   "object", "additionalProperties", 0, "properties", "inherits", "type", "string", "description",
                   "Parent profile", "description", "type", "string", "description", "What the profile is for");
  if (root == NULL)
    return NULL;
  for (const struct coi_config_key *k = coi_config_keys; k->key; k++)
    {
      json_t *props = section (root, k->key);
      const char *leaf = strrchr (k->key, '.');
      json_object_set_new (props, leaf ? leaf + 1 : k->key, leaf_schema (k));
    }
  /* The short forms profile files accept. */
  json_t *props = json_object_get (root, "properties");
  json_object_set_new (props, "image", json_pack ("{s:s, s:s}", "type", "string", "description", "Same as container.image"));
  json_object_set_new (props, "persistent",
                       json_pack ("{s:s, s:s}", "type", "boolean", "description", "Same as container.persistent"));
  json_object_set_new (props, "environment", leaf_schema (coi_config_key_find ("defaults.environment")));
  json_t *mounts = json_object_get (props, "mounts");
  json_t *dflt = json_object_get (json_object_get (mounts, "properties"), "default");
  if (dflt)
    json_object_set_new (props, "mounts",
                         json_pack ("{s:[O, O]}", "oneOf", dflt, mounts));
  return json_dumps (root, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
}
