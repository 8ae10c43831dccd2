/* TOML to JSON (jansson). */
#ifndef COI_CONFIG_TOML_JSON_H
#define COI_CONFIG_TOML_JSON_H

#include <jansson.h>

#include "config/toml.h"

/* tagged: toml-test's encoding, every leaf {"type": T, "value": "text"}.
 * Otherwise plain JSON; non-finite floats and datetimes become strings. */
json_t *toml_to_json (const struct toml_value *v, bool tagged);

#endif
