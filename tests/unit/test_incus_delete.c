/* incus_instance_force_delete against a fake server whose instance changes
 * between two calls: a start still in flight (its launcher killed) makes an
 * instance read as Stopped refuse the delete as running.  Seen from `coi
 * clean` after `coi run` was killed with -9 in the middle of a launch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_incus.h"
#include "incus/client.h"
#include "incus/instance.h"
#include "util/cleanup.h"

static json_t *sync_reply (const char *status)
{
  return json_pack ("{s:s, s:s, s:i, s:i, s:s, s:{s:s, s:s}}", "type", "sync", "status", "Success", "status_code",
                    200, "error_code", 0, "error", "", "metadata", "name", "x", "status", status);
}

static json_t *error_reply (int code, const char *text)
{
  return json_pack ("{s:s, s:i, s:s, s:n}", "type", "error", "error_code", code, "error", text, "metadata");
}

/* Run force_delete of "x" against replies; *requests is what the server answered. */
static int force_delete (json_t *replies, int *requests, coi_error_t *err)
{
  struct fake_incus *server = fake_incus_start (replies);
  assert_non_null (server);
  struct incus_endpoint ep = { .name = (char *) "local", .unix_path = (char *) fake_incus_socket (server) };
  struct incus_client *c = NULL;
  _cleanup_error_ coi_error_t open_err = NULL;
  assert_int_equal (incus_client_open_endpoint (&c, &ep, NULL, &open_err), 0);
  int r = incus_instance_force_delete (c, "x", err);
  incus_client_free (c);
  *requests = fake_incus_requests (server);
  fake_incus_stop (server);
  return r;
}

static void start_in_flight_is_stopped_and_deleted (void **state)
{
  (void) state;
  /* Stopped when looked at, running by the delete; then stopped and deleted. */
  _cleanup_json_ json_t *replies = json_pack (
      "{s:[o, o], s:[o, o], s:o}", "GET /1.0/instances/x", sync_reply ("Stopped"), sync_reply ("Running"),
      "DELETE /1.0/instances/x", error_reply (400, "Instance is running"), sync_reply ("Stopped"),
      "PUT /1.0/instances/x/state", sync_reply ("Stopped"));
  _cleanup_error_ coi_error_t err = NULL;
  int requests = 0;
  int r = force_delete (replies, &requests, &err);
  if (r < 0)
    fail_msg ("%s", err->msg);
  assert_int_equal (requests, 5); /* GET, DELETE refused, GET, PUT stop, DELETE */
}

static void other_refusals_are_final (void **state)
{
  (void) state;
  _cleanup_json_ json_t *replies = json_pack ("{s:o, s:o}", "GET /1.0/instances/x", sync_reply ("Stopped"),
                                              "DELETE /1.0/instances/x", error_reply (500, "disk is busy"));
  _cleanup_error_ coi_error_t err = NULL;
  int requests = 0;
  assert_int_equal (force_delete (replies, &requests, &err), -1);
  assert_string_equal (err->msg, "delete instance x: disk is busy");
  assert_int_equal (requests, 2);
}

static void an_instance_that_keeps_running_is_given_up (void **state)
{
  (void) state;
  _cleanup_json_ json_t *replies = json_pack (
      "{s:o, s:o, s:o}", "GET /1.0/instances/x", sync_reply ("Stopped"), "DELETE /1.0/instances/x",
      error_reply (400, "Instance is running"), "PUT /1.0/instances/x/state", sync_reply ("Stopped"));
  _cleanup_error_ coi_error_t err = NULL;
  int requests = 0;
  assert_int_equal (force_delete (replies, &requests, &err), -1);
  assert_string_equal (err->msg, "delete instance x: Instance is running");
  assert_int_equal (requests, 6); /* three times GET and DELETE */
}

static void gone_meanwhile_is_done (void **state)
{
  (void) state;
  _cleanup_json_ json_t *replies = json_pack (
      "{s:o, s:[o, o]}", "GET /1.0/instances/x", sync_reply ("Stopped"), "DELETE /1.0/instances/x",
      error_reply (400, "Instance is running"), error_reply (404, "Instance not found"));
  _cleanup_error_ coi_error_t err = NULL;
  int requests = 0;
  assert_int_equal (force_delete (replies, &requests, &err), 0);
  assert_null (err);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (start_in_flight_is_stopped_and_deleted),
    cmocka_unit_test (other_refusals_are_final),
    cmocka_unit_test (an_instance_that_keeps_running_is_given_up),
    cmocka_unit_test (gone_meanwhile_is_done),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
