/* The image from a base image (`coi build --base REMOTE:ALIAS`): a build
 * container runs the same recipe as the chroot build, through the exec API,
 * and is published once stopped. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "image/build_private.h"
#include "image/cache.h"
#include "image/recipe.h"
#include "image/run.h"
#include "incus/exec.h"
#include "incus/exec_env.h"
#include "incus/files.h"
#include "incus/image.h"
#include "incus/instance.h"
#include "util/cleanup.h"

#define NETWORK_WAIT_S 90
#define STOP_TIMEOUT_S 60

static int wait_for_ipv4 (struct coi_build *b, coi_error_t *err)
{
  for (int i = 0; i < NETWORK_WAIT_S * 4; i++)
    {
      _cleanup_json_ json_t *state = NULL;
      if (incus_instance_state (b->c, COI_BUILD_CONTAINER, &state, err) < 0)
        return -1;
      const char *ip = incus_state_ipv4 (state, "eth0");
      if (ip)
        {
          coi_progress_done (&b->progress, "eth0 %s", ip);
          return 0;
        }
      struct timespec ts = { 0, 250 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
  return coi_error_make (err, ETIMEDOUT, "%s got no IPv4 address within %d s", COI_BUILD_CONTAINER,
                         NETWORK_WAIT_S);
}

/* mkdir -p inside the container, then each staged file. */
static int push_stage (struct coi_build *b, coi_error_t *err)
{
  for (size_t i = 0; i < b->stage.n; i++)
    {
      const struct coi_stage_file *f = &b->stage.files[i];
      _cleanup_free_ char *dir = strdup (f->path);
      if (dir == NULL)
        return coi_error_errno (err, ENOMEM, "push %s", f->path);
      for (char *s = strchr (dir + 1, '/'); s; s = strchr (s + 1, '/'))
        {
          *s = '\0';
          if (incus_file_mkdir (b->c, COI_BUILD_CONTAINER, dir, INCUS_FILE_ATTRS_DEFAULT, err) < 0)
            return -1;
          *s = '/';
        }
      struct incus_file_attrs a = { 0, 0, (int) f->mode };
      if (incus_file_push_data (b->c, COI_BUILD_CONTAINER, f->path, f->data, f->len, a, err) < 0)
        return -1;
    }
  return 0;
}

struct pump_arg
{
  struct coi_run r;
  int fd;
};

static void *pump_thread (void *p)
{
  struct pump_arg *a = p;
  coi_run_pump (&a->r, a->fd);
  return NULL;
}

/* The recipe through the exec API; its output is logged and its progress
 * lines shown while it runs. */
static int run_recipe (struct coi_build *b, coi_error_t *err)
{
  /* The proxies go through a file, not the request (incus/exec_env.h):
     a proxy URL may carry a password. */
  _cleanup_strv_ char **env = coi_build_recipe_env ("container", false, err);
  _cleanup_strv_ char **secret_env = env ? coi_build_passthrough_env (err) : NULL;
  if (secret_env == NULL)
    return -1;
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return coi_error_errno (err, errno, "run the recipe");
  struct pump_arg pa = { .r = { .log_fd = b->log_fd, .progress_prefix = "--- ",
                                .echo_all = b->verbose },
                         .fd = pfd[0] };
  pthread_t th;
  int pe = pthread_create (&th, NULL, pump_thread, &pa);
  if (pe != 0)
    {
      close (pfd[0]);
      close (pfd[1]);
      return coi_error_errno (err, pe, "run the recipe");
    }
  const char *argv[] = { "/bin/bash", COI_PROVISION_PATH, NULL };
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = argv;
  o.env = (const char *const *) env;
  o.stdout_fd = pfd[1];
  o.stderr_fd = pfd[1];
  int code = -1;
  int r = incus_exec_with_env_file (b->c, COI_BUILD_CONTAINER, &o, "/root",
                                    (const char *const *) secret_env, NULL, NULL, &code, err);
  close (pfd[1]); /* EOF for the pump */
  pthread_join (th, NULL);
  close (pfd[0]);
  if (r < 0)
    return coi_error_prefix (err, "run the recipe in %s", COI_BUILD_CONTAINER);
  if (code != 0)
    {
      if (b->log_fd >= 0 && !b->verbose)
        coi_run_log_tail (b->log_fd, 25);
      return coi_error_make (err, 0, "the image recipe failed with exit status %d", code);
    }
  return 0;
}

static int stop (struct coi_build *b, coi_error_t *err)
{
  if (incus_instance_set_state (b->c, COI_BUILD_CONTAINER, "stop", STOP_TIMEOUT_S, false, err) == 0)
    return 0;
  coi_error_release (err);
  return incus_instance_set_state (b->c, COI_BUILD_CONTAINER, "stop", -1, true, err);
}

static int build_in_container (struct coi_build *b, json_t *source, char **fingerprint,
                               coi_error_t *err)
{
  coi_progress_step (&b->progress, "launch %s from %s (the server may download it first)",
                     COI_BUILD_CONTAINER, b->base);
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:O, s:b}", "name", COI_BUILD_CONTAINER,
                                           "source", source, "ephemeral", 0);
  if (body == NULL)
    return coi_error_errno (err, ENOMEM, "create %s", COI_BUILD_CONTAINER);
  if (incus_instance_create (b->c, body, err) < 0
      || incus_instance_set_state (b->c, COI_BUILD_CONTAINER, "start", -1, false, err) < 0)
    return -1;
  coi_progress_done (&b->progress, "running");

  coi_progress_step (&b->progress, "wait for the network of %s", COI_BUILD_CONTAINER);
  if (wait_for_ipv4 (b, err) < 0)
    return -1;

  coi_progress_step (&b->progress, "run the recipe in %s", COI_BUILD_CONTAINER);
  if (push_stage (b, err) < 0 || run_recipe (b, err) < 0)
    return -1;
  coi_progress_done (&b->progress, "provisioned");

  coi_progress_step (&b->progress, "stop %s and publish it as '%s'", COI_BUILD_CONTAINER,
                     b->versioned);
  if (stop (b, err) < 0)
    return -1;
  _cleanup_json_ json_t *props = coi_build_properties (b, b->base);
  const char *const aliases[] = { b->versioned, NULL };
  /* Uncompressed: the image stays on this server, and publishing a large
   * tree with gzip takes minutes on a small machine. */
  struct incus_image_publish pub = { .instance = COI_BUILD_CONTAINER, .compression = "none",
                                     .properties = props, .aliases = aliases };
  if (props == NULL)
    return coi_error_errno (err, ENOMEM, "publish %s", COI_BUILD_CONTAINER);
  if (incus_image_publish (b->c, &pub, fingerprint, err) < 0)
    return -1;
  coi_progress_done (&b->progress, "fingerprint %.12s", *fingerprint);
  return 0;
}

int coi_build_remote (struct coi_build *b, char **fingerprint, coi_error_t *err)
{
  _cleanup_json_ json_t *source = incus_image_source (b->base, b->env, err);
  if (source == NULL)
    return -1;
  /* One build at a time: they share the container name coi-build. */
  __attribute__ ((cleanup (coi_cache_close))) struct coi_cache lock = { .lock_fd = -1 };
  if (coi_cache_open (&lock, err) < 0)
    return -1;
  /* A build container left by an interrupted build is in the way. */
  if (incus_instance_force_delete (b->c, COI_BUILD_CONTAINER, err) < 0)
    return -1;
  int r = build_in_container (b, source, fingerprint, err);
  _cleanup_error_ coi_error_t cleanup_err = NULL;
  if (incus_instance_force_delete (b->c, COI_BUILD_CONTAINER, &cleanup_err) < 0 && r == 0)
    fprintf (stderr, "coi: warning: %s\n", cleanup_err->msg);
  return r;
}
