/* MONITORING: the security monitor and its audit log. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "health/health_private.h"
#include "util/cleanup.h"

int health_check_monitor (struct health_run *run, const struct health_def *d)
{
  bool on = health_cfg_bool (run, "monitoring.enabled", false);
  const char *origin = run->in->config ? coi_config_origin (run->in->config, "monitoring.enabled") : NULL;
  if (!on)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "off (monitoring.enabled = false, %s)",
                       origin ? origin : "default");
  /* The guard runs every supervisor, root's sessions' too: whether it
     answers is the guard line's to say. */
  return health_add (run, d, COI_HEALTH_OK, NULL, NULL,
                     "on (%s): the guard's supervisor watches each session's processes, files and network (see guard)",
                     origin ? origin : "default");
}

int health_check_audit (struct health_run *run, const struct health_def *d)
{
  const struct coi_health_input *in = run->in;
  _cleanup_free_ char *dir = NULL;
  if (asprintf (&dir, "%s/audit", in->state_dir) < 0)
    return -1;
  _cleanup_closedir_ DIR *dd = opendir (dir);
  if (dd == NULL && errno == ENOENT)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "no audit logs yet (%s)", dir);
  _cleanup_free_ char *fix = NULL;
  if (asprintf (&fix, "sudo chown -R %u:%u %s", (unsigned) in->uid, (unsigned) in->gid, in->state_dir) < 0)
    return -1;
  if (dd == NULL || access (dir, W_OK | X_OK) < 0)
    return health_add (run, d, COI_HEALTH_FAIL, fix, NULL, "cannot write %s: %s", dir, strerror (errno));
  size_t n = 0;
  unsigned long long bytes = 0;
  struct dirent *de;
  while ((de = readdir (dd)))
    {
      struct stat st;
      size_t len = strlen (de->d_name);
      if (len > 6 && strcmp (de->d_name + len - 6, ".jsonl") == 0
          && fstatat (dirfd (dd), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          n++;
          bytes += (unsigned long long) st.st_size;
        }
    }
  char size[16];
  return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "%zu audit log%s, %s, in %s", n,
                     n == 1 ? "" : "s", health_bytes (bytes, size), dir);
}
