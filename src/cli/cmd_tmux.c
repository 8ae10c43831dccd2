/* coi tmux send|capture|list (spec A.2, G.3): drive the agent's tmux session
 * coi-<container>.  Everything runs as the code user (uid/gid 1000, HOME
 * /home/code) so it reaches that user's tmux server (COI #355), and as argv
 * through the exec API: text is sent with send-keys -l, so nothing in it is
 * ever evaluated by a shell or read as a key name. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_container_common.h"
#include "cli/command.h"
#include "cli/output.h"
#include "incus/exec.h"
#include "incus/instance.h"
#include "session/inventory.h"
#include "util/buf.h"
#include "util/cleanup.h"

#define CODE_UID 1000
#define CODE_GID 1000

COI_HANDLER (cmd_tmux_send);
COI_HANDLER (cmd_tmux_capture);
COI_HANDLER (cmd_tmux_list);

const struct coi_command coi_tmux_commands[] = {
  { "send", "Send text to a container's tmux session, then Enter", "<container> <text>", NULL, cmd_tmux_send, NULL, false },
  { "capture", "Capture the visible pane of a container's tmux session", "<container> [--lines N]", NULL, cmd_tmux_capture, NULL, false },
  { "list", "List active tmux sessions", "[--format text|json]", NULL, cmd_tmux_list, NULL, false },
  { 0 },
};

struct tmux_opts
{
  int lines;
  char *format;
};

/* Run tmux as the code user; *out (may be NULL) gets stdout.  A non-zero
 * exit becomes an error carrying tmux's own message. */
static int run_tmux (struct incus_client *c, const char *inst, const char *const *argv,
                     struct buf *out, int *exit_code, coi_error_t *err)
{
  static const char *const env[] = { "HOME=/home/code", "USER=code", NULL };
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = argv;
  o.env = env;
  o.cwd = "/home/code";
  o.uid = CODE_UID;
  o.gid = CODE_GID;
  _cleanup_buf_ struct buf errb = { .limit = 64 * 1024 };
  int code = -1;
  if (incus_exec_capture (c, inst, &o, out, &errb, &code, err) < 0)
    return -1;
  if (exit_code)
    {
      *exit_code = code;
      return 0;
    }
  if (code != 0)
    {
      while (errb.len && (errb.data[errb.len - 1] == '\n' || errb.data[errb.len - 1] == '\r'))
        errb.data[--errb.len] = '\0';
      return coi_error_make (err, 0, "%s exited with %d%s%s", argv[1], code,
                             errb.len ? ": " : "", errb.len ? errb.data : "");
    }
  return 0;
}

static int must_run (struct incus_client *c, const char *inst, coi_error_t *err)
{
  _cleanup_free_ char *status = NULL;
  if (incus_instance_status (c, inst, &status, err) < 0)
    return -1;
  if (strcmp (status, "Running") != 0)
    return coi_error_make (err, 0, "container %s is not running", inst);
  return 0;
}

COI_HANDLER (cmd_tmux_send)
{
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, NULL, NULL, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (coi_expect_args (&p, 2, "coi tmux send <container> <text>", err) < 0)
    return -1;
  const char *inst = pos[0], *text = pos[1];
  _cleanup_free_ char *session = NULL;
  if (asprintf (&session, "coi-%s", inst) < 0)
    return coi_error_errno (err, ENOMEM, "tmux send");
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0 || must_run (c, inst, err) < 0)
    return -1;
  /* -l: the text is literal, never key names; "--": it may start with '-'.
     Enter goes separately, as a key. */
  const char *literal[] = { "tmux", "send-keys", "-l", "-t", session, "--", text, NULL };
  const char *enter[] = { "tmux", "send-keys", "-t", session, "Enter", NULL };
  if (run_tmux (c, inst, literal, NULL, NULL, err) < 0 || run_tmux (c, inst, enter, NULL, NULL, err) < 0)
    return coi_error_prefix (err, "send to tmux session %s", session);
  printf ("Sent command to session %s\n", session);
  return 0;
}

static const struct coi_opt capture_options[] = {
  { "lines", 0, OPT_INT, OPT_AT (struct tmux_opts, lines), "Also capture N lines of scrollback", NULL, "N" },
  OPT_END,
};

COI_HANDLER (cmd_tmux_capture)
{
  struct tmux_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, capture_options, &o, false, &p, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (coi_expect_args (&p, 1, "coi tmux capture <container> [--lines N]", err) < 0)
    return -1;
  if (o.lines < 0)
    return coi_error_usage (err, "--lines must be >= 0");
  const char *inst = pos[0];
  _cleanup_free_ char *session = NULL;
  char start[32];
  snprintf (start, sizeof start, "-%d", o.lines);
  if (asprintf (&session, "coi-%s", inst) < 0)
    return coi_error_errno (err, ENOMEM, "tmux capture");
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0 || must_run (c, inst, err) < 0)
    return -1;
  const char *visible[] = { "tmux", "capture-pane", "-p", "-t", session, NULL };
  const char *history[] = { "tmux", "capture-pane", "-p", "-t", session, "-S", start, NULL };
  _cleanup_buf_ struct buf out = { 0 };
  if (run_tmux (c, inst, o.lines > 0 ? history : visible, &out, NULL, err) < 0)
    return coi_error_prefix (err, "capture tmux session %s", session);
  if (out.len && fwrite (out.data, 1, out.len, stdout) != out.len)
    return coi_error_errno (err, errno, "write output");
  return 0;
}

static const struct coi_opt list_options[] = {
  { "format", 0, OPT_STRING, OPT_AT (struct tmux_opts, format), "Output format: text or json", NULL, "FORMAT" },
  OPT_END,
};

/* The running coi containers whose code user has a coi-<name> session. */
static int find_sessions (struct incus_client *c, json_t *found, coi_error_t *err)
{
  struct coi_inventory inv = { 0 };
  if (coi_inventory_load (c, false, &inv, err) < 0)
    return -1;
  int r = 0;
  for (size_t i = 0; i < inv.n && r == 0; i++)
    {
      const char *name = inv.items[i].name;
      if (strcmp (inv.items[i].status, "Running") != 0)
        continue;
      _cleanup_free_ char *session = NULL;
      if (asprintf (&session, "coi-%s", name) < 0)
        {
          r = coi_error_errno (err, ENOMEM, "list tmux sessions");
          break;
        }
      const char *has[] = { "tmux", "has-session", "-t", session, NULL };
      _cleanup_error_ coi_error_t e = NULL;
      int code = -1;
      /* A container that stops meanwhile, or has no tmux, has no session. */
      if (run_tmux (c, name, has, NULL, &code, &e) < 0 || code != 0)
        continue;
      json_t *entry = json_pack ("{s:s, s:s}", "container", name, "session", session);
      if (entry == NULL || json_array_append_new (found, entry) < 0)
        r = coi_error_errno (err, ENOMEM, "list tmux sessions");
    }
  coi_inventory_clear (&inv);
  return r;
}

COI_HANDLER (cmd_tmux_list)
{
  struct tmux_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, list_options, &o, false, &p, err);
  _cleanup_free_ char *format = o.format;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (coi_expect_args (&p, 0, "coi tmux list [--format text|json]", err) < 0
      || coi_check_format (format, "text|json", err) < 0)
    return -1;
  struct incus_client *c;
  _cleanup_json_ json_t *found = json_array ();
  if (found == NULL)
    return coi_error_errno (err, ENOMEM, "list tmux sessions");
  if (coi_ctx_client (ctx, &c, err) < 0 || find_sessions (c, found, err) < 0)
    return -1;
  if (format && strcmp (format, "json") == 0)
    return coi_print_json (found, err);
  if (json_array_size (found) == 0)
    {
      printf ("No active sessions\n");
      return 0;
    }
  size_t i;
  json_t *e;
  json_array_foreach (found, i, e)
    printf ("  - %s (tmux session: %s)\n", json_string_value (json_object_get (e, "container")),
            json_string_value (json_object_get (e, "session")));
  return 0;
}
