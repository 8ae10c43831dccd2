/* What the host's /proc says about one process of a container: identity,
 * parent, and what its standard descriptors are. */
#ifndef COI_MONITOR_PROC_H
#define COI_MONITOR_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum coi_fd_kind
{
  COI_FD_NONE,   /* closed or unreadable */
  COI_FD_SOCKET, /* socket:[ino] */
  COI_FD_PIPE,   /* pipe:[ino] (also FIFOs opened by path? no: those are files) */
  COI_FD_PTS,    /* /dev/pts/N */
  COI_FD_PTMX,   /* /dev/ptmx or /dev/pts/ptmx: a pty master */
  COI_FD_NULL,   /* /dev/null */
  COI_FD_OTHER,
};

struct coi_fd_ref
{
  enum coi_fd_kind kind;
  unsigned long ino; /* socket or pipe inode; FIFO inode for named pipes */
  int pts;           /* pty index for PTS/PTMX, else -1 */
  int inet;          /* sockets of fds 0-2: 1 TCP/UDP, 0 another family (unix: journald), -1 unknown */
};

struct coi_proc
{
  pid_t pid;
  pid_t ppid;
  uid_t uid;               /* host uid (1000000 = container root here) */
  unsigned long long start; /* start time in clock ticks since boot: tells pid reuse apart */
  char comm[16];
  char exe[64];            /* basename of /proc/PID/exe, "" when unreadable */
  struct coi_fd_ref stdio[3];
  /* Set by whoever compared the exe with the container's shells (exeid.h):
   * the shell or interpreter it is the same program as, "" when none. */
  char same_as[64];
};

/* Read stat (ppid, comm, start) and, when `with_stdio`, fds 0-2 and exe.
 * -1 with errno when the process is gone or unreadable. */
int coi_proc_read (pid_t pid, bool with_stdio, struct coi_proc *p);
/* What fd `fd` of pid refers to. */
int coi_proc_fd (pid_t pid, int fd, struct coi_fd_ref *out);
/* The command line with NULs as spaces, at most max-1 bytes; returns the length, -1 if gone. */
ssize_t coi_proc_cmdline (pid_t pid, char *buf, size_t max);
/* Inode of /proc/PID/ns/<ns> (e.g. "pid", "net"); 0 when unreadable. */
unsigned long coi_proc_ns (pid_t pid, const char *ns);

/* Call fn for each open descriptor of pid, stopping when fn returns non-zero
 * (that value is returned).  -1 when the fd directory cannot be read. */
int coi_proc_each_fd (pid_t pid, int (*fn) (int fd, const struct coi_fd_ref *ref, void *data),
                      void *data);

/* Shells and script interpreters, what a reverse shell runs: by name (comm
 * or exe) or by identity (same_as). */
bool coi_proc_is_shell (const struct coi_proc *p);
/* By name alone: "bash", "python3.11", "perl5.36.0", ... */
bool coi_name_is_shell (const char *name);
/* Network relays that can hand a socket to a shell (socat, nc, ...). */
bool coi_proc_is_relay (const struct coi_proc *p);

#endif
