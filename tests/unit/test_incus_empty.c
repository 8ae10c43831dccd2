/* The client against the recorded replies of an empty Incus server
 * (testdata/incus-empty/replies.json, recorded from incusd 6.0 with no
 * pool, network or image): every list is an empty list, never an error, and
 * a reply that is no list is one clear error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_incus.h"
#include "incus/client.h"
#include "incus/image.h"
#include "incus/instance.h"
#include "incus/profile.h"
#include "incus/snapshot.h"
#include "util/cleanup.h"

struct t
{
  struct fake_incus *server;
  struct incus_client *c;
};

static int open_client (struct t *t, json_t *replies)
{
  t->server = fake_incus_start (replies);
  if (t->server == NULL)
    return -1;
  struct incus_endpoint ep = { .name = (char *) "local", .unix_path = (char *) fake_incus_socket (t->server) };
  _cleanup_error_ coi_error_t err = NULL;
  return incus_client_open_endpoint (&t->c, &ep, NULL, &err);
}

static int setup (void **state)
{
  static struct t t;
  _cleanup_json_ json_t *replies = fake_incus_load ("incus-empty/replies.json");
  if (replies == NULL || open_client (&t, replies) < 0)
    return -1;
  *state = &t;
  return 0;
}

static int teardown (void **state)
{
  struct t *t = *state;
  if (t)
    {
      incus_client_free (t->c);
      fake_incus_stop (t->server);
    }
  return 0;
}

/* r is the call's result, *list what it returned (read after the call). */
static void assert_empty (int r, json_t **list, coi_error_t *err)
{
  if (r < 0)
    fail_msg ("%s", (*err)->msg);
  assert_true (json_is_array (*list));
  assert_int_equal (json_array_size (*list), 0);
  json_decref (*list);
  *list = NULL;
}

static void recorded_null_pool_list_is_empty (void **state)
{
  struct t *t = *state;
  _cleanup_json_ json_t *list = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *replies = fake_incus_load ("incus-empty/replies.json");
  /* The recording itself says null: the case this guards against. */
  assert_true (json_is_null (json_object_get (json_object_get (replies, "GET /1.0/storage-pools?recursion=1"), "metadata")));
  assert_empty (incus_list (t->c, "/1.0/storage-pools?recursion=1", &list, &err), &list, &err);
}

static void every_list_call_is_empty (void **state)
{
  struct t *t = *state;
  _cleanup_error_ coi_error_t err = NULL;
  json_t *l = NULL;
  assert_empty (incus_instance_list (t->c, 1, NULL, &l, &err), &l, &err);
  assert_empty (incus_instance_list (t->c, 0, NULL, &l, &err), &l, &err);
  assert_empty (incus_image_list (t->c, 1, NULL, &l, &err), &l, &err);
  assert_empty (incus_image_alias_list (t->c, &l, &err), &l, &err);
  /* The default profile exists, with no devices. */
  assert_int_equal (incus_profile_list (t->c, &l, &err), 0);
  assert_int_equal (json_array_size (l), 1);
  json_decref (l);
}

static void missing_things_are_not_found (void **state)
{
  struct t *t = *state;
  _cleanup_error_ coi_error_t err = NULL;
  json_t *l = NULL;
  assert_int_equal (incus_snapshot_list (t->c, "nosuch", &l, &err), -1);
  assert_non_null (strstr (err->msg, "Instance not found"));
  assert_int_equal (err->status, 404);
  coi_error_release (&err);
  _cleanup_free_ char *fp = NULL;
  _cleanup_json_ json_t *img = NULL;
  assert_int_equal (incus_image_resolve (t->c, "coi", &fp, &img, &err), -1);
  assert_int_equal (err->status, 404);
}

/* null in every list position, and shapes that are no list. */
static void null_and_non_lists (void **state)
{
  (void) state;
  struct t t = { 0 };
  _cleanup_json_ json_t *replies = json_pack (
      "{s:{s:s,s:i,s:n}, s:{s:s,s:i,s:n}, s:{s:s,s:i,s:n}, s:{s:s,s:i,s:{}}, s:{s:s,s:i,s:s}}",
      "GET /1.0/instances?recursion=1", "type", "sync", "status_code", 200, "metadata",
      "GET /1.0/images?recursion=1", "type", "sync", "status_code", 200, "metadata",
      "GET /1.0/instances/x/snapshots?recursion=1", "type", "sync", "status_code", 200, "metadata",
      "GET /1.0/profiles?recursion=1", "type", "sync", "status_code", 200, "metadata",
      "GET /1.0/images/aliases?recursion=1", "type", "sync", "status_code", 200, "metadata", "x");
  assert_non_null (replies);
  assert_int_equal (open_client (&t, replies), 0);
  _cleanup_error_ coi_error_t err = NULL;
  json_t *l = NULL;
  assert_empty (incus_instance_list (t.c, 1, NULL, &l, &err), &l, &err);
  assert_empty (incus_image_list (t.c, 1, NULL, &l, &err), &l, &err);
  assert_empty (incus_snapshot_list (t.c, "x", &l, &err), &l, &err);
  assert_int_equal (incus_profile_list (t.c, &l, &err), -1);
  assert_string_equal (err->msg, "list profiles: server reply is not a list");
  assert_null (l);
  coi_error_release (&err);
  assert_int_equal (incus_image_alias_list (t.c, &l, &err), -1);
  assert_string_equal (err->msg, "list image aliases: server reply is not a list");
  incus_client_free (t.c);
  fake_incus_stop (t.server);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (recorded_null_pool_list_is_empty),
    cmocka_unit_test (every_list_call_is_empty),
    cmocka_unit_test (missing_things_are_not_found),
    cmocka_unit_test (null_and_non_lists),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
