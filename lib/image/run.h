/* Running the build's host programs (debootstrap, cp) and the recipe inside
 * a chroot: argv arrays only, output to a log file, progress lines shown. */
#ifndef COI_IMAGE_RUN_H
#define COI_IMAGE_RUN_H

#include <stdbool.h>

#include "util/error.h"

struct coi_run
{
  const char *const *argv;  /* argv[0] is looked up in PATH unless it has a '/' */
  const char *const *env;   /* NULL-terminated "K=V" list; NULL keeps ours */
  /* Run inside this root, with /proc, /sys, /dev, /dev/pts and /run mounted in
   * a private mount namespace: they vanish with the process, even if coi is
   * killed. */
  const char *chroot_dir;
  int log_fd;               /* every output line goes here (-1: nowhere) */
  /* Lines starting with this are also shown on stderr as progress. */
  const char *progress_prefix;
  bool echo_all;            /* show every line (COI_BUILD_VERBOSE) */
};

/* Run to completion.  A non-zero exit is an error whose message names the
 * program and status; the log's last lines are printed to stderr first. */
int coi_run (const struct coi_run *r, coi_error_t *err);

/* Read fd to its end, treating each line as coi_run treats the output of
 * its program (only log_fd, progress_prefix and echo_all are used). */
void coi_run_pump (const struct coi_run *r, int fd);

/* Print the last `n` lines of the log behind fd to stderr. */
void coi_run_log_tail (int log_fd, int n);

#endif
