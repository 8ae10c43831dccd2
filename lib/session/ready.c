#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "incus/exec.h"
#include "incus/instance.h"
#include "netpolicy/addr.h"
#include "netpolicy/render.h"
#include "session/ready.h"
#include "session/session.h"
#include "util/cleanup.h"
#include "util/clock.h"

/* Ready means eth0 has its address: networkd runs after sysinit.target,
 * so by then /tmp has been cleaned (a tmux socket made earlier would
 * vanish) and the network works.  One exec waits for it inside the
 * container, where polling is cheap; an image without the tools falls back
 * to polling the instance state from here. */
static const char wait_script[] =
    "until ip -4 -o addr show dev eth0 2>/dev/null | grep -q ' inet '; do sleep 0.02; done";

static const char net_up_script[] = COI_NET_UP_SH;

static void pause_ms (long ms)
{
  struct timespec p = { 0, ms * 1000 * 1000 };
  nanosleep (&p, NULL);
}

static int poll_state (struct incus_client *c, const char *container, int timeout_ms,
                       long long start, coi_error_t *err)
{
  for (;;)
    {
      _cleanup_error_ coi_error_t e = NULL;
      _cleanup_json_ json_t *state = NULL;
      if (incus_instance_state (c, container, &state, &e) == 0)
        {
          if (incus_state_ipv4 (state, "eth0"))
            return 0;
          if (json_object_get (json_object_get (state, "network"), "eth0") == NULL
              && json_integer_value (json_object_get (state, "pid")) > 0)
            return 0; /* no network to wait for */
        }
      if (coi_now_ms () - start >= timeout_ms)
        return coi_error_make (err, ETIMEDOUT, "container %s got no network address within %d s%s%s",
                               container, timeout_ms / 1000, e ? ": " : "", e ? e->msg : "");
      pause_ms (50);
    }
}

/* Run argv as root until the exec itself works (it can fail while init is
 * still coming up); *code is the command's exit status. */
static int exec_when_up (struct incus_client *c, const char *container, const char *const *argv,
                         int timeout_ms, long long start, int *code, coi_error_t *err)
{
  struct incus_exec_opts o = INCUS_EXEC_OPTS_INIT;
  o.argv = argv;
  for (;;)
    {
      _cleanup_error_ coi_error_t e = NULL;
      if (incus_exec (c, container, &o, code, &e) == 0)
        return 0;
      if (coi_now_ms () - start >= timeout_ms)
        return coi_error_make (err, ETIMEDOUT, "container %s did not become ready within %d s%s%s",
                               container, timeout_ms / 1000, e ? ": " : "", e ? e->msg : "");
      pause_ms (20);
    }
}

static int wait_network (struct incus_client *c, const char *container, int timeout_ms,
                         long long start, coi_error_t *err)
{
  char secs[16];
  snprintf (secs, sizeof secs, "%d", timeout_ms / 1000 > 0 ? timeout_ms / 1000 : 1);
  const char *argv[] = { "timeout", secs, "sh", "-c", wait_script, NULL };
  int code = -1;
  if (exec_when_up (c, container, argv, timeout_ms, start, &code, err) < 0)
    return -1;
  if (code == 124)
    return coi_error_make (err, ETIMEDOUT, "container %s got no network address within %s s",
                           container, secs);
  if (code != 0)
    return poll_state (c, container, timeout_ms, start, err); /* no ip(8) or no sh */
  return 0;
}

int coi_session_wait_ready (struct incus_client *c, const char *container, int timeout_ms,
                            coi_error_t *err)
{
  long long start = coi_now_ms ();
  return wait_network (c, container, timeout_ms, start, err);
}

bool coi_session_net_up_plan (const struct coi_session *s, const struct coi_net_target *t,
                              struct coi_net_up *up)
{
  if (!s->image_renders_network || t == NULL)
    return false;
  coi_ipv4_cidr_str (t->addr, t->subnet.prefix, up->cidr);
  coi_ipv4_str (t->gateway, up->gateway);
  return true;
}

int coi_session_ready (struct incus_client *c, const struct coi_session *s,
                       const struct coi_net_target *t, int timeout_ms, coi_error_t *err)
{
  long long start = coi_now_ms ();
  struct coi_net_up up;
  if (coi_session_net_up_plan (s, t, &up))
    {
      const char *argv[] = { "sh", "-c", net_up_script, "coi-net", up.cidr, up.gateway, NULL };
      int code = -1;
      if (exec_when_up (c, s->container, argv, timeout_ms, start, &code, err) < 0)
        return -1;
      if (code == 0)
        return 0;
      /* Not the image it claims to be: let its own boot do it. */
    }
  return wait_network (c, s->container, timeout_ms, start, err);
}
