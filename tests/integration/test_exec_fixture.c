#include "test_exec_fixture.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "incus/instance.h"
#include "test_image.h"
#include "util/cleanup.h"

extern char **environ;

/* Containers named after a test process that no longer exists are left over
 * from a crash; ones of live processes belong to a parallel run. */
static void delete_stale (struct incus_client *c)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *list = NULL;
  if (incus_instance_list (c, 0, NULL, &list, &err) < 0)
    return;
  size_t i;
  json_t *v;
  json_array_foreach (list, i, v)
  {
    const char *url = json_string_value (v);
    const char *name = url ? strrchr (url, '/') : NULL;
    if (name == NULL || strncmp (name + 1, EXEC_TEST_PREFIX, strlen (EXEC_TEST_PREFIX)) != 0)
      continue;
    name++;
    char *end = NULL;
    long pid = strtol (name + strlen (EXEC_TEST_PREFIX), &end, 10);
    if (pid <= 0 || *end != '\0' || kill ((pid_t) pid, 0) == 0 || errno == EPERM)
      continue;
    _cleanup_error_ coi_error_t e2 = NULL;
    (void) incus_instance_force_delete (c, name, &e2);
  }
}

int exec_fixture_setup (void **state)
{
  static struct exec_fixture f;
  _cleanup_error_ coi_error_t err = NULL;
  if (incus_client_open (&f.c, NULL, NULL, (const char *const *) environ, &err) < 0)
    {
      fprintf (stderr, "cannot open client: %s\n", exec_errmsg (&err));
      return -1;
    }
  delete_stale (f.c);
  if (coi_test_image_check (f.c) < 0)
    {
      incus_client_free (f.c);
      f.c = NULL;
      return -1;
    }
  snprintf (f.name, sizeof f.name, EXEC_TEST_PREFIX "%ld", (long) getpid ());
  _cleanup_json_ json_t *body = json_pack ("{s:s, s:{s:s, s:s}, s:b}", "name", f.name, "source",
                                           "type", "image", "alias", coi_test_image (), "start", 1);
  if (body == NULL || incus_instance_create (f.c, body, &err) < 0)
    {
      fprintf (stderr, "cannot create %s: %s\n", f.name, exec_errmsg (&err));
      (void) incus_instance_force_delete (f.c, f.name, &err);
      incus_client_free (f.c);
      return -1;
    }
  *state = &f;
  return 0;
}

int exec_fixture_teardown (void **state)
{
  struct exec_fixture *f = *state;
  _cleanup_error_ coi_error_t err = NULL;
  if (f == NULL || f->c == NULL)
    return 0; /* the setup failed and said why */
  int r = incus_instance_force_delete (f->c, f->name, &err);
  if (r < 0)
    fprintf (stderr, "cannot delete %s: %s\n", f->name, exec_errmsg (&err));
  incus_client_free (f->c);
  return r < 0 ? -1 : 0;
}
