/* TOML values as JSON: plain (for `coi config show --format json`) or in
 * toml-test's tagged form ({"type": ..., "value": "..."} leaves). */
#include <math.h>

#include "config/toml_json.h"

static json_t *leaf (const char *type, const char *text)
{
  return json_pack ("{s:s, s:s}", "type", type, "value", text);
}

static json_t *scalar (const struct toml_value *v, bool tagged)
{
  char text[64];
  switch (v->type)
    {
    case TOML_STRING:
      if (!tagged)
        return json_stringn (v->u.s.ptr, v->u.s.len);
      return json_pack ("{s:s, s:s%}", "type", "string", "value", v->u.s.ptr, v->u.s.len);
    case TOML_INTEGER:
      if (!tagged)
        return json_integer (v->u.i);
      snprintf (text, sizeof text, "%lld", (long long) v->u.i);
      return leaf ("integer", text);
    case TOML_FLOAT:
      toml_float_format (v->u.f, text, sizeof text);
      if (!tagged)
        return isfinite (v->u.f) ? json_real (v->u.f) : json_string (text);
      return leaf ("float", text);
    case TOML_BOOL:
      if (!tagged)
        return json_boolean (v->u.b);
      return leaf ("bool", v->u.b ? "true" : "false");
    default:
      if (toml_datetime_format (v->type, &v->u.dt, text, sizeof text) < 0)
        return NULL;
      if (!tagged)
        return json_string (text);
      return leaf (v->type == TOML_DATETIME         ? "datetime"
                   : v->type == TOML_DATETIME_LOCAL ? "datetime-local"
                   : v->type == TOML_DATE_LOCAL     ? "date-local"
                                                    : "time-local",
                   text);
    }
}

json_t *toml_to_json (const struct toml_value *v, bool tagged)
{
  if (v->type == TOML_ARRAY)
    {
      json_t *a = json_array ();
      for (size_t i = 0; a && i < v->u.arr.n; i++)
        {
          json_t *c = toml_to_json (v->u.arr.items[i], tagged);
          if (c == NULL || json_array_append_new (a, c) < 0)
            {
              json_decref (a);
              return NULL;
            }
        }
      return a;
    }
  if (v->type == TOML_TABLE)
    {
      json_t *o = json_object ();
      for (size_t i = 0; o && i < v->u.tab.n; i++)
        {
          const struct toml_kv *kv = &v->u.tab.items[i];
          json_t *c = toml_to_json (kv->value, tagged);
          if (c == NULL || json_object_setn_new (o, kv->key, kv->keylen, c) < 0)
            {
              json_decref (o);
              return NULL;
            }
        }
      return o;
    }
  return scalar (v, tagged);
}
