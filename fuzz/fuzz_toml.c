/* libFuzzer target for the TOML parser.  Beyond "no crash, no leak, no
 * sanitizer report", every accepted document must survive a round trip:
 * emit it as TOML, parse that again, and get an equal tree. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"
#include "config/toml_json.h"
#include "util/cleanup.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  _cleanup_toml_ struct toml_value *doc = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (toml_parse ((const char *) data, size, "fuzz.toml", &doc, &err) < 0)
    {
      /* Every rejection carries a positioned message. */
      if (err == NULL || strncmp (err->msg, "fuzz.toml:", 10) != 0)
        abort ();
      return 0;
    }
  _cleanup_json_ json_t *tagged = toml_to_json (doc, true);
  _cleanup_json_ json_t *plain = toml_to_json (doc, false);
  if (tagged == NULL || plain == NULL)
    abort ();
  _cleanup_free_ char *text = toml_emit (doc);
  if (text == NULL)
    abort ();
  _cleanup_toml_ struct toml_value *again = NULL;
  _cleanup_error_ coi_error_t err2 = NULL;
  if (toml_parse (text, strlen (text), "emitted.toml", &again, &err2) < 0)
    {
      fprintf (stderr, "round trip rejected: %s\n--- emitted ---\n%s\n", err2->msg, text);
      abort ();
    }
  if (!toml_equal (doc, again))
    {
      fprintf (stderr, "round trip changed the document\n--- emitted ---\n%s\n", text);
      abort ();
    }
  return 0;
}
