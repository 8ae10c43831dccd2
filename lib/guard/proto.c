#include "guard/proto.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/names.h"

static const char *const kind_names[] = {
  [COI_GUARD_OK] = "ok",
  [COI_GUARD_INVALID] = "invalid",
  [COI_GUARD_DENIED] = "denied",
  [COI_GUARD_NOT_FOUND] = "not_found",
  [COI_GUARD_BUSY] = "busy",
  [COI_GUARD_UNSUPPORTED] = "unsupported",
  [COI_GUARD_FAILED] = "failed",
};

const char *coi_guard_kind_name (enum coi_guard_kind k)
{
  return (unsigned) k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "failed";
}

enum coi_guard_kind coi_guard_kind_parse (const char *s)
{
  for (size_t i = 0; s && i < sizeof kind_names / sizeof kind_names[0]; i++)
    if (strcmp (s, kind_names[i]) == 0)
      return (enum coi_guard_kind) i;
  return COI_GUARD_FAILED;
}

int coi_guard_send (int sock, json_t *msg, int fd, coi_error_t *err)
{
  _cleanup_free_ char *text = json_dumps (msg, JSON_COMPACT);
  if (text == NULL)
    return coi_error_errno (err, ENOMEM, "guard message");
  size_t len = strlen (text);
  if (len > COI_GUARD_MAX_MSG)
    return coi_error_make (err, EMSGSIZE, "guard message of %zu bytes is over the limit", len);
  if (coi_fd_send (sock, fd, text, len) < 0)
    return coi_error_errno (err, errno, "send to the guard service");
  return 0;
}

int coi_guard_recv (int sock, json_t **msg, int *fd, coi_error_t *err)
{
  *msg = NULL;
  *fd = -1;
  /* One byte more than allowed, so an oversized message shows as such. */
  _cleanup_free_ char *buf = malloc (COI_GUARD_MAX_MSG + 1);
  if (buf == NULL)
    return coi_error_errno (err, ENOMEM, "guard message");
  long n = coi_fd_recv (sock, fd, buf, COI_GUARD_MAX_MSG + 1);
  if (n < 0)
    return coi_error_errno (err, errno, "receive from the guard service");
  if (n == 0)
    return 0;
  if (n > COI_GUARD_MAX_MSG)
    {
      if (*fd >= 0)
        close (*fd);
      *fd = -1;
      return coi_error_make (err, EMSGSIZE, "guard message over %d bytes", COI_GUARD_MAX_MSG);
    }
  json_error_t je;
  json_t *j = json_loadb (buf, (size_t) n, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL || !json_is_object (j))
    {
      json_decref (j);
      if (*fd >= 0)
        close (*fd);
      *fd = -1;
      return coi_error_make (err, EINVAL, "guard message is not a JSON object");
    }
  *msg = j;
  return 1;
}

json_t *coi_guard_request (const char *op, json_t *args)
{
  return json_pack ("{s:i, s:s, s:o}", "v", COI_GUARD_PROTO_VERSION, "op", op, "args",
                    args ? args : json_object ());
}

json_t *coi_guard_reply_ok (json_t *result)
{
  return json_pack ("{s:i, s:b, s:o}", "v", COI_GUARD_PROTO_VERSION, "ok", 1, "result",
                    result ? result : json_object ());
}

json_t *coi_guard_reply_error (enum coi_guard_kind kind, const char *msg)
{
  return json_pack ("{s:i, s:b, s:s, s:s}", "v", COI_GUARD_PROTO_VERSION, "ok", 0, "kind",
                    coi_guard_kind_name (kind), "error", msg ? msg : "failed");
}

static int bad (coi_error_t *err, const char *key, const char *why)
{
  return coi_error_make (err, EINVAL, "%s: %s", key, why);
}

int coi_guard_parse_request (json_t *msg, const char **op, json_t **args, coi_error_t *err)
{
  static const char *const top[] = { "v", "op", "args", NULL };
  json_t *v = json_object_get (msg, "v");
  if (!json_is_integer (v) || json_integer_value (v) != COI_GUARD_PROTO_VERSION)
    return coi_error_make (err, EPROTONOSUPPORT, "protocol version: this guard speaks %d",
                           COI_GUARD_PROTO_VERSION);
  if (coi_guard_args_only (msg, top, err) < 0 || coi_guard_arg_string (msg, "op", 32, op, err) < 0)
    return -1;
  json_t *a = json_object_get (msg, "args");
  if (a == NULL)
    return bad (err, "args", "missing");
  if (!json_is_object (a))
    return bad (err, "args", "not an object");
  *args = a;
  return 0;
}

static bool printable (const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
      return false;
  return true;
}

int coi_guard_arg_string_opt (json_t *args, const char *key, size_t max, const char **out,
                              coi_error_t *err)
{
  *out = NULL;
  json_t *v = json_object_get (args, key);
  if (v == NULL)
    return 0;
  if (!json_is_string (v))
    return bad (err, key, "not a string");
  size_t n = json_string_length (v);
  const char *s = json_string_value (v);
  if (n > max)
    return bad (err, key, "too long");
  if (strlen (s) != n || !printable (s, n))
    return bad (err, key, "not printable text");
  *out = s;
  return 0;
}

int coi_guard_arg_string (json_t *args, const char *key, size_t max, const char **out,
                          coi_error_t *err)
{
  if (coi_guard_arg_string_opt (args, key, max, out, err) < 0)
    return -1;
  if (*out == NULL)
    return bad (err, key, "missing");
  return 0;
}

int coi_guard_arg_container (json_t *args, const char **out, coi_error_t *err)
{
  if (coi_guard_arg_string (args, "container", 63, out, err) < 0)
    return -1;
  if (!coi_valid_container_name (*out))
    return bad (err, "container", "not a valid instance name");
  return 0;
}

int coi_guard_arg_project (json_t *args, const char **out, coi_error_t *err)
{
  if (coi_guard_arg_string_opt (args, "project", 63, out, err) < 0)
    return -1;
  if (*out == NULL)
    {
      *out = "default";
      return 0;
    }
  if ((*out)[0] == '\0' || (*out)[strspn (*out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")] != '\0')
    return bad (err, "project", "not a plain project name");
  return 0;
}

int coi_guard_arg_bool (json_t *args, const char *key, bool dflt, bool *out, coi_error_t *err)
{
  json_t *v = json_object_get (args, key);
  if (v == NULL)
    {
      *out = dflt;
      return 0;
    }
  if (!json_is_boolean (v))
    return bad (err, key, "not a boolean");
  *out = json_is_true (v);
  return 0;
}

int coi_guard_arg_int (json_t *args, const char *key, int64_t lo, int64_t hi, int64_t dflt,
                       int64_t *out, coi_error_t *err)
{
  json_t *v = json_object_get (args, key);
  if (v == NULL)
    {
      *out = dflt;
      return 0;
    }
  if (!json_is_integer (v))
    return bad (err, key, "not an integer");
  json_int_t i = json_integer_value (v);
  if (i < lo || i > hi)
    return bad (err, key, "out of range");
  *out = i;
  return 0;
}

int coi_guard_arg_object (json_t *args, const char *key, json_t **out, coi_error_t *err)
{
  json_t *v = json_object_get (args, key);
  if (v == NULL)
    return bad (err, key, "missing");
  if (!json_is_object (v))
    return bad (err, key, "not an object");
  *out = v;
  return 0;
}

int coi_guard_args_only (json_t *args, const char *const *allowed, coi_error_t *err)
{
  const char *key;
  json_t *v;
  json_object_foreach (args, key, v)
  {
    bool ok = false;
    for (const char *const *a = allowed; *a && !ok; a++)
      ok = strcmp (*a, key) == 0;
    if (!ok)
      {
        char shown[40];
        snprintf (shown, sizeof shown, "%.32s", key);
        if (!printable (shown, strlen (shown)))
          snprintf (shown, sizeof shown, "(unprintable)");
        return coi_error_make (err, EINVAL, "%s: unknown field", shown);
      }
  }
  return 0;
}
