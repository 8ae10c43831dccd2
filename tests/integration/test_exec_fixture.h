/* The container the exec tests run in: coi-test-exec-<pid> from the test image,
 * made by the group setup and deleted by the group teardown.  Leftovers of
 * test processes that no longer exist are removed first. */
#ifndef COI_TEST_EXEC_FIXTURE_H
#define COI_TEST_EXEC_FIXTURE_H

#include "incus/client.h"
#include "util/error.h"

#define EXEC_TEST_PREFIX "coi-test-exec-"

struct exec_fixture
{
  struct incus_client *c;
  char name[64];
};

/* cmocka group setup and teardown; *state becomes a struct exec_fixture. */
int exec_fixture_setup (void **state);
int exec_fixture_teardown (void **state);

static inline const char *exec_errmsg (coi_error_t *err)
{
  return *err && (*err)->msg ? (*err)->msg : "?";
}

#endif
