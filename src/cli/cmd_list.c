/* coi list [--all] [--format text|json] [--running|--stopped|--status S] */
#include <stdio.h>
#include <string.h>

#include "cli/command.h"
#include "guard/state.h"
#include "cli/output.h"
#include "session/inventory.h"
#include "monitor/supervisor.h"
#include "session/metadata.h"
#include "util/cleanup.h"

struct list_opts
{
  bool all;
  bool running;
  bool stopped;
  char *status;
  char *format;
  char *tool;
};

static const struct coi_opt list_options[] = {
  { "all", 'a', OPT_BOOL, OPT_AT (struct list_opts, all), "Show saved sessions as well", NULL, NULL },
  { "running", 0, OPT_BOOL, OPT_AT (struct list_opts, running), "Only running containers", NULL, NULL },
  { "stopped", 0, OPT_BOOL, OPT_AT (struct list_opts, stopped), "Only stopped containers", NULL, NULL },
  { "status", 0, OPT_STRING, OPT_AT (struct list_opts, status), "Only containers with this status", NULL, "STATUS" },
  { "format", 0, OPT_STRING, OPT_AT (struct list_opts, format), "Output format (text|json)", NULL, "FORMAT" },
  { "tool", 0, OPT_STRING, OPT_AT (struct list_opts, tool), "Tool whose saved sessions to show (default claude)", NULL, "NAME" },
  OPT_END,
};

static bool wanted (const struct list_opts *o, const struct coi_instance_info *i)
{
  if (o->running)
    return strcmp (i->status, "Running") == 0;
  if (o->stopped)
    return strcmp (i->status, "Stopped") == 0;
  if (o->status)
    return strcasecmp (i->status, o->status) == 0;
  return true;
}

/* How the guard service guards it (COI cannot tell). */
static json_t *container_json (const struct coi_instance_info *i, json_t *states)
{
  struct coi_guard_state gs;
  coi_guard_state_of (states, i->name, &gs);
  json_t *j = json_pack ("{s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:o}", "name", i->name, "status",
                         i->status, "created_at", i->created_at ? i->created_at : "", "image",
                         i->image ? i->image : "", "persistent", i->persistent, "ipv4",
                         i->ipv4 ? i->ipv4 : "", "guarded", gs.supervised ? gs.alive : gs.rules,
                         "guard", coi_guard_state_json (&gs));
  if (j && i->workspace)
    json_object_set_new (j, "workspace", json_string (i->workspace));
  return j;
}

static void print_text (const struct list_opts *o, const struct coi_inventory *inv, json_t *states,
                        const struct coi_session_meta *sessions, size_t nsessions)
{
  printf ("Active Containers:\n------------------\n");
  size_t shown = 0;
  for (size_t k = 0; k < inv->n; k++)
    {
      const struct coi_instance_info *i = &inv->items[k];
      if (!wanted (o, i))
        continue;
      shown++;
      printf ("  %s (%s)\n", i->name, i->persistent ? "persistent" : "ephemeral");
      printf ("    Status: %s\n", i->status);
      if (i->ipv4)
        printf ("    IPv4: %s\n", i->ipv4);
      printf ("    Created: %s\n", i->created_at ? i->created_at : "");
      printf ("    Image: %s\n", i->image ? i->image : "");
      if (i->workspace)
        printf ("    Workspace: %s\n", i->workspace);
      struct coi_guard_state gs;
      coi_guard_state_of (states, i->name, &gs);
      printf ("    Guard: %s", coi_guard_state_word (&gs));
      if (gs.known && gs.mode[0])
        printf (" (%s network%s)", gs.mode, gs.restarts ? ", supervisor restarted" : "");
      printf ("\n");
    }
  if (shown == 0)
    printf ("  (none)\n");
  if (!o->all)
    return;
  printf ("\nSaved Sessions:\n---------------\n");
  if (nsessions == 0)
    printf ("  (none)\n");
  for (size_t k = 0; k < nsessions; k++)
    {
      char saved[32];
      coi_format_time (sessions[k].saved_at, saved);
      printf ("  %s\n    Saved: %s\n    Workspace: %s\n", sessions[k].session_id, saved,
              sessions[k].workspace ? sessions[k].workspace : "");
    }
}

static int print_json (const struct list_opts *o, const struct coi_inventory *inv, json_t *states,
                       const struct coi_session_meta *sessions, size_t nsessions, coi_error_t *err)
{
  _cleanup_json_ json_t *root = json_object ();
  json_t *active = json_array ();
  if (root == NULL || active == NULL || json_object_set_new (root, "active_containers", active) < 0)
    return coi_error_make (err, 0, "list: out of memory");
  for (size_t k = 0; k < inv->n; k++)
    if (wanted (o, &inv->items[k]))
      json_array_append_new (active, container_json (&inv->items[k], states));
  if (o->all && nsessions)
    {
      json_t *saved = json_array ();
      json_object_set_new (root, "saved_sessions", saved);
      for (size_t k = 0; k < nsessions; k++)
        {
          char when[32];
          coi_format_time (sessions[k].saved_at, when);
          json_array_append_new (saved, json_pack ("{s:s, s:s, s:s}", "ID", sessions[k].session_id,
                                                   "SavedAt", when, "Workspace",
                                                   sessions[k].workspace ? sessions[k].workspace : ""));
        }
    }
  return coi_print_json (root, err);
}

COI_HANDLER (cmd_list)
{
  struct list_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, list_options, &o, false, &p, err);
  _cleanup_free_ char *status = o.status;
  _cleanup_free_ char *format = o.format;
  _cleanup_free_ char *tool = o.tool;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos)
    return coi_error_usage (err, "list takes no arguments");
  if ((o.running + o.stopped + (status != NULL)) > 1)
    return coi_error_usage (err, "--running, --stopped and --status are mutually exclusive");
  if (coi_check_format (format, "text|json", err) < 0)
    return -1;

  struct incus_client *c;
  struct coi_guard_link *guard;
  struct coi_inventory inv = { 0 };
  _cleanup_json_ json_t *states = NULL;
  if (coi_ctx_client (ctx, &c, err) < 0 || coi_ctx_guard (ctx, &guard, err) < 0
      || coi_guard_states (guard, &states, err) < 0 || coi_inventory_load (c, true, &inv, err) < 0)
    return -1;
  struct coi_session_meta *sessions = NULL;
  size_t nsessions = 0;
  if (o.all && coi_session_list (tool ? tool : "claude", &sessions, &nsessions, err) < 0)
    {
      coi_inventory_clear (&inv);
      return -1;
    }
  r = 0;
  if (format && strcmp (format, "json") == 0)
    r = print_json (&o, &inv, states, sessions, nsessions, err);
  else
    print_text (&o, &inv, states, sessions, nsessions);
  coi_session_list_free (sessions, nsessions);
  coi_inventory_clear (&inv);
  return r;
}
