# shellcheck shell=bash
# Where the guard of the Incus server under test keeps things: its home (the
# socket, the state with sessions/) and its nftables table. Per server when
# INCUS_DIR names one (lib/guard/where.c, lib/netpolicy/site.c), the
# machine's otherwise.
if [ -n "${INCUS_DIR:-}" ]; then
  GUARD_HOME=$INCUS_DIR/coi
  GUARD_TABLE=coi_$(printf %s "$INCUS_DIR" | sha256sum | cut -c1-8)
else
  GUARD_HOME=/run/coi
  GUARD_TABLE=coi
fi
GUARD_SOCK=$GUARD_HOME/guard.sock
GUARD_SESSIONS=$GUARD_HOME/guard/sessions
export GUARD_HOME GUARD_TABLE GUARD_SOCK GUARD_SESSIONS
