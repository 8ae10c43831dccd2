/* Server info and the profiles API against the real incusd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "incus/profile.h"
#include "netpolicy/nic.h"

extern char **environ;

static void test_server_info (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  struct incus_client *c = NULL;
  json_t *info = NULL;
  assert_int_equal (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err), 0);
  assert_int_equal (incus_server_info (c, &info, &err), 0);
  assert_true (json_array_size (json_object_get (info, "api_extensions")) > 100);
  assert_non_null (json_string_value (json_object_get (json_object_get (info, "environment"), "server_version")));
  json_decref (info);
  incus_client_free (c);
}

static void test_profile_lifecycle (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  struct incus_client *c = NULL;
  char name[64];
  snprintf (name, sizeof name, "coi-test-profile-%d", (int) getpid ());
  assert_int_equal (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err), 0);

  json_t *config = json_pack ("{s:s}", "limits.processes", "123");
  assert_int_equal (incus_profile_create (c, name, "coi test", config, NULL, &err), 0);
  json_decref (config);
  json_t *p = NULL;
  assert_int_equal (incus_profile_get (c, name, &p, &err), 0);
  assert_string_equal (json_string_value (json_object_get (json_object_get (p, "config"), "limits.processes")), "123");
  json_decref (p);

  json_t *patch = json_pack ("{s:{s:s}}", "config", "limits.processes", "456");
  assert_int_equal (incus_profile_patch (c, name, patch, &err), 0);
  json_decref (patch);
  assert_int_equal (incus_profile_get (c, name, &p, &err), 0);
  assert_string_equal (json_string_value (json_object_get (json_object_get (p, "config"), "limits.processes")), "456");
  json_decref (p);

  json_t *list = NULL;
  assert_int_equal (incus_profile_list (c, &list, &err), 0);
  int seen = 0;
  size_t i;
  json_t *e;
  json_array_foreach (list, i, e)
    seen += strcmp (json_string_value (json_object_get (e, "name")) ?: "", name) == 0;
  assert_int_equal (seen, 1);
  json_decref (list);

  /* A duplicate and a missing profile each fail with the server's reason. */
  assert_int_equal (incus_profile_create (c, name, NULL, NULL, NULL, &err), -1);
  assert_non_null (strstr (err->msg, "create profile coi-test-profile-"));
  coi_error_release (&err);
  assert_int_equal (incus_profile_delete (c, name, &err), 0);
  assert_int_equal (incus_profile_get (c, name, &p, &err), -1);
  assert_int_equal (err->status, 404);
  assert_non_null (strstr (err->msg, "get profile coi-test-profile-"));
  coi_error_release (&err);
  incus_client_free (c);
}

/* A profile that adds a second NIC: the network plan refuses it, naming
 * the device and where it comes from, unless the container covers it. */
static char nic_profile[64];

static int nic_profile_teardown (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  struct incus_client *c = NULL;
  if (nic_profile[0] && incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err) == 0)
    incus_profile_delete (c, nic_profile, &err);
  coi_error_release (&err);
  incus_client_free (c);
  return 0;
}

static void test_second_nic_refused (void **state)
{
  (void) state;
  coi_error_t err = NULL;
  struct incus_client *c = NULL;
  assert_int_equal (incus_client_open (&c, NULL, NULL, (const char *const *) environ, &err), 0);
  struct coi_net_bridge b = { 0 };
  json_t *body = json_pack ("{s:[s], s:{}}", "profiles", "default", "devices");
  assert_int_equal (coi_net_bridge_lookup (c, body, &b, &err), 0);
  json_decref (body);
  char bridge[64];
  snprintf (bridge, sizeof bridge, "%s", b.network);
  char first[64];
  snprintf (first, sizeof first, "%s", b.device);
  coi_net_bridge_clear (&b);

  snprintf (nic_profile, sizeof nic_profile, "coi-test-2nic-%d", (int) getpid ());
  /* A veth pair of its own: nothing coi filters would see its traffic. */
  json_t *devices = json_pack ("{s:{s:s, s:s, s:s}}", "eth1", "type", "nic", "nictype", "p2p",
                               "name", "eth1");
  assert_int_equal (incus_profile_create (c, nic_profile, "coi test", NULL, devices, &err), 0);
  json_decref (devices);

  body = json_pack ("{s:[s,s], s:{}}", "profiles", "default", nic_profile, "devices");
  assert_int_equal (coi_net_bridge_lookup (c, body, &b, &err), -1);
  char want[256];
  snprintf (want, sizeof want, "second network device 'eth1' (from profile '%s') besides '%s'",
            nic_profile, first);
  if (strstr (err->msg, want) == NULL)
    fail_msg ("got: %s\nwant: %s", err->msg, want);
  coi_error_release (&err);
  json_decref (body);

  /* Covered by a device of type none, it is gone, as Incus expands it. */
  body = json_pack ("{s:[s,s], s:{s:{s:s}}}", "profiles", "default", nic_profile, "devices", "eth1",
                    "type", "none");
  assert_int_equal (coi_net_bridge_lookup (c, body, &b, &err), 0);
  assert_string_equal (b.device, first);
  coi_net_bridge_clear (&b);
  json_decref (body);

  /* The container's own devices count too. */
  body = json_pack ("{s:[s], s:{s:{s:s, s:s}}}", "profiles", "default", "devices", "extra", "type",
                    "nic", "network", bridge);
  assert_int_equal (coi_net_bridge_lookup (c, body, &b, &err), -1);
  assert_non_null (strstr (err->msg, "(from the container's own devices)"));
  coi_error_release (&err);
  json_decref (body);
  incus_client_free (c);
}

int main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_server_info),
    cmocka_unit_test (test_profile_lifecycle),
    cmocka_unit_test_teardown (test_second_nic_refused, nic_profile_teardown),
  };
  return cmocka_run_group_tests_name ("profile", tests, NULL, NULL);
}
