/* Writing container-supplied trees onto the host without trusting them:
 * everything happens relative to directory fds, final components are never
 * followed, names from the peer are validated, and new entries appear only
 * through O_EXCL creation or a rename of our own temporary names. */
#ifndef COI_INCUS_PATHSAFE_H
#define COI_INCUS_PATHSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "util/error.h"

/* Prefix of every temporary name we create; a crashed pull leaves only these. */
#define PATHSAFE_TMP_PREFIX ".coi-tmp-"

/* A single directory entry name from an untrusted peer: 1..NAME_MAX bytes, no
 * '/', no control character (C0 including NUL, DEL, or C1 in UTF-8) within
 * len, and not "." or "..".  Such names could not be shown in a warning or
 * a listing without the terminal acting on them. */
bool pathsafe_name_ok (const char *name, size_t len);

/* Bytes of the control character that starts s (left bytes remain), or 0. */
size_t pathsafe_control_len (const char *s, size_t left);

/* Permission bits safe to give a file from a container on the host:
 * mode & 0755, so no setuid, setgid or sticky bit and never group- or
 * world-writable (at most 0755, and 0644 for a file without x bits). */
mode_t pathsafe_host_mode (unsigned long mode);

/* Open the directory `name` inside dirfd without following a symlink there.
 * Returns the fd, or -1 with errno (ELOOP/ENOTDIR for a symlink or a file). */
int pathsafe_open_dir (int dirfd, const char *name);

/* Create a new, uniquely named file (mode 0600, O_EXCL|O_NOFOLLOW) or directory
 * (mode 0700) in dirfd.  *name receives the name (caller frees), *fd an open
 * fd (O_WRONLY for a file, O_DIRECTORY for a directory). */
int pathsafe_tmp_file (int dirfd, char **name, int *fd, coi_error_t *err);
int pathsafe_tmp_dir (int dirfd, char **name, int *fd, coi_error_t *err);

/* Remove dirfd/name and, if it is a directory, everything below it, with
 * unlinkat only: a symlink met on the way is removed, never followed.
 * Missing is not an error.  Returns 0 or -1 with errno. */
int pathsafe_remove_tree (int dirfd, const char *name);

/* Split a user-supplied local path into an O_PATH fd of its parent directory
 * (the user's own path, so symlinks in the parent are honoured) and its last
 * component (caller frees).  Trailing slashes are ignored; "/" and paths
 * ending in "." or ".." are refused because they name no new entry. */
int pathsafe_open_parent (const char *path, int *dirfd, char **base, coi_error_t *err);

#endif
