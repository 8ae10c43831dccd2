/* A container's cgroups, read from the host: its processes and cheap
 * counters.  Works on cgroup v1 (this host's hybrid layout: pids, blkio,
 * cpuacct, memory controllers) and on a pure v2 host. */
#ifndef COI_MONITOR_CGROUP_H
#define COI_MONITOR_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

struct coi_cgroup
{
  bool v2;
  char *pids_dir; /* where cgroup.procs (recursively), pids.current/max/events live */
  char *io_file;  /* blkio.throttle.io_service_bytes_recursive or io.stat */
  char *cpu_file; /* cpuacct.usage (ns) or cpu.stat (usage_usec) */
  char *mem_file; /* memory.usage_in_bytes or memory.current */
};

struct coi_cgroup_stats
{
  long tasks;             /* pids.current: processes and threads; -1 unknown */
  long tasks_max;         /* pids.max; -1 = max or unknown */
  long fork_failures;     /* pids.events "max": forks refused at the limit */
  uint64_t io_read_bytes; /* block I/O attributed to the container */
  uint64_t io_write_bytes;
  uint64_t cpu_ns;
  uint64_t mem_bytes;
};

/* Locate the cgroups of the container whose init is init_pid.  name is the
 * instance name (LXC puts it in "lxc.payload.<name>"). */
int coi_cgroup_find (struct coi_cgroup *cg, pid_t init_pid, const char *name, coi_error_t *err);
void coi_cgroup_clear (struct coi_cgroup *cg);

/* All pids in the container's cgroup tree (cgroup.procs, recursively).
 * *pids is grown as needed (caller frees). */
int coi_cgroup_pids (const struct coi_cgroup *cg, pid_t **pids, size_t *n, size_t *cap);

/* Counters; missing files leave zero (or -1 for tasks). */
void coi_cgroup_stats (const struct coi_cgroup *cg, struct coi_cgroup_stats *s);

#endif
