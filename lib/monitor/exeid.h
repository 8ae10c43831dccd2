/* What a program is, whatever it is called: the identity of an executable
 * file (its ELF build-id, else its size and a hash of its first bytes), and
 * the identities of the shells and interpreters a container has installed.
 * A copy, a hard link or a rename of /bin/bash is still bash. */
#ifndef COI_MONITOR_EXEID_H
#define COI_MONITOR_EXEID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* How much of a file is read: ELF headers and the build-id note are in the
 * first page of what common linkers write. */
#define COI_EXE_HEAD 16384

struct coi_exe_id
{
  off_t size;
  uint64_t head_hash; /* FNV-1a of the first COI_EXE_HEAD bytes */
  uint8_t build_id[64];
  size_t build_id_len; /* 0: none found */
};

/* The identity of a file whose first n bytes are head and whose size is size. */
void coi_exe_id_parse (const void *head, size_t n, off_t size, struct coi_exe_id *id);
/* A build-id on both sides decides; without one on either side, size and
 * head hash must match. */
bool coi_exe_id_same (const struct coi_exe_id *a, const struct coi_exe_id *b);
/* The identity of an open regular file; -1 with errno otherwise. */
int coi_exe_id_fd (int fd, struct coi_exe_id *id);
/* The identity of what pid runs (/proc/PID/exe: the mapped file itself,
 * even when deleted or a memfd); -1 with errno when gone or unreadable. */
int coi_exe_id_pid (pid_t pid, struct coi_exe_id *id);

struct coi_exe_ref
{
  struct coi_exe_id id;
  char path[64]; /* where it was found in the root; the file itself rather than a link to it */
  bool via_link;
};

/* Shells, script interpreters and the dynamic loader (which runs any program
 * it is given) found under a root.  Entries are only added: a shell the
 * container deletes after copying it stays known. */
struct coi_exe_catalog
{
  struct coi_exe_ref *v;
  size_t n, cap;
};

#define COI_EXE_CATALOG_MAX 256

/* Add what rootfd (a directory: a container's /proc/PID/root) has in its
 * bin, sbin and loader directories under a shell's or interpreter's name;
 * every path is resolved inside rootfd.  Returns how many were added. */
int coi_exe_catalog_scan (struct coi_exe_catalog *c, int rootfd, coi_error_t *err);
/* The catalog entry id is the same program as, or NULL. */
const struct coi_exe_ref *coi_exe_catalog_find (const struct coi_exe_catalog *c, const struct coi_exe_id *id);
void coi_exe_catalog_free (struct coi_exe_catalog *c);

#endif
