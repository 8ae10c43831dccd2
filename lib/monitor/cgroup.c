#include "monitor/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"

#define CG_ROOT "/sys/fs/cgroup"

void coi_cgroup_clear (struct coi_cgroup *cg)
{
  free (cg->pids_dir);
  free (cg->io_file);
  free (cg->cpu_file);
  free (cg->mem_file);
  memset (cg, 0, sizeof *cg);
}

/* The path of init's cgroup for one v1 controller (or "" for v2), cut back
 * to the container's own node: init sits in ".../lxc.payload.<name>/init.scope"
 * while limits and totals are kept at "lxc.payload.<name>". */
static char *container_path (const char *cgroup_file, const char *controller, const char *name)
{
  _cleanup_fclose_ FILE *f = fopen (cgroup_file, "re");
  if (f == NULL)
    return NULL;
  char line[1024];
  char payload[128];
  snprintf (payload, sizeof payload, "/lxc.payload.%s", name);
  while (fgets (line, sizeof line, f))
    {
      line[strcspn (line, "\n")] = '\0';
      char *c1 = strchr (line, ':');
      char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 == NULL)
        continue;
      *c2 = '\0';
      const char *ctrls = c1 + 1, *path = c2 + 1;
      bool match = false;
      if (*controller == '\0')
        match = strcmp (line, "0") == 0 && *ctrls == '\0';
      else
        {
          _cleanup_free_ char *copy = strdup (ctrls);
          char *save = NULL;
          for (char *t = copy ? strtok_r (copy, ",", &save) : NULL; t; t = strtok_r (NULL, ",", &save))
            if (strcmp (t, controller) == 0)
              match = true;
        }
      if (!match)
        continue;
      char *cut = strstr (path, payload);
      if (cut && (cut[strlen (payload)] == '/' || cut[strlen (payload)] == '\0'))
        cut[strlen (payload)] = '\0';
      return strdup (path);
    }
  return NULL;
}

static char *controller_dir (pid_t init_pid, const char *controller, const char *mount, const char *name)
{
  char file[64];
  snprintf (file, sizeof file, "/proc/%d/cgroup", (int) init_pid);
  _cleanup_free_ char *path = container_path (file, controller, name);
  char *dir = NULL;
  if (path == NULL || asprintf (&dir, "%s/%s%s", CG_ROOT, mount, path) < 0)
    return NULL;
  struct stat st;
  if (stat (dir, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      free (dir);
      return NULL;
    }
  return dir;
}

static char *join (const char *dir, const char *file)
{
  char *p = NULL;
  if (dir == NULL || asprintf (&p, "%s/%s", dir, file) < 0)
    return NULL;
  return p;
}

int coi_cgroup_find (struct coi_cgroup *cg, pid_t init_pid, const char *name, coi_error_t *err)
{
  memset (cg, 0, sizeof *cg);
  struct stat st;
  cg->v2 = stat (CG_ROOT "/cgroup.controllers", &st) == 0;
  if (cg->v2)
    {
      _cleanup_free_ char *dir = controller_dir (init_pid, "", "", name);
      cg->pids_dir = dir ? strdup (dir) : NULL;
      cg->io_file = join (dir, "io.stat");
      cg->cpu_file = join (dir, "cpu.stat");
      cg->mem_file = join (dir, "memory.current");
    }
  else
    {
      cg->pids_dir = controller_dir (init_pid, "pids", "pids", name);
      _cleanup_free_ char *blkio = controller_dir (init_pid, "blkio", "blkio", name);
      _cleanup_free_ char *cpu = controller_dir (init_pid, "cpuacct", "cpuacct", name);
      _cleanup_free_ char *mem = controller_dir (init_pid, "memory", "memory", name);
      cg->io_file = join (blkio, "blkio.throttle.io_service_bytes_recursive");
      cg->cpu_file = join (cpu, "cpuacct.usage");
      cg->mem_file = join (mem, "memory.usage_in_bytes");
    }
  if (cg->pids_dir == NULL)
    {
      coi_cgroup_clear (cg);
      return coi_error_make (err, ENOENT, "find the cgroup of container %s (init pid %d)", name, (int) init_pid);
    }
  return 0;
}

static int push_pid (pid_t **pids, size_t *n, size_t *cap, pid_t pid)
{
  if (*n == *cap)
    {
      size_t nc = *cap ? *cap * 2 : 64;
      pid_t *np = realloc (*pids, nc * sizeof *np);
      if (np == NULL)
        return -1;
      *pids = np;
      *cap = nc;
    }
  (*pids)[(*n)++] = pid;
  return 0;
}

static int walk (int dirfd_, pid_t **pids, size_t *n, size_t *cap, int depth)
{
  /* A container can nest cgroups, but not without end: bound the walk. */
  if (depth > 16)
    return 0;
  int pfd = openat (dirfd_, "cgroup.procs", O_RDONLY | O_CLOEXEC);
  if (pfd >= 0)
    {
      _cleanup_fclose_ FILE *f = fdopen (pfd, "re");
      if (f == NULL)
        {
          close (pfd);
          return -1;
        }
      char line[32];
      while (fgets (line, sizeof line, f))
        if (push_pid (pids, n, cap, (pid_t) atoi (line)) < 0)
          return -1;
    }
  int dfd = dup (dirfd_);
  if (dfd < 0)
    return -1;
  _cleanup_closedir_ DIR *d = fdopendir (dfd);
  if (d == NULL)
    {
      close (dfd);
      return -1;
    }
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      if (e->d_type != DT_DIR || e->d_name[0] == '.')
        continue;
      _cleanup_close_ int sub = openat (dirfd (d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (sub < 0)
        continue; /* removed meanwhile */
      if (walk (sub, pids, n, cap, depth + 1) < 0)
        return -1;
    }
  return 0;
}

int coi_cgroup_pids (const struct coi_cgroup *cg, pid_t **pids, size_t *n, size_t *cap)
{
  *n = 0;
  _cleanup_close_ int dfd = open (cg->pids_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return -1;
  return walk (dfd, pids, n, cap, 0);
}

static ssize_t read_text (const char *path, char *buf, size_t max)
{
  if (path == NULL)
    return -1;
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n = read (fd, buf, max - 1);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return n;
}

static uint64_t read_u64 (const char *path)
{
  char buf[64];
  return read_text (path, buf, sizeof buf) > 0 ? strtoull (buf, NULL, 10) : 0;
}

/* Sum "<dev> Read N" / "<dev> Write N" lines (v1), or rbytes=/wbytes= (v2). */
static void parse_io (const char *text, bool v2, uint64_t *rd, uint64_t *wr)
{
  *rd = *wr = 0;
  for (const char *line = text; line && *line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    {
      if (v2)
        {
          const char *r = strstr (line, "rbytes="), *w = strstr (line, "wbytes=");
          const char *eol = strchr (line, '\n');
          if (r && (!eol || r < eol))
            *rd += strtoull (r + 7, NULL, 10);
          if (w && (!eol || w < eol))
            *wr += strtoull (w + 7, NULL, 10);
          continue;
        }
      char dev[32], op[16];
      unsigned long long v;
      if (sscanf (line, "%31s %15s %llu", dev, op, &v) != 3)
        continue;
      if (strcmp (op, "Read") == 0)
        *rd += v;
      else if (strcmp (op, "Write") == 0)
        *wr += v;
    }
}

void coi_cgroup_stats (const struct coi_cgroup *cg, struct coi_cgroup_stats *s)
{
  char buf[8192];
  memset (s, 0, sizeof *s);
  s->tasks = -1;
  s->tasks_max = -1;
  _cleanup_free_ char *cur = join (cg->pids_dir, "pids.current");
  _cleanup_free_ char *max = join (cg->pids_dir, "pids.max");
  _cleanup_free_ char *events = join (cg->pids_dir, "pids.events");
  if (read_text (cur, buf, sizeof buf) > 0)
    s->tasks = atol (buf);
  if (read_text (max, buf, sizeof buf) > 0 && strncmp (buf, "max", 3) != 0)
    s->tasks_max = atol (buf);
  if (read_text (events, buf, sizeof buf) > 0)
    {
      const char *m = strstr (buf, "max ");
      if (m)
        s->fork_failures = atol (m + 4);
    }
  if (read_text (cg->io_file, buf, sizeof buf) > 0)
    parse_io (buf, cg->v2, &s->io_read_bytes, &s->io_write_bytes);
  if (cg->v2)
    {
      if (read_text (cg->cpu_file, buf, sizeof buf) > 0)
        {
          const char *u = strstr (buf, "usage_usec ");
          if (u)
            s->cpu_ns = strtoull (u + 11, NULL, 10) * 1000ULL;
        }
    }
  else
    s->cpu_ns = read_u64 (cg->cpu_file);
  s->mem_bytes = read_u64 (cg->mem_file);
}
