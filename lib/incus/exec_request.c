/* The JSON side of exec: request body, operation metadata, exit status and
 * control messages. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "incus/exec_private.h"
#include "util/cleanup.h"

static int add_env (json_t *env, const char *kv, coi_error_t *err)
{
  const char *eq = strchr (kv, '=');
  if (eq == NULL || eq == kv)
    return coi_error_usage (err, "invalid environment entry '%s': expected KEY=VALUE", kv);
  _cleanup_free_ char *key = strndup (kv, (size_t) (eq - kv));
  if (key == NULL || json_object_set_new (env, key, json_string (eq + 1)) < 0)
    return coi_error_make (err, 0, "environment entry '%s': not valid UTF-8 or out of memory",
                           key ? key : kv);
  return 0;
}

json_t *incus_exec_body (const struct incus_exec_opts *o, int width, int height,
                         const char *term_env, coi_error_t *err)
{
  if (o->argv == NULL || o->argv[0] == NULL)
    {
      coi_error_usage (err, "no command given");
      return NULL;
    }
  _cleanup_json_ json_t *cmd = json_array ();
  _cleanup_json_ json_t *env = json_object ();
  if (cmd == NULL || env == NULL)
    goto nomem;
  for (const char *const *a = o->argv; *a; a++)
    if (json_array_append_new (cmd, json_string (*a)) < 0)
      {
        coi_error_make (err, 0, "argument '%s' is not valid UTF-8", *a);
        return NULL;
      }
  if (o->interactive && term_env && add_env (env, term_env, err) < 0)
    return NULL;
  for (const char *const *e = o->env; e && *e; e++)
    if (add_env (env, *e, err) < 0)
      return NULL;

  json_t *body = json_pack ("{s:O, s:O, s:b, s:b, s:b}", "command", cmd, "environment", env,
                            "wait-for-websocket", 1, "interactive", o->interactive ? 1 : 0,
                            "record-output", 0);
  if (body == NULL)
    goto nomem;
  int r = 0;
  if (o->interactive)
    {
      r |= json_object_set_new (body, "width", json_integer (width));
      r |= json_object_set_new (body, "height", json_integer (height));
    }
  if (o->uid >= 0)
    r |= json_object_set_new (body, "user", json_integer (o->uid));
  if (o->gid >= 0)
    r |= json_object_set_new (body, "group", json_integer (o->gid));
  if (o->cwd)
    r |= json_object_set_new (body, "cwd", json_string (o->cwd));
  if (r != 0)
    {
      json_decref (body);
      goto nomem;
    }
  return body;
nomem:
  coi_error_errno (err, ENOMEM, "request");
  return NULL;
}

int incus_exec_secrets (json_t *op, const char **id, const char *secrets[EXEC_NFDS],
                        coi_error_t *err)
{
  static const char *const names[EXEC_NFDS] = { "control", "0", "1", "2" };
  *id = json_string_value (json_object_get (op, "id"));
  json_t *fds = json_object_get (json_object_get (op, "metadata"), "fds");
  if (*id == NULL || !json_is_object (fds))
    return coi_error_make (err, EPROTO, "the server's operation has no websockets");
  for (int i = 0; i < EXEC_NFDS; i++)
    secrets[i] = json_string_value (json_object_get (fds, names[i]));
  return 0;
}

/* Incus reports a missing or non-executable command as an error reply to
 * /wait rather than a status (HTTP 200 or 400 depending on the version);
 * a shell would exit 127 and 126.  Returns that code, or -1. */
static int shell_code_for (json_t *resp, json_t *op)
{
  static const struct
  {
    const char *text;
    int code;
  } known[] = {
    { "Command not found", INCUS_EXEC_NOT_FOUND },
    { "Command not executable", INCUS_EXEC_NOT_EXECUTABLE },
  };
  const char *e = json_string_value (json_object_get (resp, "error"));
  const char *oe = json_string_value (json_object_get (op, "err"));
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if ((e && strcmp (e, known[i].text) == 0) || (oe && strcmp (oe, known[i].text) == 0))
      return known[i].code;
  return -1;
}

int incus_exec_wait (struct incus_client *c, const char *id, int *exit_code, coi_error_t *err)
{
  _cleanup_free_ char *eid = incus_escape (id);
  _cleanup_free_ char *path = NULL;
  if (eid == NULL || asprintf (&path, "/1.0/operations/%s/wait?timeout=-1", eid) < 0)
    return coi_error_errno (err, ENOMEM, "request");
  for (;;)
    {
      _cleanup_json_ json_t *resp = NULL;
      int status = incus_request (c, "GET", path, NULL, &resp, err);
      if (status < 0)
        return -1;
      json_t *op = json_object_get (resp, "metadata");
      int shell_code = shell_code_for (resp, op);
      if (shell_code >= 0)
        {
          *exit_code = shell_code;
          return 0;
        }
      const char *type = json_string_value (json_object_get (resp, "type"));
      const char *text = json_string_value (json_object_get (resp, "error"));
      if (status >= 400 || (type && strcmp (type, "error") == 0))
        return coi_error_make (err, status, "%s", text && *text ? text : "the server refused to wait");
      const char *st = json_string_value (json_object_get (op, "status"));
      if (st == NULL)
        return coi_error_make (err, EPROTO, "the server's wait reply has no operation");
      if (strcmp (st, "Running") == 0)
        continue;
      const char *oe = json_string_value (json_object_get (op, "err"));
      if (strcmp (st, "Success") != 0)
        return coi_error_make (err, 0, "%s", oe && *oe ? oe : st);
      json_t *ret = json_object_get (json_object_get (op, "metadata"), "return");
      if (!json_is_integer (ret))
        return coi_error_make (err, EPROTO, "the server reported no exit status");
      json_int_t v = json_integer_value (ret);
      if (v < 0 || v > 255)
        return coi_error_make (err, 0, "the command could not be run (status %lld)", (long long) v);
      *exit_code = (int) v;
      return 0;
    }
}

char *incus_exec_resize_msg (int width, int height)
{
  char w[16], h[16];
  snprintf (w, sizeof w, "%d", width);
  snprintf (h, sizeof h, "%d", height);
  /* Incus wants the sizes as strings. */
  _cleanup_json_ json_t *j = json_pack ("{s:s, s:{s:s, s:s}}", "command", "window-resize", "args",
                                        "width", w, "height", h);
  return j ? json_dumps (j, JSON_COMPACT) : NULL;
}

char *incus_exec_signal_msg (int signo)
{
  _cleanup_json_ json_t *j = json_pack ("{s:s, s:i}", "command", "signal", "signal", signo);
  return j ? json_dumps (j, JSON_COMPACT) : NULL;
}
