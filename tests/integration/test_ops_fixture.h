/* Shared by the operations integration tests (files, snapshots): containers
 * named coi-test-ops-<kind>-<pid>-*, always deleted (the tests run in a child
 * process and the parent cleans up whatever way the child ended), the incus
 * CLI as an independent witness, and small host helpers. */
#ifndef COI_TEST_OPS_FIXTURE_H
#define COI_TEST_OPS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incus/client.h"
#include "util/buf.h"

static inline const char *ops_errmsg (coi_error_t *err)
{
  return *err && (*err)->msg ? (*err)->msg : "?";
}

#define OPS_OK(call, errp)                                   \
  do                                                         \
    {                                                        \
      if ((call) < 0)                                        \
        fail_msg ("%s: %s", #call, ops_errmsg (errp));       \
    }                                                        \
  while (0)

/* "coi-test-ops-<kind>-<pid>": every container of this run starts with it. */
const char *ops_prefix (void);

/* Run the group in a child; afterwards delete every container of this run
 * and the scratch directory.  Returns the exit status for main. */
int ops_main (const char *kind, const struct CMUnitTest *tests, size_t n,
              CMFixtureFunction setup, CMFixtureFunction teardown);

/* A group's fixture: a client, a started container <prefix>-<run>, when
 * `stopped` is set a never-started one <prefix>-<stopped>, and a scratch
 * directory.  For cmocka group setup/teardown. */
struct ops_state
{
  struct incus_client *c;
  char *inst;
  char *inst2;
  char *dir;
};
struct ops_state *ops_state_new (const char *run, const char *stopped, const char *scratch);
void ops_state_free (struct ops_state *st);
/* "dir/rel" (caller frees). */
char *ops_path (const char *dir, const char *rel);

/* Open a client to the local server (fails the test on error). */
struct incus_client *ops_client (void);
/* Create (and start, unless !start) "<prefix>-<suffix>" from the test image;
 * *name receives the full name (caller frees). */
void ops_launch (struct incus_client *c, const char *suffix, int start, char **name);

/* Run argv (the incus CLI as witness), stdout into out (may be NULL).
 * Returns the exit status. */
int ops_run (struct buf *out, const char *const *argv);
/* `incus exec NAME -- sh -c SCRIPT` with a fixed script; returns the status. */
int ops_sh (const char *name, const char *script, struct buf *out);

/* A fresh scratch directory under /tmp for this run (caller frees). */
char *ops_scratch (const char *what);
/* sha256 of a host file as 64 hex chars. */
void ops_sha256_file (const char *path, char out[65]);
/* Write len pseudo-random bytes (seeded) to path with mode. */
void ops_write_random (const char *path, size_t len, unsigned seed, unsigned mode);

#endif
