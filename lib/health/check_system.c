/* SYSTEM: the host itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "health/health_private.h"
#include "util/cleanup.h"

int health_check_os (struct health_run *run, const struct health_def *d)
{
  struct utsname u;
  if (uname (&u) < 0)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "unknown (uname failed)");
  return health_add (run, d, COI_HEALTH_OK, NULL, NULL, "%s %s (%s)", u.sysname, u.release,
                     u.machine);
}

/* Does `file` (subuid(5) format) let root map `id`?  1 yes, 0 no, -1 with
 * errno when it cannot be read. */
static int maps_id (const char *file, unsigned long id)
{
  _cleanup_fclose_ FILE *f = fopen (file, "re");
  if (f == NULL)
    return errno == ENOENT ? 0 : -1;
  char line[256];
  while (fgets (line, sizeof line, f))
    {
      char *save = NULL;
      const char *who = strtok_r (line, ":", &save);
      const char *start = strtok_r (NULL, ":", &save);
      const char *count = strtok_r (NULL, ":\n", &save);
      if (who == NULL || start == NULL || count == NULL
          || (strcmp (who, "root") != 0 && strcmp (who, "0") != 0))
        continue;
      char *e1, *e2;
      unsigned long s = strtoul (start, &e1, 10), n = strtoul (count, &e2, 10);
      if (*e1 == '\0' && *e2 == '\0' && id >= s && id - s < n)
        return 1;
    }
  return ferror (f) ? -1 : 0;
}

/* coi maps the workspace owner onto the container's code user with
 * raw.idmap whenever they differ; Incus allows that only for ids root may
 * map (it reads /etc/subuid and /etc/subgid when it starts). */
int health_check_subids (struct health_run *run, const struct health_def *d)
{
  const struct coi_health_input *in = run->in;
  long long code = health_cfg_int (run, "incus.code_uid", 1000);
  if ((long long) in->uid == code)
    return health_add (run, d, COI_HEALTH_OK, NULL, NULL,
                       "not needed: uid %u is the container's code user", (unsigned) in->uid);
  const char *files[2] = { in->subuid_path, in->subgid_path };
  unsigned long ids[2] = { in->uid, in->gid };
  for (int i = 0; i < 2; i++)
    {
      int r = maps_id (files[i], ids[i]);
      if (r < 0)
        return health_add (run, d, COI_HEALTH_FAIL, in->setup_command, NULL, "cannot read %s: %s",
                           files[i], strerror (errno));
      if (r == 0)
        return health_add (run, d, COI_HEALTH_FAIL, in->setup_command, NULL,
                           "no root:%lu:1 in %s: a workspace of %s %lu needs it for raw.idmap",
                           ids[i], files[i], i ? "gid" : "uid", ids[i]);
    }
  return health_add (run, d, COI_HEALTH_OK, NULL, NULL,
                     "root may map uid %u (%s) and gid %u (%s) for raw.idmap",
                     (unsigned) in->uid, in->subuid_path, (unsigned) in->gid, in->subgid_path);
}
