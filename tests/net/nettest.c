#include "nettest.h"
#include "test_image.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "incus/files.h"
#include "incus/instance.h"
#include "util/cleanup.h"
#include "util/fs.h"

extern char **environ;

#define NT_VETH_H "coitn-h"
#define NT_VETH_N "coitn-n"
#define NT_RULE_PREF "7377"
#define NT_RULE_TABLE "7377"

static const char *const ns_addrs[] = {
  "198.51.100.10", "198.51.100.11", "198.51.100.12", "198.51.100.13", "198.51.100.20",
  "198.51.100.21", "198.51.100.22", "198.51.100.30", "198.51.100.40", "198.51.100.41",
  "198.51.100.53", "198.51.100.66", "10.77.0.10",
  "192.168.77.10", "172.31.77.10",  "100.64.77.10",  "169.254.169.254",
};
#define N_ADDRS (sizeof ns_addrs / sizeof ns_addrs[0])

static int find_gateway (void);

static struct
{
  struct incus_client *c;
  const char *image;
  char gateway[16];
  pid_t ns_server, host_server;
  char dir[64];
  char dns_log[96], rot[96];
  bool up;
} F = { .ns_server = -1, .host_server = -1 };

double nt_now_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_MONOTONIC, &t);
  return (double) t.tv_sec * 1e3 + (double) t.tv_nsec / 1e6;
}

static pid_t spawn (const char *const *argv, bool quiet)
{
  pid_t pid;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  if (quiet)
    {
      posix_spawn_file_actions_addopen (&fa, 1, "/dev/null", O_WRONLY, 0);
      posix_spawn_file_actions_addopen (&fa, 2, "/dev/null", O_WRONLY, 0);
    }
  int r = posix_spawnp (&pid, argv[0], &fa, NULL, (char *const *) argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  return r == 0 ? pid : -1;
}

static int wait_pid (pid_t pid)
{
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

static int run_q (const char *const *argv, bool quiet)
{
  pid_t pid = spawn (argv, quiet);
  return pid < 0 ? -1 : wait_pid (pid);
}

int nt_run (const char *const *argv)
{
  return run_q (argv, false);
}

#define RUN(...) nt_run ((const char *const[]){ __VA_ARGS__, NULL })
#define RUNQ(...) run_q ((const char *const[]){ __VA_ARGS__, NULL }, true)

static void stop_server (pid_t *pid)
{
  if (*pid > 0)
    {
      kill (*pid, SIGTERM);
      wait_pid (*pid);
    }
  *pid = -1;
}

/* Everything the fixture may have left, whether or not it exists. */
static void remove_plumbing (void)
{
  RUNQ ("ip", "netns", "del", NT_NETNS);
  RUNQ ("ip", "link", "del", NT_VETH_H);
  while (RUNQ ("ip", "rule", "del", "pref", NT_RULE_PREF) == 0)
    ;
  RUNQ ("ip", "route", "flush", "table", NT_RULE_TABLE);
}

/* Containers of an earlier, crashed run of the network tests. */
static void remove_leftover_containers (void)
{
  _cleanup_json_ json_t *list = NULL;
  _cleanup_error_ coi_error_t err = NULL;
  if (incus_instance_list (F.c, 0, NULL, &list, &err) < 0)
    return;
  size_t i;
  json_t *v;
  json_array_foreach (list, i, v)
  {
    const char *url = json_string_value (v);
    const char *name = url ? strrchr (url, '/') : NULL;
    if (name && strncmp (name + 1, "coi-test-net-", 13) == 0)
      {
        _cleanup_error_ coi_error_t e2 = NULL;
        incus_instance_force_delete (F.c, name + 1, &e2);
        coi_net_teardown (nt_site (), name + 1, &e2);
      }
  }
}

void nt_down (void)
{
  if (F.c)
    remove_leftover_containers ();
  stop_server (&F.ns_server);
  stop_server (&F.host_server);
  remove_plumbing ();
  if (F.dir[0])
    {
      unlink (F.dns_log);
      unlink (F.rot);
      char p[128];
      snprintf (p, sizeof p, "%s/ready-ns", F.dir);
      unlink (p);
      snprintf (p, sizeof p, "%s/ready-host", F.dir);
      unlink (p);
      rmdir (F.dir);
      F.dir[0] = '\0';
    }
  if (F.c)
    incus_client_free (F.c);
  F.c = NULL;
  F.up = false;
}

static void on_signal (int sig)
{
  (void) sig;
  exit (1); /* runs nt_down through atexit */
}

static int wait_file (const char *path, int ms)
{
  for (int i = 0; i < ms / 20; i++)
    {
      if (access (path, F_OK) == 0)
        return 0;
      usleep (20000);
    }
  return -1;
}

static const char *servers_script (void)
{
  const char *s = getenv ("NETTEST_SERVERS");
  return s ? s : "tests/net/netns_servers.py";
}

/* The fixture's names (netns, veth, containers) are fixed, and developers
 * run the suite from several build directories at once: one run at a
 * time on this host.  The fd stays open (and locked) until exit. */
static int lock_suite (void)
{
  int fd = open ("/run/coi-nettest.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  for (int i = 0; i < 960; i++) /* 8 minutes */
    {
      if (flock (fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
      if (i == 0)
        fprintf (stderr, "# waiting for another run of the net suite\n");
      usleep (500000);
    }
  close (fd);
  return -1;
}

int nt_up (void)
{
  _cleanup_error_ coi_error_t err = NULL;
  if (lock_suite () < 0)
    {
      fprintf (stderr, "net suite: cannot take /run/coi-nettest.lock\n");
      return -1;
    }
  atexit (nt_down);
  signal (SIGINT, on_signal);
  signal (SIGTERM, on_signal);
  if (incus_client_open (&F.c, NULL, NULL, (const char *const *) environ, &err) < 0)
    {
      fprintf (stderr, "incus: %s\n", err->msg);
      return -1;
    }
  F.image = coi_test_image ();
  if (coi_test_image_check (F.c) < 0)
    return -1;
  if (find_gateway () < 0)
    {
      fprintf (stderr, "net suite: cannot find the default profile's bridge and its IPv4 address\n");
      return -1;
    }
  remove_leftover_containers ();
  remove_plumbing ();
  strcpy (F.dir, "/tmp/coi-nettest-XXXXXX");
  if (mkdtemp (F.dir) == NULL)
    return -1;
  snprintf (F.dns_log, sizeof F.dns_log, "%s/dns.log", F.dir);
  snprintf (F.rot, sizeof F.rot, "%s/rot", F.dir);
  nt_set_rot ("198.51.100.21");
  if (RUN ("ip", "netns", "add", NT_NETNS) != 0
      || RUN ("ip", "link", "add", NT_VETH_H, "type", "veth", "peer", "name", NT_VETH_N) != 0
      || RUN ("ip", "link", "set", NT_VETH_N, "netns", NT_NETNS) != 0
      || RUN ("ip", "addr", "add", NT_HOST_VETH_ADDR "/32", "dev", NT_VETH_H) != 0
      || RUN ("ip", "link", "set", NT_VETH_H, "up") != 0
      || RUN ("ip", "-n", NT_NETNS, "link", "set", "lo", "up") != 0
      || RUN ("ip", "-n", NT_NETNS, "link", "set", NT_VETH_N, "up") != 0
      || RUN ("ip", "-n", NT_NETNS, "route", "add", NT_HOST_VETH_ADDR "/32", "dev", NT_VETH_N) != 0
      || RUN ("ip", "-n", NT_NETNS, "route", "add", "default", "via", NT_HOST_VETH_ADDR) != 0
      || RUN ("ip", "route", "add", "169.254.169.254/32", "dev", NT_VETH_H, "src", NT_HOST_VETH_ADDR,
              "table", NT_RULE_TABLE) != 0)
    return -1;
  for (size_t i = 0; i < N_ADDRS; i++)
    {
      char a[32];
      snprintf (a, sizeof a, "%s/32", ns_addrs[i]);
      if (RUN ("ip", "-n", NT_NETNS, "addr", "add", a, "dev", NT_VETH_N) != 0)
        return -1;
      /* The metadata address is routed only for the test containers (policy rule). */
      if (strcmp (ns_addrs[i], "169.254.169.254") != 0
          && RUN ("ip", "route", "add", a, "dev", NT_VETH_H, "src", NT_HOST_VETH_ADDR) != 0)
        return -1;
    }
  char ready_ns[128], ready_host[128];
  snprintf (ready_ns, sizeof ready_ns, "%s/ready-ns", F.dir);
  snprintf (ready_host, sizeof ready_host, "%s/ready-host", F.dir);
  const char *ns_argv[64] = { "ip", "netns", "exec", NT_NETNS, "python3", servers_script (),
                              "--tcp", "80", "--tcp", "443", "--tcp", "8080", "--udp", "9999",
                              "--dns", NT_DNS, "--dns-log", F.dns_log, "--rot-file", F.rot,
                              "--ready", ready_ns };
  size_t n = 22;
  for (size_t i = 0; i < N_ADDRS; i++)
    {
      ns_argv[n++] = "--addr";
      ns_argv[n++] = ns_addrs[i];
    }
  ns_argv[n] = NULL;
  F.ns_server = spawn (ns_argv, false);
  /* Services of the host itself: on the bridge address and another host address. */
  F.host_server = spawn ((const char *const[]){ "python3", servers_script (), "--addr", NT_BRIDGE_GW,
                                                "--addr", NT_HOST_VETH_ADDR, "--tcp", "18080",
                                                "--ready", ready_host, NULL },
                         false);
  if (F.ns_server < 0 || F.host_server < 0 || wait_file (ready_ns, 10000) < 0
      || wait_file (ready_host, 10000) < 0)
    return -1;
  F.up = true;
  return 0;
}

struct incus_client *nt_client (void)
{
  return F.c;
}

const char *nt_dns_log (void)
{
  return F.dns_log;
}

void nt_set_rot (const char *ip)
{
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_write_file_atomic (F.rot, ip, strlen (ip), 0644, &err) < 0)
    fprintf (stderr, "rot: %s\n", err->msg);
}

bool nt_dns_saw (const char *name)
{
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  _cleanup_error_ coi_error_t err = NULL;
  if (coi_read_file (F.dns_log, 1 << 20, &data, &len, &err) < 0)
    return false;
  size_t nl = strlen (name);
  for (char *p = data; p && *p;)
    {
      char *e = strchr (p, '\n');
      size_t l = e ? (size_t) (e - p) : strlen (p);
      if (l == nl && memcmp (p, name, nl) == 0)
        return true;
      p = e ? e + 1 : NULL;
    }
  return false;
}

void nt_dns_log_clear (void)
{
  int fd = open (F.dns_log, O_WRONLY | O_TRUNC | O_CREAT, 0644);
  if (fd >= 0)
    close (fd);
}

static char *trim (char *s)
{
  size_t l = strlen (s);
  while (l && (s[l - 1] == '\n' || s[l - 1] == ' '))
    s[--l] = '\0';
  return s;
}

static int fetch_log (const char *path, char **out)
{
  _cleanup_error_ coi_error_t err = NULL;
  struct incus_raw r = { .method = "GET", .path = path, .upload_fd = -1, .download_fd = -1 };
  int ret = incus_raw_request (F.c, &r, &err);
  if (ret == 0 && r.status == 200)
    *out = trim (r.body ? strdup (r.body) : strdup (""));
  incus_raw_clear (&r);
  _cleanup_json_ json_t *resp = NULL;
  incus_request (F.c, "DELETE", path, NULL, &resp, &err);
  return *out ? 0 : -1;
}

int nt_exec (const char *name, const char *const *argv, char **out, int *rc)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *cmd = json_array ();
  for (const char *const *a = argv; *a; a++)
    json_array_append_new (cmd, json_string (*a));
  _cleanup_json_ json_t *body = json_pack ("{s:O, s:b, s:b, s:b}", "command", cmd, "record-output", 1,
                                           "wait-for-websocket", 0, "interactive", 0);
  _cleanup_free_ char *path = NULL;
  _cleanup_json_ json_t *meta = NULL;
  *out = NULL;
  if (asprintf (&path, "/1.0/instances/%s/exec", name) < 0
      || incus_call (F.c, "POST", path, body, &meta, &err) < 0)
    {
      fprintf (stderr, "exec %s: %s\n", argv[0], err ? err->msg : "oom");
      return -1;
    }
  if (rc)
    *rc = (int) json_integer_value (json_object_get (meta, "return"));
  json_t *o = json_object_get (meta, "output");
  const char *p1 = json_string_value (json_object_get (o, "1"));
  const char *p2 = json_string_value (json_object_get (o, "2"));
  char *junk = NULL;
  if (p2 && fetch_log (p2, &junk) == 0)
    free (junk);
  return p1 ? fetch_log (p1, out) : -1;
}

char *nt_probe (const struct nt_ctr *ct, const char *kind, const char *a, const char *b)
{
  char *out = NULL;
  int rc = -1;
  if (nt_exec (ct->name, (const char *const[]){ "/usr/local/bin/coi-probe", kind, a, b, NULL }, &out,
               &rc) < 0)
    return strdup ("exec-failed");
  return out;
}

static const char *probe_path (void)
{
  const char *s = getenv ("NETTEST_PROBE");
  return s ? s : "tests/net/coi-probe";
}

static int wait_address (struct nt_ctr *ct)
{
  /* 60 s: under load (other suites on 2 cores) a boot took seconds. */
  for (int i = 0; i < 1200; i++)
    {
      _cleanup_json_ json_t *state = NULL;
      _cleanup_error_ coi_error_t err = NULL;
      if (incus_instance_state (F.c, ct->name, &state, &err) == 0)
        {
          const char *ip = incus_state_ipv4 (state, "eth0");
          if (ip && strcmp (ip, ct->addr) == 0)
            return 0;
        }
      usleep (50000);
    }
  fprintf (stderr, "%s never got %s\n", ct->name, ct->addr);
  return -1;
}

const char *nt_image (void)
{
  return F.image;
}

const struct coi_net_site *nt_site (void)
{
  static struct coi_net_site site;
  if (site.table[0] == '\0')
    {
      coi_error_t err = NULL;
      if (coi_net_site_for (&site, "coi-nettest", "/run/coi-nettest/net", &err) < 0)
        abort ();
    }
  return &site;
}

const char *nt_list_table (void)
{
  static char cmd[64];
  snprintf (cmd, sizeof cmd, "list table inet %s", nt_site ()->table);
  return cmd;
}

const char *nt_gateway (void)
{
  return F.gateway;
}

/* The default profile's NIC, its network, and that network's address. */
static int find_gateway (void)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_json_ json_t *prof = NULL, *net = NULL;
  if (incus_call (F.c, "GET", "/1.0/profiles/default", NULL, &prof, &err) < 0)
    return -1;
  const char *name = NULL, *key;
  json_t *dev;
  json_object_foreach (json_object_get (prof, "devices"), key, dev)
  {
    const char *type = json_string_value (json_object_get (dev, "type"));
    if (type && strcmp (type, "nic") == 0)
      {
        name = json_string_value (json_object_get (dev, "network"));
        if (name == NULL)
          name = json_string_value (json_object_get (dev, "parent"));
      }
  }
  _cleanup_free_ char *path = NULL;
  if (name == NULL || asprintf (&path, "/1.0/networks/%s", name) < 0
      || incus_call (F.c, "GET", path, NULL, &net, &err) < 0)
    return -1;
  const char *addr = json_string_value (json_object_get (json_object_get (net, "config"), "ipv4.address"));
  if (addr == NULL || strlen (addr) >= sizeof F.gateway)
    return -1;
  snprintf (F.gateway, sizeof F.gateway, "%.*s", (int) strcspn (addr, "/"), addr);
  return 0;
}

json_t *nt_create_body (const char *name)
{
  return json_pack ("{s:s, s:{s:s, s:s}, s:[s], s:{}, s:{}}", "name", name, "source", "type", "image",
                    "alias", F.image, "profiles", "default", "config", "devices");
}

int nt_ctr_start (struct nt_ctr *ct)
{
  _cleanup_error_ coi_error_t err = NULL;
  _cleanup_close_ int fd = -1;
  struct stat st;
  /* A rule for the same address may be left by an earlier owner of it. */
  RUNQ ("ip", "rule", "del", "pref", NT_RULE_PREF, "from", ct->addr, "to", "169.254.169.254", "lookup",
        NT_RULE_TABLE);
  if (RUNQ ("ip", "rule", "add", "pref", NT_RULE_PREF, "from", ct->addr, "to", "169.254.169.254",
            "lookup", NT_RULE_TABLE) != 0)
    {
      fprintf (stderr, "%s: cannot add the metadata policy route\n", ct->name);
      return -1;
    }
  ct->rule_added = true;
  if (incus_instance_set_state (F.c, ct->name, "start", -1, false, &err) < 0)
    goto fail;
  if (wait_address (ct) < 0)
    return -1;
  fd = open (probe_path (), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      fprintf (stderr, "probe %s: %s\n", probe_path (), strerror (errno));
      return -1;
    }
  struct incus_file_attrs attrs = { 0, 0, 0755 };
  if (incus_file_push_fd (F.c, ct->name, "/usr/local/bin/coi-probe", fd, st.st_size, attrs, &err) < 0)
    goto fail;
  return 0;
fail:
  fprintf (stderr, "container %s: %s\n", ct->name, err ? err->msg : "?");
  return -1;
}

int nt_ctr_new (struct nt_ctr *ct, const char *name, const struct coi_net_policy *p,
                void (*tweak) (json_t *body))
{
  _cleanup_error_ coi_error_t err = NULL;
  memset (ct, 0, sizeof *ct);
  snprintf (ct->name, sizeof ct->name, "%s", name);
  _cleanup_json_ json_t *body = nt_create_body (name);
  if (body == NULL || coi_net_prepare (F.c, nt_site (), p, name, body, &ct->s, &err) < 0)
    goto fail;
  coi_ipv4_str (coi_net_session_target (ct->s)->addr, ct->addr);
  if (tweak)
    tweak (body);
  if (incus_instance_create (F.c, body, &err) < 0 || coi_net_apply (ct->s, &err) < 0)
    goto fail;
  return nt_ctr_start (ct);
fail:
  fprintf (stderr, "container %s: %s\n", name, err ? err->msg : "?");
  return -1;
}

void nt_ctr_free (struct nt_ctr *ct)
{
  _cleanup_error_ coi_error_t err = NULL;
  if (ct->name[0] == '\0')
    return;
  if (incus_instance_force_delete (F.c, ct->name, &err) < 0)
    fprintf (stderr, "delete %s: %s\n", ct->name, err->msg);
  coi_error_release (&err);
  if (coi_net_teardown (nt_site (), ct->name, &err) < 0)
    fprintf (stderr, "teardown %s: %s\n", ct->name, err->msg);
  if (ct->rule_added)
    RUNQ ("ip", "rule", "del", "pref", NT_RULE_PREF, "from", ct->addr, "to", "169.254.169.254",
          "lookup", NT_RULE_TABLE);
  coi_net_session_free (ct->s);
  memset (ct, 0, sizeof *ct);
}
