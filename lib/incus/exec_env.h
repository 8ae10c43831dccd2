/* An exec's environment without the exec request: incusd puts a request's
 * environment on the command line of its `incusd forkexec` helper, where
 * every host user sees it in `ps` for as long as the command runs.  The
 * variables go in a 0600 file in the instance instead, and a constant bash
 * loader (the file and the command are its positional parameters, never
 * spliced into it) exports them, deletes the file and runs the command.
 * Values are then only in the processes' environments (/proc/PID/environ,
 * readable by their owner). */
#ifndef COI_INCUS_EXEC_ENV_H
#define COI_INCUS_EXEC_ENV_H

#include "incus/exec.h"

/* The start of every loader script: $1 is the file ("" for none), shifted
 * away; what follows in the script runs with the variables exported. */
#define INCUS_ENV_LOADER                                              \
  "f=$1; shift; if [ -n \"$f\" ]; then "                              \
  "while IFS= read -r -d '' kv; do export \"$kv\"; done < \"$f\"; "   \
  "rm -f -- \"$f\"; fi; "

#define INCUS_ENV_PATH_MAX 256

/* Write env ("KEY=VALUE", NULL-terminated; names [A-Za-z_][A-Za-z0-9_]*,
 * else a usage error that names the key, never the value) to a new file
 * with an unguessable name in `dir` of the instance, mode 0600, owned by
 * uid/gid (-1: root).  path[0] is '\0' when env is empty. */
int incus_env_file_push (struct incus_client *c, const char *inst, const char *dir, int uid,
                         int gid, const char *const *env, char path[INCUS_ENV_PATH_MAX],
                         coi_error_t *err);

/* bash -c SCRIPT coi-env ENVFILE CMD... (borrowed strings; caller frees the
 * array).  SCRIPT starts with INCUS_ENV_LOADER. */
const char **incus_env_wrap (const char *script, const char *envfile, const char *const *cmd);

/* Run o->argv with `env` passed as above (the file in `dir`, owned by
 * o->uid/o->gid), streaming like incus_exec, or collecting output like
 * incus_exec_capture when out or errb is set.  No env: exactly incus_exec.
 * An instance without bash fails with a message saying so. */
int incus_exec_with_env_file (struct incus_client *c, const char *inst,
                              const struct incus_exec_opts *o, const char *dir,
                              const char *const *env, struct buf *out, struct buf *errb,
                              int *exit_code, coi_error_t *err);

#endif
