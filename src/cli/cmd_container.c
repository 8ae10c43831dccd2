/* coi container: low-level operations on one container (spec A.2, A.3).
 * The group table lives here with the small state commands; launch, mount,
 * list and info have their own files. */
#include <stdio.h>
#include <string.h>

#include "cli/cmd_container_common.h"
#include "cli/command.h"
#include "incus/instance.h"
#include "util/cleanup.h"

COI_HANDLER (cmd_container_launch);
COI_HANDLER (cmd_container_start);
COI_HANDLER (cmd_container_stop);
COI_HANDLER (cmd_container_delete);
COI_HANDLER (cmd_container_exists);
COI_HANDLER (cmd_container_running);
COI_HANDLER (cmd_container_mount);
COI_HANDLER (cmd_container_list);
COI_HANDLER (cmd_container_info);
COI_HANDLER (cmd_container_exec);

const struct coi_command coi_container_commands[] = {
  { "launch", "Launch a new container from an image", "<image> <name> [--ephemeral] [-s POOL]", NULL, cmd_container_launch, NULL, false },
  { "start", "Start a stopped container", "<name>", NULL, cmd_container_start, NULL, false },
  { "stop", "Stop a running container", "<name> [--force]", NULL, cmd_container_stop, NULL, false },
  { "delete", "Delete a container", "<name> [--force]", NULL, cmd_container_delete, NULL, false },
  { "exists", "Check if a container exists (exit 0 yes, 1 no)", "<name>", NULL, cmd_container_exists, NULL, false },
  { "running", "Check if a container is running (exit 0 yes, 1 no)", "<name>", NULL, cmd_container_running, NULL, false },
  { "mount", "Add a disk device to a container", "<name> <device-name> <source> <path> [--shift=true|false] [--readonly]", NULL, cmd_container_mount, NULL, false },
  { "list", "List all containers", "[--format text|json]", NULL, cmd_container_list, NULL, false },
  { "info", "Show detailed container information", "<name> [--format text|json]", NULL, cmd_container_info, NULL, false },
  { "exec", "Execute a command in a container", "<name> [--user N] [--group N] [--env K=V]... [--cwd DIR] [--capture] [--format json|raw] [-t] -- <command> [args...]", NULL, cmd_container_exec, NULL, false },
  { 0 },
};

struct force_opts
{
  bool force;
};

/* Parse "<name>" plus the command's flags; returns 1 after --help. */
static int one_name (struct coi_ctx *ctx, int argc, char **argv, const struct coi_opt *opts,
                     void *target, const char *usage, char **name, coi_error_t *err)
{
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, opts, target, false, &p, err);
  if (r != 0)
    return r;
  _cleanup_free_ char **pos = p.pos;
  if (coi_expect_args (&p, 1, usage, err) < 0)
    return -1;
  *name = pos[0];
  return 0;
}

static int set_state (struct coi_ctx *ctx, const char *name, const char *action, bool force,
                      const char *done, coi_error_t *err)
{
  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  if (incus_instance_set_state (c, name, action, -1, force, err) < 0)
    return -1;
  fprintf (stderr, "Container %s %s\n", name, done);
  return 0;
}

COI_HANDLER (cmd_container_start)
{
  char *name = NULL;
  int r = one_name (ctx, argc, argv, NULL, NULL, "coi container start <name>", &name, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return set_state (ctx, name, "start", false, "started", err);
}

static const struct coi_opt stop_options[] = {
  { "force", 'f', OPT_BOOL, OPT_AT (struct force_opts, force), "Force stop", NULL, NULL },
  OPT_END,
};

COI_HANDLER (cmd_container_stop)
{
  struct force_opts o = { 0 };
  char *name = NULL;
  int r = one_name (ctx, argc, argv, stop_options, &o, "coi container stop <name> [--force]",
                    &name, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  return set_state (ctx, name, "stop", o.force, "stopped", err);
}

static const struct coi_opt delete_options[] = {
  { "force", 'f', OPT_BOOL, OPT_AT (struct force_opts, force), "Force delete even if running", NULL, NULL },
  OPT_END,
};

COI_HANDLER (cmd_container_delete)
{
  struct force_opts o = { 0 };
  char *name = NULL;
  struct incus_client *c;
  int r = one_name (ctx, argc, argv, delete_options, &o, "coi container delete <name> [--force]",
                    &name, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  if (o.force)
    {
      /* force_delete treats a missing container as done; a named one that
         never existed is still an error for the user. */
      int ex = incus_instance_exists (c, name, err);
      if (ex < 0)
        return -1;
      if (ex == 0)
        return coi_error_make (err, 404, "delete container %s: not found", name);
      r = incus_instance_force_delete (c, name, err);
    }
  else
    r = incus_instance_delete (c, name, err);
  if (r < 0)
    return -1;
  fprintf (stderr, "Container %s deleted\n", name);
  return 0;
}

COI_HANDLER (cmd_container_exists)
{
  char *name = NULL;
  struct incus_client *c;
  int r = one_name (ctx, argc, argv, NULL, NULL, "coi container exists <name>", &name, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  int ex = incus_instance_exists (c, name, err);
  if (ex < 0)
    return -1;
  return ex ? 0 : 1;
}

COI_HANDLER (cmd_container_running)
{
  char *name = NULL;
  struct incus_client *c;
  int r = one_name (ctx, argc, argv, NULL, NULL, "coi container running <name>", &name, err);
  if (r != 0)
    return r < 0 ? -1 : 0;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  _cleanup_free_ char *status = NULL;
  if (incus_instance_status (c, name, &status, err) < 0)
    {
      /* A container that does not exist is simply not running. */
      if ((*err)->status != 404)
        return -1;
      coi_error_release (err);
      return 1;
    }
  return strcmp (status, "Running") == 0 ? 0 : 1;
}
