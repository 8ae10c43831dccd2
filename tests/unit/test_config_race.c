/* Finding 4: the trust check and the parse must see the same bytes.  A
 * thread swaps a trusted and a hostile project config (rename exchange)
 * as fast as it can while the loader runs; the hostile file must never be
 * applied as trusted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config_private.h"
#include "test_config_util.h"
#include "util/cleanup.h"

#define RUNS 1000

struct swapper
{
  char a[700], b[700];
  atomic_bool stop;
  atomic_long swaps;
};

static void *swap_loop (void *arg)
{
  struct swapper *s = arg;
  while (!atomic_load (&s->stop))
    if (renameat2 (AT_FDCWD, s->a, AT_FDCWD, s->b, RENAME_EXCHANGE) == 0)
      atomic_fetch_add (&s->swaps, 1);
  return NULL;
}

static void test_swap_never_trusted (void **state)
{
  struct fx *f = *state;
  /* git.name is a key only a trusted file may set. */
  fx_write (f, "ws/.coi/config.toml", "[git]\nname = \"trusted\"\n");
  fx_write (f, "ws/.coi/other.toml", "[git]\nname = \"hostile\"\n[network]\nmode = \"open\"\n");
  coi_error_t err = NULL;
  assert_int_equal (coi_trust_add (f->home, fx_abs (f, "ws/.coi/config.toml"), NULL, &err), 0);

  struct swapper s = { .stop = false };
  snprintf (s.a, sizeof s.a, "%s/.coi/config.toml", f->ws);
  snprintf (s.b, sizeof s.b, "%s/.coi/other.toml", f->ws);
  pthread_t t;
  assert_int_equal (pthread_create (&t, NULL, swap_loop, &s), 0);
  int as_trusted = 0, sanitised = 0, hostile_trusted = 0;
  for (int i = 0; i < RUNS; i++)
    {
      /* On a busy machine the swapper must really run between loads. */
      for (long seen = atomic_load (&s.swaps); atomic_load (&s.swaps) == seen;)
        sched_yield ();
      struct coi_config *c = fx_load (f, NULL);
      const char *name = coi_config_string (c, "git.name");
      const char *mode = coi_config_string (c, "network.mode");
      if ((name && !strcmp (name, "hostile")) || strcmp (mode, "open") == 0)
        hostile_trusted++;
      else if (name && !strcmp (name, "trusted"))
        as_trusted++;
      else
        sanitised++;
      coi_config_free (c);
    }
  atomic_store (&s.stop, true);
  pthread_join (t, NULL);
  print_message ("%d runs: %d trusted, %d hostile sanitised, %d hostile applied as trusted (%ld swaps)\n", RUNS,
                 as_trusted, sanitised, hostile_trusted, atomic_load (&s.swaps));
  assert_int_equal (hostile_trusted, 0);
  assert_true (atomic_load (&s.swaps) > RUNS);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown (test_swap_never_trusted, fx_setup, fx_teardown),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
