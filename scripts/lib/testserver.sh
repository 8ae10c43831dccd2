# A throwaway Incus server for one test run (sourced after lib/common.sh
# and lib/setup.sh).  It lives entirely under its own INCUS_DIR, has its own
# bridge and btrfs pool, starts empty, and goes on every exit path: nothing
# a test sees was made before the run, and nothing of it is left after.
# shellcheck shell=bash

TS_ROOT=${COI_TEST_SERVER_ROOT:-/var/lib/coi-test}

# Remove a server's traces from the host once its daemon is gone: the
# processes it started (dnsmasq, forkproxy, lxc monitors), its mounts and
# loop devices, its bridge and the rest of its directory.
_ts_scrub() {
  local dir=$1 bridge=${2:-} pid m loop
  for pid in $(_ts_pids "$dir"); do
    kill -KILL "$pid" 2>/dev/null || true
  done
  # Deepest first, lazily: a mount under a pool mount goes before the pool.
  while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r)
  while read -r loop; do
    if [ -n "$loop" ]; then losetup -d "$loop" 2>/dev/null || true; fi
  done < <(losetup -nO NAME,BACK-FILE 2>/dev/null | awk -v d="$dir/" 'index($2, d) == 1 { print $1 }')
  if [ -n "$bridge" ] && ip link show "$bridge" >/dev/null 2>&1; then
    ip link del "$bridge" 2>/dev/null || true
  fi
  if [ -n "$bridge" ] && nft list table inet incus >/dev/null 2>&1; then
    local chain
    for chain in $(nft list table inet incus 2>/dev/null | awk -v b="$bridge" '$1 == "chain" && $2 ~ ("\\." b "$") { print $2 }'); do
      nft delete chain inet incus "$chain" 2>/dev/null || true
    done
  fi
  # The guard's own table (lib/netpolicy/site.c names it after the directory).
  nft delete table inet "coi_$(printf %s "$dir" | sha256sum | cut -c1-8)" 2>/dev/null || true
  rm -rf --one-file-system "$dir" 2>/dev/null || rm -rf "$dir"
}

# Processes of the server in $1: those naming its directory on their command
# line (dnsmasq, forkproxy, lxc monitors), those started with it as
# INCUS_DIR (the daemon itself), and all their descendants (the containers'
# processes), this shell and its parents aside.
_ts_pids() {
  local dir=$1 p pp
  local -A mine=() hit=() parent=()
  p=$$
  while [ "${p:-0}" -gt 1 ]; do mine[$p]=1; p=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null); done
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    pp=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null) && parent[$p]=$pp
    [ -n "${mine[$p]:-}" ] && continue
    if tr '\0' '\n' 2>/dev/null <"/proc/$p/cmdline" | grep -qF -- "$dir/" \
      || tr '\0' '\n' 2>/dev/null <"/proc/$p/environ" | grep -qxF -- "INCUS_DIR=$dir"; then
      hit[$p]=1
    fi
  done
  for p in "${!parent[@]}"; do
    [ -n "${mine[$p]:-}" ] && continue
    pp=$p
    while [ "${pp:-0}" -gt 1 ]; do
      [ -n "${hit[$pp]:-}" ] && { echo "$p"; break; }
      pp=${parent[$pp]:-0}
    done
  done
}

# Servers of earlier runs whose test command is gone (a crash, a kill -9,
# a machine reset mid-run): CI machines may hold such leftovers.
testserver_reap_stale() {
  local d owner
  [ -d "$TS_ROOT" ] || return 0
  for d in "$TS_ROOT"/*/; do
    [ -d "$d" ] || continue
    d=${d%/}
    owner=$(cat "$d/owner.pid" 2>/dev/null || echo 0)
    if [ "$owner" != 0 ] && kill -0 "$owner" 2>/dev/null; then
      continue
    fi
    echo "    removing a stale test server: $d"
    _ts_scrub "$d" "$(cat "$d/bridge" 2>/dev/null || true)"
  done
}

# A bridge name no interface on this host has (at most 15 characters).
_ts_bridge_name() {
  local n
  for _ in $(seq 1 50); do
    n=coitb$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')
    ip link show "$n" >/dev/null 2>&1 || { echo "$n"; return 0; }
  done
  return 1
}

# testserver_up: start the server and export INCUS_DIR (and COI_BRIDGE,
# COI_SOCKET) for everything that runs after it.  The set-up steps are the
# README's own: scripts/coi-up.sh --no-shell against the new INCUS_DIR.
testserver_up() {
  step "throwaway Incus server"
  testserver_reap_stale
  mkdir -p "$TS_ROOT"
  chmod 0711 "$TS_ROOT"
  TS_DIR=$(mktemp -d "$TS_ROOT/run-XXXXXX")
  chmod 0711 "$TS_DIR"
  echo $$ > "$TS_DIR/owner.pid"
  TS_BRIDGE=$(_ts_bridge_name) || die "no free bridge name"
  echo "$TS_BRIDGE" > "$TS_DIR/bridge"
  export INCUS_DIR=$TS_DIR
  export COI_BRIDGE=$TS_BRIDGE
  export COI_SOCKET=$INCUS_DIR/unix.socket
  unset INCUS_SOCKET
  ok "INCUS_DIR=$INCUS_DIR, bridge $COI_BRIDGE"
}

# testserver_down: delete what the server holds, stop it, scrub the host.
# Safe to call more than once and from a trap.
testserver_down() {
  [ -n "${TS_DIR:-}" ] && [ -d "$TS_DIR" ] || return 0
  local dir=$TS_DIR
  TS_DIR=
  echo "==> removing the throwaway Incus server $dir"
  if incus_up; then
    local name
    for name in $(api GET '/1.0/instances' 2>/dev/null | jq -r '(. // [])[] | split("/") | last'); do
      api DELETE "/1.0/instances/$name" >/dev/null 2>&1 \
        || { api PUT "/1.0/instances/$name/state" '{"action":"stop","force":true}' >/dev/null 2>&1; \
             api DELETE "/1.0/instances/$name" >/dev/null 2>&1; } || true
    done
    for name in $(api GET '/1.0/images' 2>/dev/null | jq -r '(. // [])[] | split("/") | last'); do
      api DELETE "/1.0/images/$name" >/dev/null 2>&1 || true
    done
    api PUT /1.0/profiles/default '{"config":{},"devices":{}}' >/dev/null 2>&1 || true
    for name in $(api GET '/1.0/networks?recursion=1' 2>/dev/null | jq -r '(. // [])[] | select(.managed) | .name'); do
      api DELETE "/1.0/networks/$name" >/dev/null 2>&1 || true
    done
    for name in $(api GET '/1.0/storage-pools' 2>/dev/null | jq -r '(. // [])[] | split("/") | last'); do
      for vol in $(api GET "/1.0/storage-pools/$name/volumes" 2>/dev/null | jq -r '(. // [])[]'); do
        api DELETE "$vol" >/dev/null 2>&1 || true
      done
      api DELETE "/1.0/storage-pools/$name" >/dev/null 2>&1 || true
    done
  fi
  local pid
  # The guard first: its supervisors and rules belong to this server only.
  pid=$(cat "$dir/coi/guard.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  for pid in $(pgrep -f -- "__supervise --spec $dir/" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  pid=$(cat "$dir/incusd.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  _ts_scrub "$dir" "$(cat "$dir/bridge" 2>/dev/null || true)"
  echo "    removed"
}
