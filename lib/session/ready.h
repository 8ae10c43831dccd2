/* When a just-started container can take commands.  A coi image needs no
 * boot for that: /tmp is never emptied at boot and resolv.conf names the
 * gateway (lib/image/templates.c), so bringing eth0 up is all that is left,
 * and the first exec can do it right after start instead of waiting ~0.6 s
 * for systemd-networkd.  networkd adopts that configuration later unchanged
 * (KeepConfiguration=static; a `proto static` route counts as its own). */
#ifndef COI_SESSION_READY_H
#define COI_SESSION_READY_H

#include <stdbool.h>

#include "netpolicy/addr.h"

struct coi_session;
struct coi_net_target;

struct coi_net_up
{
  char cidr[COI_IPV4_CIDR_STRLEN]; /* eth0's address */
  char gateway[COI_IPV4_STRLEN];
};

/* sh: brings eth0 up from $1 (address/prefix) and $2 (gateway), one ip(8)
 * process; exits 125 with a line on stderr when it cannot. */
#define COI_NET_UP_SH                                                                   \
  "printf 'addr replace %s dev eth0\\nlink set dev eth0 up\\n"                          \
  "route replace default via %s proto static\\n' \"$1\" \"$2\" | ip -batch - "          \
  "|| { echo 'coi: bring up eth0 in the container: ip failed' >&2; exit 125; }; "

/* Whether the session's first exec may bring eth0 up itself (fills *up). */
bool coi_session_net_up_plan (const struct coi_session *s, const struct coi_net_target *t,
                              struct coi_net_up *up);

#endif
