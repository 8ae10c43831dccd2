#include "session/tool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

static const struct coi_tool registry[] = {
  { "claude", "claude", ".claude", true },
  { "opencode", "opencode", ".local/share/opencode", false },
  { "codex", "codex", ".codex", false },
  { "aider", "aider", NULL, false },
  { NULL, NULL, NULL, false },
};

static const char *const names[] = { "claude", "opencode", "codex", "aider", NULL };

const char *const *coi_tool_names (void)
{
  return names;
}

const struct coi_tool *coi_tool_lookup (const char *name, coi_error_t *err)
{
  static const struct coi_tool generic = { "generic", NULL, NULL, false };
  if (name == NULL || *name == '\0')
    name = "claude";
  for (const struct coi_tool *t = registry; t->name; t++)
    if (strcmp (t->name, name) == 0)
      return t;
  if (strcmp (name, "generic") == 0)
    return &generic;
  coi_error_make (err, EINVAL, "unknown tool '%s'", name);
  coi_error_set_hint (err, "known tools: claude, opencode, codex, aider; any other CLI: set [tool] name and binary");
  return NULL;
}

static int push (char ***v, size_t *n, const char *s)
{
  char **nv = realloc (*v, (*n + 2) * sizeof (char *));
  if (nv == NULL)
    return -1;
  *v = nv;
  if ((nv[*n] = strdup (s)) == NULL)
    return -1;
  nv[++*n] = NULL;
  return 0;
}

static int push_all (char ***v, size_t *n, ...)
{
  va_list ap;
  va_start (ap, n);
  const char *s;
  int r = 0;
  while (r == 0 && (s = va_arg (ap, const char *)))
    r = push (v, n, s);
  va_end (ap);
  return r;
}

int coi_tool_argv (const struct coi_tool_argv_opts *o, char ***argv, coi_error_t *err)
{
  _cleanup_strv_ char **v = NULL;
  size_t n = 0;
  int r = 0;
  const struct coi_tool *t = o->tool;
  const char *bin = o->binary_override && *o->binary_override ? o->binary_override : t->binary;

  if (o->debug)
    r = push (&v, &n, "bash");
  else if (bin == NULL)
    return coi_error_make (err, EINVAL, "tool '%s' has no binary", t->name);
  else if (t->claude_like)
    {
      r = push_all (&v, &n, bin, "--verbose", "--permission-mode", "bypassPermissions", NULL);
      if (r == 0 && o->resume)
        {
          r = push (&v, &n, "--resume");
          if (r == 0 && o->resume_cli_id && *o->resume_cli_id)
            r = push (&v, &n, o->resume_cli_id);
        }
      else if (r == 0 && o->session_id)
        r = push_all (&v, &n, "--session-id", o->session_id, NULL);
    }
  else if (strcmp (t->name, "opencode") == 0)
    r = o->resume ? push_all (&v, &n, bin, "--continue", NULL) : push (&v, &n, bin);
  else if (strcmp (t->name, "codex") == 0)
    r = o->resume ? push_all (&v, &n, bin, "resume", "--last", NULL)
                  : push_all (&v, &n, bin, "--dangerously-bypass-approvals-and-sandbox", NULL);
  else if (strcmp (t->name, "aider") == 0)
    r = push_all (&v, &n, bin, "--yes-always", NULL);
  else
    r = push (&v, &n, bin);
  if (r < 0)
    return coi_error_errno (err, ENOMEM, "build the %s command", t->name);
  *argv = steal_pointer (&v);
  return 0;
}
