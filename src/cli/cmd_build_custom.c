/* coi build custom NAME --script FILE [--base IMAGE] [--force]: run a
 * script as root in a build container made from the base image, publish the
 * result as NAME and print {"alias","skipped","fingerprint"}. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/command.h"
#include "cli/output.h"
#include "incus/exec.h"
#include "incus/files.h"
#include "incus/image.h"
#include "incus/instance.h"
#include "session/agent.h"
#include "util/cleanup.h"

struct custom_opts
{
  char *script;
  char *base;
  char *compression;
  bool force;
};

static const struct coi_opt custom_options[] = {
  { "script", 0, OPT_STRING, OPT_AT (struct custom_opts, script), "Build script to run as root in the build container (required)", NULL, "FILE" },
  { "base", 0, OPT_STRING, OPT_AT (struct custom_opts, base), "Base image (default: coi)", NULL, "IMAGE" },
  { "force", 0, OPT_BOOL, OPT_AT (struct custom_opts, force), "Rebuild even if the image exists", NULL, NULL },
  { "compression", 0, OPT_STRING, OPT_AT (struct custom_opts, compression), "Image compression: none, gzip, xz, zstd (default: the server's)", NULL, "ALGO" },
  OPT_END,
};

#define SCRIPT_PATH "/root/coi-build-script"

static int print_result (const char *alias, bool skipped, const char *fp, coi_error_t *err)
{
  _cleanup_json_ json_t *j = json_pack ("{s:s, s:b, s:s}", "alias", alias, "skipped", skipped,
                                        "fingerprint", fp ? fp : "");
  return coi_print_json (j, err);
}

/* Everything between create and publish; the caller deletes the container. */
static int build_in (struct incus_client *c, const char *name, const char *script, int script_fd,
                     long long size, coi_error_t *err)
{
  if (incus_instance_set_state (c, name, "start", -1, false, err) < 0
      || coi_session_wait_ready (c, name, 60000, err) < 0)
    return -1;
  struct incus_file_attrs a = { 0, 0, 0700 };
  if (incus_file_push_fd (c, name, SCRIPT_PATH, script_fd, size, a, err) < 0)
    return coi_error_prefix (err, "push %s", script);
  fprintf (stderr, "Running %s in %s...\n", script, name);
  const char *argv[] = { "/bin/sh", SCRIPT_PATH, NULL };
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = argv;
  o.cwd = "/root";
  /* The script's output is progress, and stdout carries only the result. */
  o.stdout_fd = STDERR_FILENO;
  o.stderr_fd = STDERR_FILENO;
  int code = -1;
  if (incus_exec (c, name, &o, &code, err) < 0)
    return -1;
  if (code != 0)
    return coi_error_make (err, 0, "build script %s failed with exit code %d", script, code);
  _cleanup_error_ coi_error_t soft = NULL;
  if (incus_instance_set_state (c, name, "stop", 60, false, &soft) < 0)
    return incus_instance_set_state (c, name, "stop", -1, true, err);
  return 0;
}

COI_HANDLER (cmd_build_custom)
{
  struct custom_opts o = { 0 };
  struct coi_parsed p = { 0 };
  int r = coi_cmd_parse (ctx, argc, argv, custom_options, &o, false, &p, err);
  _cleanup_free_ char *script = o.script;
  _cleanup_free_ char *base = o.base;
  _cleanup_free_ char *compression = o.compression;
  if (r != 0)
    return r < 0 ? -1 : 0;
  _cleanup_free_ char **pos = p.pos;
  if (p.npos != 1)
    return coi_error_usage (err, "build custom needs exactly one image name");
  if (script == NULL || *script == '\0')
    return coi_error_usage (err, "required flag \"script\" not set");
  const char *alias = pos[0];
  if (coi_check_format (compression, "none|gzip|xz|zstd|bzip2|lzma", err) < 0)
    return -1;

  _cleanup_close_ int fd = open (script, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0)
    return coi_error_errno (err, errno, "open build script %s", script);
  if (!S_ISREG (st.st_mode))
    return coi_error_usage (err, "build script %s is not a regular file", script);

  struct incus_client *c;
  if (coi_ctx_client (ctx, &c, err) < 0)
    return -1;
  _cleanup_free_ char *existing = NULL;
  _cleanup_error_ coi_error_t missing = NULL;
  if (incus_image_resolve (c, alias, &existing, NULL, &missing) == 0 && !o.force)
    {
      fprintf (stderr, "Image '%s' already exists. Use --force to rebuild.\n", alias);
      return print_result (alias, true, existing, err);
    }

  unsigned char rnd[4];
  char name[64];
  if (getrandom (rnd, sizeof rnd, 0) != (ssize_t) sizeof rnd)
    return coi_error_errno (err, errno, "name build container");
  /* A random suffix: two builds at once never share a container. */
  snprintf (name, sizeof name, "coi-build-%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
  _cleanup_json_ json_t *source = incus_image_source (base && *base ? base : "coi", ctx->env, err);
  if (source == NULL)
    return -1;
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:O, s:b}", "name", name, "source", source,
                                           "ephemeral", false);
  fprintf (stderr, "Creating build container %s from %s...\n", name, base && *base ? base : "coi");
  if (body == NULL || incus_instance_create (c, body, err) < 0)
    return -1;

  _cleanup_free_ char *fp = NULL;
  r = build_in (c, name, script, fd, (long long) st.st_size, err);
  if (r == 0)
    {
      fprintf (stderr, "Publishing %s as %s...\n", name, alias);
      struct incus_image_publish pub = { .instance = name, .compression = compression };
      r = incus_image_publish (c, &pub, &fp, err);
      if (r == 0)
        r = incus_image_alias_move (c, alias, fp, err);
    }
  _cleanup_error_ coi_error_t del = NULL;
  incus_instance_force_delete (c, name, r < 0 ? &del : err);
  if (r < 0)
    return -1;
  return print_result (alias, false, fp, err);
}
