# The machine set-up shared by scripts/coi-up.sh and scripts/test.sh
# (sourced after lib/common.sh).  Every step looks first and does nothing when
# its work is already there; it never changes or removes a storage pool,
# network, profile device or image that exists.
# shellcheck shell=bash

SUITE=bookworm
POOL_SIZE_GIB=${COI_POOL_SIZE_GIB:-20}
LOGDIR=${COI_LOGDIR:-/var/log/coi}
# The server set up: the machine's own, or the one INCUS_DIR names (the
# test command's throwaway server).  Its pid and log live beside it.  Read
# when used: INCUS_DIR may be exported after this file is sourced.
incus_var() { echo "${INCUS_DIR:-/var/lib/incus}"; }
incusd_pidfile() { if [ -n "${INCUS_DIR:-}" ]; then echo "$INCUS_DIR/incusd.pid"; else echo /run/coi-incusd.pid; fi; }
incusd_logfile() { if [ -n "${INCUS_DIR:-}" ]; then echo "$INCUS_DIR/incusd.log"; else echo "$LOGDIR/incusd.log"; fi; }
# The bridge made when the server has none.
bridge_name() { echo "${COI_BRIDGE:-incusbr0}"; }

# What coi needs to build and run.  One package per line; add yours here
# when you add a dependency to meson.build.
BUILD_PKGS=(
  gcc meson ninja-build pkgconf python3
  libcurl4-openssl-dev libjansson-dev libyaml-dev libssl-dev libarchive-dev
  libnftables-dev libmnl-dev libwslay-dev libcmocka-dev
)
RUNTIME_PKGS=(
  curl jq iproute2 nftables
  # bridge DHCP/DNS for containers; only a Recommends of incus-base
  dnsmasq-base
  # the storage pool on a loop file, and the image build
  btrfs-progs debootstrap
  # the tests drive interactive sessions through a host tmux, and make
  # client certificates for the HTTPS remote test
  tmux openssl
)

setup_packages() {
  step "packages"
  local src=/etc/apt/sources.list.d/coi-backports.sources
  # Incus is in bookworm-backports only.  The suite is added with the URIs
  # line that apt already uses for bookworm.
  if ! pkg_installed incus-base \
    && ! grep -rqsE "^(Suites:.*[[:space:]]|deb .*[[:space:]])${SUITE}-backports([[:space:]]|$)" \
      /etc/apt/sources.list /etc/apt/sources.list.d/; then
    local mirror
    mirror=$(debian_mirror "$SUITE")
    printf 'Types: deb\nURIs: %s\nSuites: %s-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$mirror" "$SUITE" > "$src"
    # shellcheck disable=SC2034 # read by apt_update (common.sh)
    APT_UPDATED=0
  fi
  local missing
  missing=$(missing_pkgs incus-base "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}" | tr '\n' ' ')
  if [ -z "${missing// /}" ]; then
    ok "all installed (incus $(dpkg-query -W -f='${Version}' incus-base))"
    return
  fi
  echo "    installing: $missing"
  # incus-base: the daemon and client without the VM stack (qemu is ~200 MB).
  apt_install -t "${SUITE}-backports" incus-base
  apt_install "${BUILD_PKGS[@]}" "${RUNTIME_PKGS[@]}"
  ok "installed $missing"
}

# What only the test command needs: shellcheck, for the meson test of that name.
setup_test_packages() {
  apt_install shellcheck
}

# raw.idmap "both UID 1000" (workspaces of a host user other than 1000)
# needs root allowed to map that uid; incusd reads these files at start.
SUBID_CHANGED=0
setup_subids() {
  step "subuid/subgid"
  local uid gid f
  uid=$(id -u "$(invoking_user)")
  gid=$(id -g "$(invoking_user)")
  for f in /etc/subuid:"$uid" /etc/subgid:"$gid"; do
    local file=${f%%:*} id=${f##*:}
    if ! grep -qx "root:$id:1" "$file" 2>/dev/null; then
      echo "root:$id:1" >> "$file"
      SUBID_CHANGED=1
    fi
  done
  if [ "$SUBID_CHANGED" = 1 ]; then ok "added root:$uid:1 / root:$gid:1"; else ok "present"; fi
}

start_incusd() {
  mkdir -p "$LOGDIR" "$(incus_var)"
  local grp=root
  getent group incus-admin >/dev/null && grp=incus-admin
  # Detached, with the limits and PATH of the packaged init script.
  ( close_inherited_fds; ulimit -n 1048576 2>/dev/null || true; ulimit -u unlimited 2>/dev/null || true
    PATH=/usr/libexec/incus:$PATH exec setsid /usr/libexec/incus/incusd --group "$grp" \
      --logfile "$(incusd_logfile)" </dev/null >>"$(incusd_logfile).out" 2>&1 ) &
  echo $! > "$(incusd_pidfile)"
  for _ in $(seq 1 240); do
    incus_up && return 0
    kill -0 "$(cat "$(incusd_pidfile)")" 2>/dev/null || break
    sleep 0.5
  done
  tail -20 "$(incusd_logfile)" >&2 || true
  die "incusd did not become ready (log: $(incusd_logfile))"
}

# The pid of the running incusd, from the server itself.
incusd_pid() { api GET /1.0 | jq -r .environment.server_pid; }

setup_incusd() {
  step "incusd"
  if [ -d /run/systemd/system ] && [ -z "${INCUS_DIR:-}" ]; then
    # A systemd machine: the package's units own the daemon (a restart of
    # incus.service leaves running containers alone).
    if incus_up && [ "$SUBID_CHANGED" = 1 ]; then
      systemctl restart incus.service
    else
      incus_up || systemctl enable --now incus.socket incus.service >/dev/null
    fi
  elif incus_up && [ "$SUBID_CHANGED" = 1 ]; then
    # SIGTERM stops the daemon only (running containers stay up), once its
    # running operations end: up to its shutdown timeout, 5 minutes.
    local pid
    pid=$(incusd_pid)
    echo "    restarting incusd for the new subuid/subgid entries (waits for running operations)"
    kill -TERM "$pid"
    for _ in $(seq 1 1320); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    # Something else (a supervisor) may have started it again meanwhile.
    sleep 1
    incus_up || start_incusd
    ok "restarted (pid $(incusd_pid))"
    return
  elif ! incus_up; then
    start_incusd
    ok "started (pid $(incusd_pid), log $(incusd_logfile))"
    return
  fi
  for _ in $(seq 1 120); do incus_up && break; sleep 0.5; done
  incus_up || die "incusd is not answering on $COI_SOCKET"
  ok "running (pid $(incusd_pid))"
}

ip2int() { local IFS=.; read -r a b c d <<<"$1"; echo $(( (a << 24) | (b << 16) | (c << 8) | d )); }

# Does prefix $1 (A.B.C.D[/L]) overlap the /24 of $2 (A.B.C.0)?
overlaps_24() {
  local n=${1%/*} l=${1#*/}
  [ "$l" = "$1" ] && l=32
  local m=$(( l < 24 ? l : 24 ))
  local mask=$(( m == 0 ? 0 : (0xffffffff << (32 - m)) & 0xffffffff ))
  [ $(( $(ip2int "$n") & mask )) = $(( $(ip2int "$2") & mask )) ]
}

# A private /24 that no route or address of this host overlaps (the default
# route aside).  Only 10.201.x.0/24 candidates: nothing near documentation
# ranges such as 192.0.2.0/24 or 203.0.113.0/24.
free_subnet() {
  local used third p
  used=$( { ip -4 route show table all; ip -4 -o addr show; } 2>/dev/null \
    | grep -oE '(^|[[:space:]])[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?' | tr -d ' \t' | sort -u)
  for third in $(seq 77 250); do
    local cand="10.201.$third.0" clash=0
    for p in $used; do
      overlaps_24 "$p" "$cand" && { clash=1; break; }
    done
    [ "$clash" = 0 ] && { echo "10.201.$third"; return 0; }
  done
  return 1
}

# Does a device of the default profile match the jq condition $1?  An
# error from Incus or jq is fatal, never a "no": this runs inside `if`,
# where set -e does not apply.
profile_has() {
  local prof found
  prof=$(api GET /1.0/profiles/default) || die "cannot read the default profile"
  found=$(jq -r "(.devices // {}) | to_entries | any($1)" <<<"$prof") \
    || die "cannot read the default profile's devices"
  [ "$found" = true ]
}

# Add one device to the default profile (PATCH merges it with the others).
profile_add_device() {
  api PATCH /1.0/profiles/default "$(jq -nc --arg n "$1" --argjson d "$2" '{devices:{($n):$d}}')" >/dev/null
}

setup_network() {
  step "network"
  if profile_has '.value.type == "nic"'; then
    ok "the default profile has a NIC: left as is"
    return
  fi
  local net
  local nets
  nets=$(api GET '/1.0/networks?recursion=1') || die "cannot list networks"
  # An empty server answers null, not [].
  net=$(jq -r '[(. // [])[] | select(.managed and .type == "bridge")]
    | (map(select(.name == $b)) + .)[0].name // empty' --arg b "$(bridge_name)" <<<"$nets") \
    || die "cannot read the network list"
  if [ -z "$net" ]; then
    local subnet
    subnet=$(free_subnet) || die "no free 10.201.x.0/24 subnet for the bridge"
    net=$(bridge_name)
    api POST /1.0/networks "$(jq -nc --arg n "$net" --arg a "$subnet.1/24" \
      '{name:$n, type:"bridge", config:{"ipv4.address":$a, "ipv4.nat":"true", "ipv6.address":"none"}}')" >/dev/null
    echo "    created bridge $net ($subnet.1/24)"
  fi
  profile_add_device eth0 "$(jq -nc --arg n "$net" '{type:"nic", name:"eth0", network:$n}')"
  ok "default profile eth0 -> $net"
}

setup_pool() {
  step "storage pool"
  if profile_has '.value.type == "disk" and .value.path == "/"'; then
    ok "the default profile has a root disk: left as is"
    return
  fi
  local pool
  local pools
  pools=$(api GET '/1.0/storage-pools?recursion=1') || die "cannot list storage pools"
  # An empty server answers null, not [].
  pool=$(jq -r '(. // []) | (map(select(.name == "default")) + .)[0].name // empty' <<<"$pools") \
    || die "cannot read the storage pool list"
  if [ -z "$pool" ]; then
    pool=default
    # btrfs on a loop file: launch in 0.25 s where dir takes 5-6 s here.
    local free_gib size
    free_gib=$(( $(df -k --output=avail "$(incus_var)" | tail -1) / 1048576 ))
    size=$POOL_SIZE_GIB
    [ "$size" -gt $((free_gib / 2)) ] && size=$((free_gib / 2))
    if [ "$size" -ge 5 ] && api POST /1.0/storage-pools "$(jq -nc --arg s "${size}GiB" \
      '{name:"default", driver:"btrfs", config:{size:$s}}')" >/dev/null; then
      echo "    created pool default (btrfs, ${size} GiB loop file)"
    else
      api POST /1.0/storage-pools '{"name":"default","driver":"dir"}' >/dev/null
      echo "    created pool default (dir: btrfs was not possible)"
    fi
  fi
  profile_add_device root "$(jq -nc --arg p "$pool" '{type:"disk", path:"/", pool:$p}')"
  ok "default profile root -> $pool"
}

# build_coi DIR TARGET [MESON-OPTION...]: meson setup (once) and ninja.
# TARGET "all" builds the tests too; coi-up.sh only needs src/cli/coi.
build_coi() {
  local dir=$1 target=$2; shift 2
  step "build $dir ($target)"
  if [ ! -f "$ROOT/$dir/build.ninja" ]; then
    meson setup "$ROOT/$dir" "$ROOT" "$@" >"$LOGDIR/meson-$dir.log" 2>&1 \
      || { tail -30 "$LOGDIR/meson-$dir.log" >&2; die "meson setup $dir failed"; }
  fi
  ninja -C "$ROOT/$dir" "$target" >"$LOGDIR/ninja-$dir.log" 2>&1 \
    || { tail -40 "$LOGDIR/ninja-$dir.log" >&2; die "build of $dir failed (log $LOGDIR/ninja-$dir.log)"; }
  ok "$ROOT/$dir/src/cli/coi"
}

# Where the guard of the server being set up keeps its root-owned binary,
# pid, log and socket (lib/guard/where.c decides the socket the same way).
guard_home() { if [ -n "${INCUS_DIR:-}" ]; then echo "$INCUS_DIR/coi"; else echo /run/coi; fi; }
guard_bin() { if [ -n "${INCUS_DIR:-}" ]; then echo "$INCUS_DIR/coi/bin/coi"; else echo /usr/local/lib/coi/coi; fi; }
guard_pidfile() { echo "$(guard_home)/guard.pid"; }
guard_log() { if [ -n "${INCUS_DIR:-}" ]; then echo "$INCUS_DIR/coi/guard.log"; else echo "$LOGDIR/guard.log"; fi; }
guard_running() {
  local pid
  pid=$(cat "$(guard_pidfile)" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
    && [ -S "$(guard_home)/guard.sock" ]
}

stop_guard() {
  local pid
  pid=$(cat "$(guard_pidfile)" 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
}

# start_guard BINARY: (re)start the guard service from a root-owned copy
# of BINARY.  It runs as root, so it never runs
# from a directory a user could write to.
start_guard() {
  local src=$1 bin
  bin=$(guard_bin)
  stop_guard
  install -D -m 0755 -o root -g root "$src" "$bin.new" && mv -f "$bin.new" "$bin"
  mkdir -p "$(guard_home)"
  ( close_inherited_fds; exec setsid env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      ${INCUS_DIR:+INCUS_DIR=$INCUS_DIR} "$bin" guard </dev/null >>"$(guard_log)" 2>&1 ) &
  echo $! > "$(guard_pidfile)"
  for _ in $(seq 1 100); do
    [ -S "$(guard_home)/guard.sock" ] && kill -0 "$(cat "$(guard_pidfile)")" 2>/dev/null && return 0
    kill -0 "$(cat "$(guard_pidfile)")" 2>/dev/null || break
    sleep 0.05
  done
  tail -5 "$(guard_log)" >&2 || true
  die "the guard service did not start (log: $(guard_log))"
}

# The guard service: what needs root for everyone's sessions (network
# rules, supervisors).  Restarted when the build changed.
setup_guard() {
  step "guard service"
  if [ -d /run/systemd/system ] && [ -z "${INCUS_DIR:-}" ]; then
    install -D -m 0755 -o root -g root "$ROOT/build/src/cli/coi" "$(guard_bin)"
    printf '%s\n' '[Unit]' 'Description=coi guard service (network rules and supervisors for coi sessions)' \
      'After=incus.service' '' '[Service]' "ExecStart=$(guard_bin) guard" 'Restart=always' '' \
      '[Install]' 'WantedBy=multi-user.target' > /etc/systemd/system/coi-guard.service
    systemctl daemon-reload
    systemctl enable coi-guard.service >/dev/null 2>&1 || true
    systemctl restart coi-guard.service
    ok "systemd unit coi-guard.service"
    return
  fi
  if guard_running && cmp -s "$ROOT/build/src/cli/coi" "$(guard_bin)"; then
    ok "running (pid $(cat "$(guard_pidfile)"))"
    return
  fi
  start_guard "$ROOT/build/src/cli/coi"
  ok "started (pid $(cat "$(guard_pidfile)"), log $(guard_log))"
}

# The image `coi`, unless it exists (coi build says so and does nothing).
build_image() {
  step "image coi"
  "$ROOT/build/src/cli/coi" build || die "coi build failed"
  ok "ready"
}

# `coi health` in DIR ($1), as the user the set-up is for (in the group
# that may use Incus, as their `coi shell` will be): its report is the last
# thing the set-up prints.  Degraded (exit 1) is said and the set-up goes
# on; unhealthy (exit 2) ends it with a non-zero exit.
health_report() {
  local dir=$1 user rc=0
  step "coi health"
  user=$(invoking_user)
  if [ "$user" != root ] && getent group incus-admin >/dev/null; then
    (cd "$dir" && sudo -H -u "$user" -g incus-admin -- "$ROOT/build/src/cli/coi" health) || rc=$?
  else
    (cd "$dir" && "$ROOT/build/src/cli/coi" health) || rc=$?
  fi
  case "$rc" in
    0) ok "healthy" ;;
    1) ok "degraded: each warning above names the command that mends it" ;;
    *) die "coi health: unhealthy (exit $rc): each failure above names the command that mends it" ;;
  esac
}

setup_machine() {
  mkdir -p "$LOGDIR"
  setup_packages
  setup_subids
  setup_incusd
  setup_pool
  setup_network
}
