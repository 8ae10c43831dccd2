# Shared fixture of the monitor tests (sourced): a tools container to copy
# (python3, perl, curl, gcc, git over the test image), a network namespace
# "internet" host at 198.51.100.144 and a fake metadata host at
# 169.254.169.254 (both reached by /32 routes only), supervisors started
# through the library API, and cleanup of everything named coi-test-mon-*.
#
# Needs: root, incusd, the test image ($COI_TEST_IMAGE, else coi), perl on the host.
# Usage in a test: . test_monitor_lib.sh; mon_start "$@"; ...
# shellcheck shell=bash

MON_PREFIX=coi-test-mon-
MON_NS=coi-test-mon
MON_VETH_H=coitm-h
MON_VETH_N=coitm-n
MON_HOST_IP=198.51.100.1
MON_LISTEN_IP=198.51.100.144
MON_METADATA_IP=169.254.169.254
MON_TOOLS=${MON_PREFIX}tools-$$
MON_IMAGE=${COI_TEST_IMAGE:-coi}

mon_log () { printf '# %s\n' "$*"; }

mon_cleanup ()
{
  local c
  for c in $(incus list -c n --format csv "^${MON_PREFIX}" 2>/dev/null); do
    case "$c" in "${MON_PREFIX}"*-$$|"${MON_PREFIX}"*-$$-*) incus delete -f "$c" >/dev/null 2>&1 ;; esac
  done
  # Supervisors of this run (their containers are gone, they exit on their own;
  # this only stops stragglers we started).
  for p in ${MON_SUPERVISORS:-}; do kill "$p" 2>/dev/null; done
  # A supervisor that is still exiting would make its run directory again
  # after the rm below: wait for them.
  for p in ${MON_SUPERVISORS:-}; do
    for _ in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done
  for p in ${MON_LISTENERS:-}; do kill "$p" 2>/dev/null; done
  ip route del "$MON_LISTEN_IP/32" dev "$MON_VETH_H" 2>/dev/null
  ip route del "$MON_METADATA_IP/32" dev "$MON_VETH_H" 2>/dev/null
  ip link del "$MON_VETH_H" 2>/dev/null
  ip netns del "$MON_NS" 2>/dev/null
  [ -n "${MON_KEEP:-}" ] || rm -rf "${MON_TMP:-/nonexistent}"
}

# The tools container: copied per test (btrfs copy ~50 ms), so each test
# starts from the same image and nothing it does leaks into the next.
mon_make_tools ()
{
  incus launch "$MON_IMAGE" "$MON_TOOLS" >/dev/null || return 1
  mon_wait_ip "$MON_TOOLS" >/dev/null || return 1
  # The container has NAT to the package mirror its image was built from.
  for _ in 1 2 3; do
    incus exec "$MON_TOOLS" -- sh -c 'apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3 curl gcc libc6-dev make git >/dev/null 2>&1' && break
    sleep 20
  done
  incus exec "$MON_TOOLS" -- sh -c 'command -v python3 && command -v curl && command -v gcc && command -v git' >/dev/null || return 1
  incus stop "$MON_TOOLS" >/dev/null
}

mon_wait_ip ()
{
  local ip
  for _ in $(seq 1 100); do
    ip=$(incus list "^$1\$" -c 4 --format csv 2>/dev/null | cut -d' ' -f1)
    [ -n "$ip" ] && { echo "$ip"; return 0; }
    sleep 0.1
  done
  return 1
}

# mon_container NAME [incus config args...]: a running copy of the tools container.
mon_container ()
{
  local name=$1; shift
  incus copy "$MON_TOOLS" "$name" "$@" >/dev/null || return 1
  incus start "$name" >/dev/null || return 1
  mon_wait_ip "$name" >/dev/null
}

mon_netns ()
{
  if ip route show "$MON_LISTEN_IP/32" | grep -q . || ip route show "$MON_METADATA_IP/32" | grep -q .; then
    mon_log "a route to $MON_LISTEN_IP or $MON_METADATA_IP already exists: another test owns it"
    return 1
  fi
  ip netns add "$MON_NS" || return 1
  ip link add "$MON_VETH_H" type veth peer name "$MON_VETH_N" || return 1
  ip link set "$MON_VETH_N" netns "$MON_NS" || return 1
  ip addr add "$MON_HOST_IP/32" dev "$MON_VETH_H" || return 1
  ip link set "$MON_VETH_H" up || return 1
  ip route add "$MON_LISTEN_IP/32" dev "$MON_VETH_H" || return 1
  ip route add "$MON_METADATA_IP/32" dev "$MON_VETH_H" || return 1
  ip -n "$MON_NS" link set lo up || return 1
  ip -n "$MON_NS" addr add "$MON_LISTEN_IP/32" dev "$MON_VETH_N" || return 1
  ip -n "$MON_NS" addr add "$MON_METADATA_IP/32" dev "$MON_VETH_N" || return 1
  ip -n "$MON_NS" link set "$MON_VETH_N" up || return 1
  # Container traffic arrives masqueraded to the host's address on this link.
  ip -n "$MON_NS" route add "$MON_HOST_IP/32" dev "$MON_VETH_N" || return 1
}

# A reverse-shell listener: accepts, sends "id", keeps each connection open.
# shellcheck disable=SC2016 # the single-quoted program is perl's, its $ too
mon_listen ()
{
  local port=$1
  ip netns exec "$MON_NS" perl -MIO::Socket::INET -e '
    $| = 1;
    my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1], Listen => 8, ReuseAddr => 1) or die "listen: $!";
    while (my $c = $s->accept) { if (fork == 0) { print $c "id\n"; sleep 20; exit 0 } close $c }' \
    "$MON_LISTEN_IP" "$port" >/dev/null 2>&1 &
  MON_LISTENERS="${MON_LISTENERS:-} $!"
}

# A sink that reads and drops everything sent to it (egress volume).
# shellcheck disable=SC2016 # the single-quoted program is perl's, its $ too
mon_sink ()
{
  ip netns exec "$MON_NS" perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => $ARGV[1], Listen => 8, ReuseAddr => 1) or die;
    while (my $c = $s->accept) { if (fork == 0) { my $b; while (sysread ($c, $b, 65536)) {} exit 0 } close $c }' \
    "$MON_LISTEN_IP" "$1" >/dev/null 2>&1 &
  MON_LISTENERS="${MON_LISTENERS:-} $!"
}

# A fake metadata service on 169.254.169.254:80 answering any request.
# shellcheck disable=SC2016 # the single-quoted program is perl's, its $ too
mon_metadata ()
{
  ip netns exec "$MON_NS" perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(LocalAddr => $ARGV[0], LocalPort => 80, Listen => 8, ReuseAddr => 1) or die;
    while (my $c = $s->accept) { my $l = <$c>; print $c "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nami"; close $c }' \
    "$MON_METADATA_IP" >/dev/null 2>&1 &
  MON_LISTENERS="${MON_LISTENERS:-} $!"
}

# mon_spec FILE CONTAINER EPHEMERAL MODE [extra JSON members]
mon_spec ()
{
  printf '{"container":"%s","ephemeral":%s,"started_at":%s,"network":{"mode":"%s"},"monitoring":{"enabled":true}%s}\n' \
    "$2" "$3" "$(date +%s)" "$4" "${5:-}" > "$1"
}

# Start a supervisor through coi_supervisor_spawn (the launcher's call); the
# spawning program exits at once, as a detached `coi` would.
mon_supervise ()
{
  local pid
  pid=$("$SPAWN" "$COI" "$1") || return 1
  MON_SUPERVISORS="${MON_SUPERVISORS:-} $pid"
  echo "$pid"
}

mon_audit () { cat "$HOME/.coi/audit/$1.jsonl" 2>/dev/null; }

mon_ms () { echo $(( $(date +%s%N) / 1000000 )); }

# mon_wait_down NAME TIMEOUT_MS: until NAME is stopped or deleted; prints the
# milliseconds waited, fails on timeout.
mon_wait_down ()
{
  local start st
  start=$(mon_ms)
  while :; do
    st=$(incus list "^$1\$" -c s --format csv 2>/dev/null)
    case "$st" in ""|STOPPED) echo $(( $(mon_ms) - start )); return 0 ;; esac
    if [ $(( $(mon_ms) - start )) -gt "$2" ]; then echo $(( $(mon_ms) - start )); return 1; fi
    sleep 0.05
  done
}

mon_init_pid () { incus query "/1.0/instances/$1/state" 2>/dev/null | jq -r '.pid // 0'; }

# mon_wait_dead PID TIMEOUT_MS: until the host pid (a container's init) is
# gone, which kills every process of the container; prints ms waited.
mon_wait_dead ()
{
  local start
  start=$(mon_ms)
  while [ -e "/proc/$1" ]; do
    if [ $(( $(mon_ms) - start )) -gt "$2" ]; then echo $(( $(mon_ms) - start )); return 1; fi
    sleep 0.01
  done
  echo $(( $(mon_ms) - start ))
}

# mon_start PATH/TO/coi PATH/TO/test_monitor_spawn: the common start of a
# test script (TAP, root only, private HOME and run directory).
mon_start ()
{
  COI=$(realpath "$1")
  SPAWN=$(realpath "$2")
  # shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
  . "$(dirname "${BASH_SOURCE[0]}")/../lib/tap.sh"
  if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi
  mon_setup
}

mon_setup ()
{
  MON_TMP=$(mktemp -d /tmp/coi-test-mon.XXXXXX) || bail "cannot make a temporary directory"
  # The user's run files (alerts) are in ~/.coi/run; a supervisor's own
  # (lock, log) beside its spec, in $MON_TMP.
  export HOME=$MON_TMP/home
  MON_RUN=$HOME/.coi/run
  mkdir -p "$MON_RUN" || bail "cannot make $MON_RUN"
  mkdir -p "$HOME" || bail "cannot make $HOME"
  trap mon_cleanup EXIT
  # A signal ends the script through exit, so the EXIT trap still cleans up.
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
