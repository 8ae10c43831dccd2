/* The image without an image server: debootstrap, the recipe in a chroot,
 * tar and import.  Two cache layers under /var/cache/coi: the bare
 * debootstrap tree, and the configured tree keyed by the recipe. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/build_private.h"
#include "image/cache.h"
#include "image/mirror.h"
#include "image/recipe.h"
#include "image/run.h"
#include "image/tarball.h"
#include "image/templates.h"
#include "incus/image.h"
#include "util/buf.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* The runtime mounts its own file systems here: store them empty. */
static const char *const skip_contents[] = { "dev", "proc", "sys", "run", NULL };

static int run_logged (struct coi_build *b, const char *const *argv, const char *const *env,
                       const char *chroot_dir, coi_error_t *err)
{
  struct coi_run r = { .argv = argv, .env = env, .chroot_dir = chroot_dir, .log_fd = b->log_fd,
                       .progress_prefix = "--- ", .echo_all = b->verbose };
  return coi_run (&r, err);
}

static int make_debootstrap (struct coi_build *b, struct coi_cache *cache, const char *key,
                             coi_error_t *err)
{
  _cleanup_free_ char *mirror = NULL, *tree = coi_cache_layer_path (cache, "debootstrap", key);
  _cleanup_free_ char *partial = NULL;
  if (tree == NULL || asprintf (&partial, "%s.partial", tree) < 0)
    return coi_error_errno (err, ENOMEM, "debootstrap");
  if (coi_debian_mirror (COI_IMAGE_SUITE, &mirror, err) < 0)
    return -1;
  coi_progress_step (&b->progress, "debootstrap %s from %s (a few minutes on a first build)",
                     COI_IMAGE_SUITE, mirror);
  if (coi_rm_tree (partial, err) < 0)
    return -1;
  const char *argv[16];
  size_t n = 0;
  argv[n++] = "debootstrap";
  for (const char *const *o = coi_debootstrap_options; *o && n < 12; o++)
    argv[n++] = *o;
  argv[n++] = COI_IMAGE_SUITE;
  argv[n++] = partial;
  argv[n++] = mirror;
  argv[n] = NULL;
  if (run_logged (b, argv, NULL, NULL, err) < 0)
    {
      coi_error_set_hint (err, "is debootstrap installed and the mirror reachable? (scripts/coi-up.sh installs it)");
      return -1;
    }
  if (coi_cache_commit (cache, "debootstrap", key, partial, err) < 0
      || coi_cache_prune (cache, "debootstrap", key, err) < 0)
    return -1;
  coi_progress_done (&b->progress, "%s", tree);
  return 0;
}

/* The host's resolver, so that the recipe reaches the mirror and registry;
 * the recipe replaces it with systemd-resolved's stub at its end. */
static int copy_resolv_conf (const char *root, coi_error_t *err)
{
  _cleanup_free_ char *data = NULL, *dst = NULL;
  size_t len = 0;
  if (coi_read_file ("/etc/resolv.conf", 64 * 1024, &data, &len, err) < 0)
    return -1;
  if (asprintf (&dst, "%s/etc/resolv.conf", root) < 0)
    return coi_error_errno (err, ENOMEM, "copy resolv.conf");
  /* It may be a symlink in the tree: replace it, never write through it. */
  if (unlink (dst) < 0 && errno != ENOENT)
    return coi_error_errno (err, errno, "replace %s", dst);
  _cleanup_close_ int fd = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 || coi_write_all (fd, data, len) < 0)
    return coi_error_errno (err, errno, "write %s", dst);
  return 0;
}

static int configure_tree (struct coi_build *b, struct coi_cache *cache, const char *dkey,
                           const char *rkey, coi_error_t *err)
{
  _cleanup_free_ char *base = coi_cache_layer_path (cache, "debootstrap", dkey);
  _cleanup_free_ char *tree = coi_cache_layer_path (cache, "rootfs", rkey);
  _cleanup_free_ char *partial = NULL;
  if (base == NULL || tree == NULL || asprintf (&partial, "%s.partial", tree) < 0)
    return coi_error_errno (err, ENOMEM, "configure the image tree");

  coi_progress_step (&b->progress, "copy the base tree");
  if (coi_rm_tree (partial, err) < 0)
    return -1;
  const char *cp[] = { "cp", "-a", "--reflink=auto", base, partial, NULL };
  if (run_logged (b, cp, NULL, NULL, err) < 0)
    return -1;
  coi_progress_done (&b->progress, "%s", partial);

  coi_progress_step (&b->progress, "configure the tree (the recipe in a chroot)");
  if (coi_stage_write_tree (&b->stage, partial, err) < 0 || copy_resolv_conf (partial, err) < 0)
    return -1;
  _cleanup_strv_ char **env = coi_build_recipe_env ("chroot", true, err);
  if (env == NULL)
    return -1;
  const char *argv[] = { "/bin/bash", COI_PROVISION_PATH, NULL };
  if (run_logged (b, argv, (const char *const *) env, partial, err) < 0)
    return coi_error_prefix (err, "the image recipe");
  if (coi_cache_commit (cache, "rootfs", rkey, partial, err) < 0
      || coi_cache_prune (cache, "rootfs", rkey, err) < 0)
    return -1;
  coi_progress_done (&b->progress, "%s", tree);
  return 0;
}

static char *metadata_yaml (const struct coi_build *b, const char *rkey)
{
  _cleanup_buf_ struct buf y = { 0 };
  int bad = buf_printf (&y,
                        "architecture: %s\n"
                        "creation_date: %lld\n"
                        "properties:\n"
                        "  description: coi agent image (Debian %s; Claude Code, Node.js, tmux), built %s\n"
                        "  os: debian\n"
                        "  release: %s\n"
                        "  variant: coi\n"
                        "  coi.recipe: \"%s\"\n"
                        "  " COI_IMAGE_TEMPLATES_PROPERTY ": \"%d\"\n"
                        "templates:\n",
                        coi_host_arch (), (long long) time (NULL), COI_IMAGE_SUITE, b->stamp,
                        COI_IMAGE_SUITE, rkey, COI_IMAGE_TEMPLATES_VERSION) < 0;
  for (size_t i = 0; !bad && i < coi_image_ntemplates; i++)
    bad = buf_printf (&y, "  %s:\n    when: [create, copy]\n    template: %s\n",
                      coi_image_templates[i].path, coi_image_templates[i].name) < 0;
  return bad ? NULL : buf_steal (&y);
}

static int write_meta_tar (int fd, const char *yaml, coi_error_t *err)
{
  struct coi_tar *t = NULL;
  if (coi_tar_open (&t, fd, err) < 0)
    return -1;
  int bad = coi_tar_add_file (t, "metadata.yaml", yaml, strlen (yaml), 0644, err) < 0;
  for (size_t i = 0; !bad && i < coi_image_ntemplates; i++)
    {
      const struct coi_image_template *tp = &coi_image_templates[i];
      char name[128];
      snprintf (name, sizeof name, "templates/%s", tp->name);
      bad = coi_tar_add_file (t, name, tp->text, strlen (tp->text), 0644, err) < 0;
    }
  if (bad)
    {
      coi_tar_free (t);
      return -1;
    }
  return coi_tar_finish (t, NULL, err);
}

/* The rootfs tarball is written by a thread into a pipe that the upload
 * reads: no temporary copy of a gigabyte on disk, and tar and upload overlap. */
struct tar_job
{
  int fd;           /* write end, owned: closing it ends the tarball */
  const char *tree;
  long long bytes;
  coi_error_t err;
  int rc;
};

static void *tar_thread (void *p)
{
  struct tar_job *j = p;
  sigset_t pipe_sig;
  /* If the upload stops reading, writes fail with EPIPE instead of killing coi. */
  sigemptyset (&pipe_sig);
  sigaddset (&pipe_sig, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &pipe_sig, NULL);
  struct coi_tar *t = NULL;
  j->rc = coi_tar_open (&t, j->fd, &j->err);
  if (j->rc == 0 && coi_tar_add_tree (t, j->tree, ".", skip_contents, &j->err) < 0)
    {
      coi_tar_free (t);
      j->rc = -1;
    }
  else if (j->rc == 0)
    j->rc = coi_tar_finish (t, &j->bytes, &j->err);
  close (j->fd);
  return NULL;
}

/* An unlinked temporary file in the cache directory. */
static int scratch_file (struct coi_cache *cache, coi_error_t *err)
{
  int fd = open (cache->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return coi_error_errno (err, errno, "create a temporary file in %s", cache->dir);
  return fd;
}

static int import_tree (struct coi_build *b, struct coi_cache *cache, const char *rkey,
                        char **fingerprint, coi_error_t *err)
{
  _cleanup_free_ char *tree = coi_cache_layer_path (cache, "rootfs", rkey);
  _cleanup_free_ char *yaml = metadata_yaml (b, rkey);
  if (tree == NULL || yaml == NULL)
    return coi_error_errno (err, ENOMEM, "import the image");
  _cleanup_close_ int meta = scratch_file (cache, err);
  if (meta < 0 || write_meta_tar (meta, yaml, err) < 0)
    return -1;
  if (lseek (meta, 0, SEEK_SET) < 0)
    return coi_error_errno (err, errno, "import the image");

  coi_progress_step (&b->progress, "tar the tree and import it into Incus as '%s'", b->versioned);
  int pfd[2];
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return coi_error_errno (err, errno, "import the image");
  _cleanup_close_ int rootfs = pfd[0];
  struct tar_job job = { .fd = pfd[1], .tree = tree };
  pthread_t th;
  int pe = pthread_create (&th, NULL, tar_thread, &job);
  if (pe != 0)
    {
      close (pfd[1]);
      return coi_error_errno (err, pe, "import the image: start the tar thread");
    }
  const char *const aliases[] = { b->versioned, NULL };
  struct incus_image_import in = { .meta_fd = meta, .rootfs_fd = rootfs,
                                   .filename = "coi.tar", .aliases = aliases };
  int r = incus_image_import (b->c, &in, fingerprint, err);
  close (steal_fd (&rootfs)); /* unblocks a tar thread the upload gave up on */
  pthread_join (th, NULL);
  if (job.rc < 0)
    {
      /* A broken tarball is the cause of whatever the server said. */
      coi_error_release (err);
      *err = steal_pointer (&job.err);
      free (*fingerprint);
      *fingerprint = NULL;
      return -1;
    }
  if (r < 0)
    return -1;
  coi_progress_done (&b->progress, "%.0f MiB, fingerprint %.12s", (double) job.bytes / 1048576.0,
                     *fingerprint);
  return 0;
}

int coi_build_local (struct coi_build *b, char **fingerprint, coi_error_t *err)
{
  char dkey[17], rkey[17];
  if (geteuid () != 0)
    {
      coi_error_make (err, EPERM, "debootstrap and chroot need root");
      coi_error_set_hint (err, "run coi build as root (sudo), or use --base with an image server");
      return -1;
    }
  if (coi_recipe_key ("debootstrap", NULL, dkey, err) < 0
      || coi_recipe_key ("rootfs", &b->stage, rkey, err) < 0)
    return -1;

  __attribute__ ((cleanup (coi_cache_close))) struct coi_cache cache = { .lock_fd = -1 };
  if (coi_cache_open (&cache, err) < 0)
    return -1;
  if (coi_cache_fresh (&cache, "rootfs", rkey))
    fprintf (stderr, "==> using the cached tree %s/rootfs-%s\n", cache.dir, rkey);
  else
    {
      if (coi_cache_fresh (&cache, "debootstrap", dkey))
        fprintf (stderr, "==> using the cached debootstrap tree %s/debootstrap-%s\n", cache.dir,
                 dkey);
      else if (make_debootstrap (b, &cache, dkey, err) < 0)
        return -1;
      if (configure_tree (b, &cache, dkey, rkey, err) < 0)
        return -1;
    }
  return import_tree (b, &cache, rkey, fingerprint, err);
}
