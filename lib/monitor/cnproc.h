/* Exec, fork and exit events of every process on the host, from the proc
 * connector (NETLINK_CONNECTOR, CN_IDX_PROC; needs CAP_NET_ADMIN).  They
 * arrive within milliseconds, so a new shell is judged as it starts. */
#ifndef COI_MONITOR_CNPROC_H
#define COI_MONITOR_CNPROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

enum coi_pev_kind
{
  COI_PEV_FORK,
  COI_PEV_EXEC,
  COI_PEV_EXIT,
};

struct coi_pev
{
  enum coi_pev_kind kind;
  pid_t pid;   /* the thread (child for fork) */
  pid_t tgid;  /* its process */
  pid_t parent_tgid; /* fork only */
};

/* Subscribe; the returned socket is non-blocking.  *filtered tells whether
 * the kernel sends exec events only (Linux >= 6.6); otherwise fork and exit
 * events come too. */
int coi_cnproc_open (int *fd, bool *filtered, coi_error_t *err);

/* Drain pending events into fn.  *lost is set when the kernel dropped some
 * (ENOBUFS): the caller should rescan.  0, or -1 on a hard error. */
int coi_cnproc_read (int fd, void (*fn) (const struct coi_pev *ev, void *data), void *data,
                     bool *lost);

#endif
