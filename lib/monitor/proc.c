#include "monitor/proc.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/cleanup.h"

static ssize_t read_small (const char *path, char *buf, size_t max)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n;
  do
    n = read (fd, buf, max - 1);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  buf[n] = '\0';
  return n;
}

/* The fdinfo "tty-index" of a pty master, -1 when absent (older kernels). */
static int ptmx_index (pid_t pid, int fd)
{
  char path[64], buf[512];
  snprintf (path, sizeof path, "/proc/%d/fdinfo/%d", (int) pid, fd);
  if (read_small (path, buf, sizeof buf) < 0)
    return -1;
  const char *t = strstr (buf, "tty-index:");
  return t ? atoi (t + 10) : -1;
}

static void classify (pid_t pid, int fd, const char *target, struct coi_fd_ref *out)
{
  out->kind = COI_FD_OTHER;
  out->ino = 0;
  out->pts = -1;
  out->inet = -1;
  if (strncmp (target, "socket:[", 8) == 0)
    {
      out->kind = COI_FD_SOCKET;
      out->ino = strtoul (target + 8, NULL, 10);
    }
  else if (strncmp (target, "pipe:[", 6) == 0)
    {
      out->kind = COI_FD_PIPE;
      out->ino = strtoul (target + 6, NULL, 10);
    }
  else if (strcmp (target, "/dev/ptmx") == 0 || strcmp (target, "/dev/pts/ptmx") == 0)
    {
      out->kind = COI_FD_PTMX;
      out->pts = ptmx_index (pid, fd);
    }
  else if (strncmp (target, "/dev/pts/", 9) == 0 && isdigit ((unsigned char) target[9]))
    {
      out->kind = COI_FD_PTS;
      out->pts = atoi (target + 9);
    }
  else if (strcmp (target, "/dev/null") == 0)
    out->kind = COI_FD_NULL;
}

int coi_proc_fd (pid_t pid, int fd, struct coi_fd_ref *out)
{
  char path[64], target[256];
  snprintf (path, sizeof path, "/proc/%d/fd/%d", (int) pid, fd);
  ssize_t n = readlink (path, target, sizeof target - 1);
  if (n < 0)
    {
      *out = (struct coi_fd_ref) { COI_FD_NONE, 0, -1, -1 };
      return -1;
    }
  target[n] = '\0';
  classify (pid, fd, target, out);
  if (out->kind == COI_FD_SOCKET)
    {
      /* The socket's protocol name ("TCP", "UDPv6", "UNIX-STREAM"): a unix
       * socket is never in the inet table, and need not be looked for. */
      char proto[32];
      ssize_t len = getxattr (path, "system.sockprotoname", proto, sizeof proto - 1);
      if (len > 0)
        {
          proto[len] = '\0';
          out->inet = strncmp (proto, "TCP", 3) == 0 || strncmp (proto, "UDP", 3) == 0;
        }
    }
  return 0;
}

int coi_proc_read (pid_t pid, bool with_stdio, struct coi_proc *p)
{
  char path[64], buf[1024];
  memset (p, 0, sizeof *p);
  p->pid = pid;
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  if (read_small (path, buf, sizeof buf) < 0)
    return -1;
  /* comm may hold spaces and parentheses: it ends at the last ')'. */
  char *open_paren = strchr (buf, '(');
  char *close_paren = strrchr (buf, ')');
  if (open_paren == NULL || close_paren == NULL || close_paren < open_paren)
    {
      errno = EINVAL;
      return -1;
    }
  size_t clen = (size_t) (close_paren - open_paren - 1);
  if (clen >= sizeof p->comm)
    clen = sizeof p->comm - 1;
  memcpy (p->comm, open_paren + 1, clen);
  p->comm[clen] = '\0';
  /* Fields after comm: state(3) ppid(4) ... starttime(22). */
  char *save = NULL;
  int field = 3;
  for (char *tok = strtok_r (close_paren + 1, " ", &save); tok; tok = strtok_r (NULL, " ", &save), field++)
    {
      if (field == 4)
        p->ppid = (pid_t) atoi (tok);
      else if (field == 22)
        {
          p->start = strtoull (tok, NULL, 10);
          break;
        }
    }
  struct stat st;
  snprintf (path, sizeof path, "/proc/%d", (int) pid);
  if (stat (path, &st) == 0)
    p->uid = st.st_uid;
  if (!with_stdio)
    return 0;
  for (int fd = 0; fd < 3; fd++)
    coi_proc_fd (pid, fd, &p->stdio[fd]);
  char exe[256];
  snprintf (path, sizeof path, "/proc/%d/exe", (int) pid);
  ssize_t n = readlink (path, exe, sizeof exe - 1);
  if (n > 0)
    {
      exe[n] = '\0';
      /* A replaced binary reads "/usr/bin/x (deleted)". */
      char *del = strstr (exe, " (deleted)");
      if (del)
        *del = '\0';
      const char *base = strrchr (exe, '/');
      base = base ? base + 1 : exe;
      size_t blen = strnlen (base, sizeof p->exe - 1);
      memcpy (p->exe, base, blen);
      p->exe[blen] = '\0';
    }
  return 0;
}

ssize_t coi_proc_cmdline (pid_t pid, char *buf, size_t max)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
  ssize_t n = read_small (path, buf, max);
  if (n < 0)
    return -1;
  while (n > 0 && buf[n - 1] == '\0')
    n--;
  for (ssize_t i = 0; i < n; i++)
    if (buf[i] == '\0')
      buf[i] = ' ';
  buf[n] = '\0';
  return n;
}

unsigned long coi_proc_ns (pid_t pid, const char *ns)
{
  char path[64];
  struct stat st;
  snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, ns);
  return stat (path, &st) == 0 ? (unsigned long) st.st_ino : 0;
}

int coi_proc_each_fd (pid_t pid, int (*fn) (int fd, const struct coi_fd_ref *ref, void *data),
                      void *data)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/fd", (int) pid);
  _cleanup_closedir_ DIR *d = opendir (path);
  if (d == NULL)
    return -1;
  struct dirent *e;
  while ((e = readdir (d)) != NULL)
    {
      if (!isdigit ((unsigned char) e->d_name[0]))
        continue;
      int fd = atoi (e->d_name);
      char target[256];
      ssize_t n = readlinkat (dirfd (d), e->d_name, target, sizeof target - 1);
      if (n < 0)
        continue;
      target[n] = '\0';
      struct coi_fd_ref ref;
      classify (pid, fd, target, &ref);
      int r = fn (fd, &ref, data);
      if (r)
        return r;
    }
  return 0;
}

/* name matches one of the bases exactly or followed by a version ("python3.11", "perl5.36.0"). */
static bool name_in (const char *name, const char *const *bases)
{
  for (const char *const *b = bases; *b; b++)
    {
      size_t n = strlen (*b);
      if (strncmp (name, *b, n) != 0)
        continue;
      const char *rest = name + n;
      if (*rest == '\0')
        return true;
      if (strspn (rest, "0123456789.") == strlen (rest))
        return true;
    }
  return false;
}

static const char *const shells[] = {
  "sh", "bash", "dash", "zsh", "ksh", "ksh93", "mksh", "ash", "fish", "tcsh", "csh", "busybox", "rbash",
  "python", "perl", "ruby", "php", "lua", "luajit", "node", "nodejs", "pwsh", "tclsh", "expect", "awk",
  "gawk", "mawk", "nawk", "irb", "jrunscript", NULL,
};

static const char *const relays[] = {
  "nc", "ncat", "netcat", "nc.traditional", "nc.openbsd", "socat", "openssl", "telnet", "cryptcat",
  "pwncat", "busybox", NULL,
};

bool coi_name_is_shell (const char *name)
{
  return name_in (name, shells);
}

bool coi_proc_is_shell (const struct coi_proc *p)
{
  return name_in (p->comm, shells) || (p->exe[0] && name_in (p->exe, shells)) || p->same_as[0];
}

bool coi_proc_is_relay (const struct coi_proc *p)
{
  return name_in (p->comm, relays) || (p->exe[0] && name_in (p->exe, relays));
}
