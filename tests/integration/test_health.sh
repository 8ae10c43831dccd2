#!/bin/bash
# coi health (TAP).  First against the server the environment names (the
# machine's, or the one scripts/test.sh runs everything against): it must
# not be unhealthy, and every line must have a status.  Then every check is
# broken on purpose on a throwaway Incus server of this test's own (its own
# INCUS_DIR, bridge and dir pool, scripts/lib/testserver.sh, and its own
# guard service, started as the set-up starts it), and the exact line and
# exit code are asserted: the daemon stopped, the guard stopped (restricted
# and open network), the pool gone from the default profile, the image
# deleted or stale or old, leftovers that `coi clean` removes (the user's
# claim and alerts files, network state the guard lost track of, and not
# what the guard drops itself), a config file with a syntax error, a
# missing subuid entry (in a copy: the check's files are injectable,
# /etc/subuid is never touched), a user who may not use the server, and one
# in incus-admin who is not root.  The guard and the throwaway server go on
# every exit path.
# Usage: test_health.sh PATH/TO/coi PATH/TO/guard_call
set -u
COI=$(realpath "$1")
CALL=$(realpath "$2")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$HERE/../lib/tap.sh"

TMPD=$(mktemp -d /tmp/coi-health.XXXXXX)
ERRF="$TMPD/stderr"
cd "$TMPD" || exit 1
LAUNCHER=
GUARD_UP=
cleanup ()
{
  [ -n "$LAUNCHER" ] && kill "$LAUNCHER" 2>/dev/null
  # Only the test server's guard: without INCUS_DIR stop_guard would stop the machine's.
  if [ -n "$GUARD_UP" ] && [ -n "${INCUS_DIR:-}" ]; then stop_guard >>"$TMPD/server.log" 2>&1; fi
  if declare -F testserver_down >/dev/null; then testserver_down >>"$TMPD/server.log" 2>&1; fi
  rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The fix coi names for a missing server, pool, bridge or id map: the
# set-up script of the checkout its binary was built in.
SETUP="scripts/coi-up.sh --no-shell"
B=$(dirname "$(dirname "$(dirname "$(dirname "$COI")")")")
[ -f "$B/scripts/coi-up.sh" ] && SETUP="$B/scripts/coi-up.sh --no-shell"

c () { OUT=$("$COI" "$@" 2>"$ERRF"); RC=$?; ERR=$(cat "$ERRF"); }
# The line of check $1 in the last text report.
line () { printf '%s\n' "$OUT" | grep -E "^  \[(OK|WARN|FAIL|SKIP)\] +$1: "; }
json_get () { python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }
HEADINGS="SYSTEM CRITICAL NETWORKING MONITORING STORAGE CONFIGURATION STATUS OPTIONAL"

# --- the server coi uses here --------------------------------------------------------
c health
printf '%s\n' "$OUT" | sed 's/^/# /'
case "$RC" in
  0|1) tap_ok "the server in use: healthy or degraded (exit $RC)" ;;
  *) tap_not_ok "the server in use: healthy or degraded" "exit $RC" ;;
esac
is "the server in use: nothing on stderr" "$ERR" ""
is "the server in use: the headings, in order" \
  "$(printf '%s\n' "$OUT" | grep -E '^[A-Z]+$' | tr '\n' ' ')" "$HEADINGS "
bad=$(printf '%s\n' "$OUT" | grep -vE '^[A-Z]+$' | grep -vE '^  \[(OK\]  |WARN\]|FAIL\]|SKIP\]) [a-z-]+: .+' \
  | grep -vE '^Overall: (healthy|degraded|unhealthy) \(exit [012]\): [0-9]+ ok, [0-9]+ warnings?, [0-9]+ failed, [0-9]+ skipped$')
is "the server in use: every line is a heading, a check with its status, or the summary" "$bad" ""
is "the server in use: every warning names its fix" \
  "$(printf '%s\n' "$OUT" | grep -E '^  \[(WARN|FAIL)\]' | grep -vc '; run: .')" 0
is "the server in use: 17 checks" "$(printf '%s\n' "$OUT" | grep -cE '^  \[')" 17
c health --format json
is "the server in use: JSON exit_code is the exit code" "$(printf '%s' "$OUT" | json_get 'd["exit_code"]')" "$RC"
is "the server in use: JSON checks" "$(printf '%s' "$OUT" | json_get 'len(d["checks"])')" 17

# --- a throwaway server ----------------------------------------------------------------
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/setup.sh
. "$ROOT/scripts/lib/setup.sh"
# shellcheck source-path=SCRIPTDIR source=../../scripts/lib/testserver.sh
. "$ROOT/scripts/lib/testserver.sh"
# die() would leave a TAP stream without a plan.
die () { echo "Bail out! $*"; exit 1; }
{
  testserver_up && start_incusd \
    && api POST /1.0/storage-pools '{"name":"default","driver":"dir"}' >/dev/null \
    && profile_add_device root '{"type":"disk","path":"/","pool":"default"}' && setup_network
} >>"$TMPD/server.log" 2>&1 || { sed 's/^/# /' "$TMPD/server.log"; die "no throwaway Incus server"; }
# testserver_up exported INCUS_DIR: coi, the incus CLI (the witness) and
# the guard's helpers (guard_home, start_guard, stop_guard) use it.
SUBNET=$(incus network get "$COI_BRIDGE" ipv4.address)
# The server's guard, from a root-owned copy of the coi under test (in a
# subshell: start_guard's die would end this script with its words in the log).
guard_up () { ( start_guard "$COI" ) >>"$TMPD/server.log" 2>&1 || { tail -5 "$TMPD/server.log" | sed 's/^/# /'; return 1; }; }
GUARD_UP=1
guard_up || die "no guard service"
GSOCK=$(guard_home)/guard.sock
TABLE=coi_$(printf %s "$INCUS_DIR" | sha256sum | cut -c1-8)
VERSION=$("$COI" --version | awk '{ print $NF }')
GUARD_FIX="sudo INCUS_DIR=$INCUS_DIR $SETUP"

# coi's own state where the test owns it.
export HOME="$TMPD/home" COI_CONTAINER_PREFIX=coi-hlt-
export COI_SUBUID_FILE="$TMPD/subuid" COI_SUBGID_FILE="$TMPD/subgid"
R=$HOME/.coi/run
mkdir -p "$R"
echo "root:$(id -u):1" > "$COI_SUBUID_FILE"
echo "root:$(id -g):1" > "$COI_SUBGID_FILE"

# A tiny image: metadata.yaml with coi's properties and a near-empty rootfs.
tiny ()
{
  local recipe=$1 built=$2 d
  d=$(mktemp -d "$TMPD/img.XXXXXX")
  mkdir -p "$d/rootfs/etc"
  echo "$recipe $built" > "$d/rootfs/etc/tiny"
  printf 'architecture: %s\ncreation_date: %s\nproperties:\n  description: coi health test\n  coi.recipe: "%s"\n  coi.templates: "2"\n  coi.built: "%s"\n' \
    "$(uname -m)" "$(date +%s)" "$recipe" "$built" > "$d/metadata.yaml"
  tar -C "$d" -cf "$d.tar" metadata.yaml rootfs
  incus image delete coi >/dev/null 2>&1
  incus image import "$d.tar" --alias coi >/dev/null || die "cannot import a tiny image"
}

# An image 40 days old, from another recipe.
tiny 0000000000000000 "$(date -u -d '40 days ago' +%Y%m%d-%H%M%S)"
c health --format json
KEY=$(printf '%s' "$OUT" | json_get '[c for c in d["checks"] if c["name"]=="recipe"][0]["details"][0].split(": ")[1]')
matches "the recipe check names this coi's recipe key" "$KEY" '^[0-9a-f]{16}$'
c health
FP=$(incus image list coi -f csv -c f)
matches "old image: warning with its age" "$(line image)" \
  "^  \[WARN\] image: coi is ${FP:0:12} \([0-9.]+ (B|KiB|MiB)\), built 40 days ago: its packages are out of date; run: coi build --force$"
is "stale recipe: warning naming both recipes" "$(line recipe)" \
  "  [WARN] recipe: coi was built by another recipe (0000000000000000, templates v2); this coi's is $KEY, templates v2; run: coi build --force"

# --- the baseline: everything fine but the dir pool ------------------------------------
tiny "$KEY" "$(date -u +%Y%m%d-%H%M%S)"
FP=$(incus image list coi -f csv -c f)
c health
printf '%s\n' "$OUT" | sed 's/^/# /'
is "baseline: exit 1 (degraded)" "$RC" 1
is "baseline: one warning, the dir pool" "$(printf '%s\n' "$OUT" | grep -E '^  \[(WARN|FAIL|SKIP)\]')" \
  "  [WARN] pool: default (dir), from the default profile: every launch copies the whole image (slow); run: incus storage create coi-btrfs btrfs size=20GiB && incus profile device set default root pool=coi-btrfs"
matches "baseline: incus line" "$(line incus)" "^  \[OK\]   incus: reachable at $INCUS_DIR/unix\.socket, version [0-9.]+$"
is "baseline: permission line" "$(line permission)" "  [OK]   permission: root may use $INCUS_DIR/unix.socket"
matches "baseline: image line" "$(line image)" "^  \[OK\]   image: coi is ${FP:0:12} \([0-9.]+ (B|KiB|MiB)\), built [0-9]+ minutes ago$"
is "baseline: recipe line" "$(line recipe)" "  [OK]   recipe: coi matches this coi's recipe ($KEY, templates v2)"
is "baseline: bridge line" "$(line bridge)" \
  "  [OK]   bridge: default profile eth0 -> $COI_BRIDGE, ${SUBNET%.*/*}.0/24 (gateway ${SUBNET%/*})"
is "baseline: subids line" "$(line subids)" \
  "  [OK]   subids: root may map uid $(id -u) ($COI_SUBUID_FILE) and gid $(id -g) ($COI_SUBGID_FILE) for raw.idmap"
is "baseline: config line" "$(line config)" "  [OK]   config: loads (profile none, image coi, network.mode restricted)"
is "baseline: containers line" "$(line containers)" "  [OK]   containers: 0 coi containers: 0 running, 0 stopped"
is "baseline: leftovers line" "$(line leftovers)" "  [OK]   leftovers: nothing for coi clean to remove"
matches "baseline: nftables line" "$(line nftables)" "^  \[OK\]   nftables: usable: libnftables lists the ruleset \([0-9]+ tables\)$"
is "baseline: guard line" "$(line guard)" "  [OK]   guard: answers on $GSOCK (coi $VERSION, table inet $TABLE)"
is "baseline: summary" "$(printf '%s\n' "$OUT" | tail -1)" "Overall: degraded (exit 1): 16 ok, 1 warning, 0 failed, 0 skipped"

# --- the guard stopped ---------------------------------------------------------------------
stop_guard
c health -v
is "guard stopped: exit 2 (network.mode restricted needs it)" "$RC" 2
is "guard stopped: the guard line and its fix" "$(line guard)" \
  "  [FAIL] guard: the guard service does not answer: connect to the guard service at $GSOCK: No such file or directory; run: $GUARD_FIX"
is "guard stopped: the only failure" "$(printf '%s\n' "$OUT" | grep -c '^  \[FAIL\]')" 1
is "guard stopped: the network state is not judged without it" \
  "$(printf '%s\n' "$OUT" | sed -n '/^  \[OK\]   leftovers:/,/^[A-Z]/p' | grep '^         - ')" \
  "         - network rules not looked at: no guard service answers"
mkdir -p "$HOME/.coi"
printf '[network]\nmode = "open"\n' > "$HOME/.coi/config.toml"
c health
is "guard stopped, network open: exit 1 (degraded)" "$RC" 1
is "guard stopped, network open: a warning" "$(line guard)" \
  "  [WARN] guard: the guard service does not answer: connect to the guard service at $GSOCK: No such file or directory; run: $GUARD_FIX"
is "guard stopped, network open: no nftables needed" "$(line nftables)" "  [OK]   nftables: not needed: network.mode is open"
printf '[network]\nmode = "open"\n[monitoring]\nenabled = true\n' > "$HOME/.coi/config.toml"
c health
is "guard stopped, network open, monitor on: exit 2 (the monitor needs it)" "$RC" 2
like "guard stopped, network open, monitor on: a failure" "$(line guard)" "  [FAIL] guard: the guard service does not answer: "
printf '[network]\nmode = "open"\n[limits.runtime]\nmax_duration = "2h"\n' > "$HOME/.coi/config.toml"
c health
is "guard stopped, network open, time limit: exit 2 (the limit needs it)" "$RC" 2
rm -f "$HOME/.coi/config.toml"
guard_up || die "the guard did not come back"
c health
is "guard back: healthy again but the dir pool (exit 1)" "$RC" 1

# --- the daemon stopped ------------------------------------------------------------------
PID=$(cat "$INCUS_DIR/incusd.pid")
kill -TERM "$PID"
for _ in $(seq 1 120); do kill -0 "$PID" 2>/dev/null || break; sleep 0.25; done
c health
is "daemon stopped: exit 2" "$RC" 2
is "daemon stopped: the incus line and its fix" "$(line incus)" \
  "  [FAIL] incus: cannot reach the Incus server: socket $INCUS_DIR/unix.socket does not exist; run: $SETUP"
is "daemon stopped: what needs the server is skipped" "$(line image)" \
  "  [SKIP] image: not checked: the Incus server does not answer"
is "daemon stopped: no socket to judge" "$(line permission)" \
  "  [SKIP] permission: not checked: no socket at $INCUS_DIR/unix.socket"
is "daemon stopped: 9 checks skipped (the guard's too)" "$(printf '%s\n' "$OUT" | grep -c '^  \[SKIP\]')" 9
is "daemon stopped: the guard is not judged" "$(line guard)" "  [SKIP] guard: not checked: the Incus server does not answer"
c health --format json
is "daemon stopped: JSON status" "$(printf '%s' "$OUT" | json_get 'd["status"], d["exit_code"]')" "('unhealthy', 2)"
is "daemon stopped: JSON fix" "$(printf '%s' "$OUT" | json_get '[c["fix"] for c in d["checks"] if c["name"]=="incus"][0]')" "$SETUP"
start_incusd >>"$TMPD/server.log" 2>&1 || die "the throwaway server did not come back"

# --- the pool gone from the default profile -------------------------------------------
incus profile device remove default root >/dev/null
c health
is "no root disk: exit 2" "$RC" 2
is "no root disk: the pool line and its fix" "$(line pool)" \
  "  [FAIL] pool: the default profile has no root disk (no storage pool for containers); run: $SETUP"
is "no root disk: pool space skipped" "$(line pool-space)" "  [SKIP] pool-space: not checked: no storage pool"
incus profile device add default root disk path=/ pool=default >/dev/null

# --- the image deleted ------------------------------------------------------------------
incus image delete coi
c health
is "no image: exit 2" "$RC" 2
is "no image: the image line and its fix" "$(line image)" "  [FAIL] image: image 'coi' not found on the server; run: coi build"
is "no image: recipe skipped" "$(line recipe)" "  [SKIP] recipe: not checked: no image"
tiny "$KEY" "$(date -u +%Y%m%d-%H%M%S)"

# --- leftovers that coi clean removes ------------------------------------------------------
incus init coi coi-hlt-stopped-1 >/dev/null 2>&1 || die "cannot create a container from the tiny image"
# The user's run files (~/.coi/run): a launcher's claim ("PID:BOOT-ID") and
# the supervisor's alert lines.
BOOT=$(cat /proc/sys/kernel/random/boot_id)
DEAD=$(sh -c 'echo $$')
sleep 600 &
LAUNCHER=$!
# A launcher killed an hour ago; a monitored session that ended an hour ago;
# a launcher still attached; a launch just begun (its launcher died, but it
# is young); a container that still exists.
claim () { printf '%s:%s' "$2" "$BOOT" > "$R/$1.claim"; }
claim coi-hlt-gone-1 "$DEAD"
touch "$R/coi-hlt-gone-1.alerts" "$R/coi-hlt-gone-2.alerts" "$R/coi-hlt-alive-1.alerts" "$R/coi-hlt-stopped-1.alerts"
claim coi-hlt-alive-1 "$LAUNCHER"
touch -d '1 hour ago' "$R"/*
claim coi-hlt-young-1 "$DEAD"
# Supervisors' files are the guard's (in its state directory): not the user's leftovers.
SESSIONS=$(guard_home)/guard/sessions
touch -d '1 hour ago' "$SESSIONS/coi-hlt-sup-1.lock" "$SESSIONS/coi-hlt-sup-1.spec.json"
c health -v
is "leftovers: exit 1" "$RC" 1
is "leftovers: the line and its fix" "$(line leftovers)" \
  "  [WARN] leftovers: 1 stopped container, 2 containers gone with run files left; run: coi clean --orphans"
is "leftovers: what they are, with --verbose" \
  "$(printf '%s\n' "$OUT" | sed -n '/^  \[WARN\] leftovers:/,/^[A-Z]/p' | grep '^         - ' | sort)" \
  "         - coi-hlt-stopped-1 (Stopped)
         - run files of coi-hlt-gone-1 (gone): $R/coi-hlt-gone-1.claim $R/coi-hlt-gone-1.alerts
         - run files of coi-hlt-gone-2 (gone): $R/coi-hlt-gone-2.alerts"
is "leftovers: the containers line" "$(line containers)" "  [OK]   containers: 1 coi container: 0 running, 1 stopped"
c clean --orphans --dry-run
like "clean --dry-run names the same run files" "$OUT" \
  "Would remove run files of coi-hlt-gone-1 (gone): $R/coi-hlt-gone-1.claim $R/coi-hlt-gone-1.alerts"
unlike "clean --dry-run: a container that exists keeps its alerts" "$OUT" "run files of coi-hlt-stopped-1"
unlike "clean --dry-run: the guard's files are not the user's" "$OUT" "coi-hlt-sup-1"
c clean --orphans --force
is "clean --orphans: exit 0" "$RC" 0
like "clean --orphans: the container" "$OUT" "Removing coi-hlt-stopped-1"
like "clean --orphans: the run files" "$OUT" \
  "Removed run files of coi-hlt-gone-1 (gone): $R/coi-hlt-gone-1.claim $R/coi-hlt-gone-1.alerts"
like "clean --orphans: the alerts of the container it removed" "$OUT" \
  "Removed run files of coi-hlt-stopped-1 (gone): $R/coi-hlt-stopped-1.alerts"
is "clean --orphans: an attached launcher's and a young launch's files stay" \
  "$(find "$R" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "coi-hlt-alive-1.alerts coi-hlt-alive-1.claim coi-hlt-young-1.claim "
is "clean --orphans: the guard's state directory is untouched" \
  "$(find "$SESSIONS" -name 'coi-hlt-sup-1.*' -printf '%f\n' | sort | tr '\n' ' ')" "coi-hlt-sup-1.lock coi-hlt-sup-1.spec.json "
c health
is "after clean: no leftovers" "$(line leftovers)" "  [OK]   leftovers: nothing for coi clean to remove"
kill "$LAUNCHER" 2>/dev/null; LAUNCHER=
c health
is "the launcher gone: its old claim is a leftover" "$(line leftovers)" \
  "  [WARN] leftovers: 1 container gone with run files left; run: coi clean --orphans"
rm -f "$R"/* "$SESSIONS"/coi-hlt-sup-1.*

# --- network state of containers that are gone: the guard's ---------------------------------
# What the guard's own records cover it removes itself: a container deleted
# behind coi's back while the guard was down is dropped when it comes back.
POLICY='{"mode":"restricted","entries":[],"hosts":[],"dns_servers":[],"allowed_ports":[],"allow_local_network_access":false,"block_private_networks":true,"block_metadata_endpoint":true,"logging":false,"refresh_interval_minutes":30}'
gcall () { "$CALL" "$GSOCK" "{\"v\":1,\"op\":\"$1\",\"args\":$2}"; }
chains () { nft list table inet "$TABLE" 2>/dev/null | grep -c "chain c_" || true; }
N1=coi-hlt-net-1
PLAN=$(gcall net.reserve "{\"container\":\"$N1\",\"devices\":{},\"profiles\":[\"default\"],\"state_dir\":\"$HOME/.coi\"}")
A1=$(printf '%s' "$PLAN" | jq -r '.result.address // empty')
api POST /1.0/instances "$(printf '%s' "$PLAN" | jq -c --arg n "$N1" \
  '{name: $n, source: {type: "image", alias: "coi"}, devices: .result.devices, config: .result.config}')" >/dev/null \
  || die "cannot create $N1 with the guard's NIC plan: $PLAN"
like "guarded container: the guard takes it" "$(gcall session.guard "{\"container\":\"$N1\",\"policy\":$POLICY,\"state_dir\":\"$HOME/.coi\"}")" '"ok":true'
check "guarded container: its rules are in the guard's table" test "$(chains)" -ge 1
stop_guard
incus delete -f "$N1" >/dev/null
check "deleted while the guard is down: its rules stay" test "$(chains)" -ge 1
check "deleted while the guard is down: its reservation stays" test -e "$(guard_home)/net/addr/$A1"
c health -v
is "deleted while the guard is down: health cannot judge the network state" \
  "$(printf '%s\n' "$OUT" | sed -n '/^  \[OK\]   leftovers:/,/^[A-Z]/p' | grep '^         - ')" \
  "         - network rules not looked at: no guard service answers"
guard_up || die "the guard did not come back"
for _ in $(seq 1 40); do [ "$(chains)" = 0 ] && break; sleep 0.05; done
is "the guard back: it dropped the rules itself" "$(chains)" 0
check "the guard back: and the reservation" test ! -e "$(guard_home)/net/addr/$A1"
c health
is "the guard back: no leftovers" "$(line leftovers)" "  [OK]   leftovers: nothing for coi clean to remove"

# State the guard has no record of (killed between applying the rules and
# writing its record, or its state directory lost) is what health reports
# and clean --orphans removes.
N2=coi-hlt-net-2
A2=$(gcall net.reserve "{\"container\":\"$N2\",\"devices\":{},\"profiles\":[\"default\"],\"state_dir\":\"$HOME/.coi\"}" | jq -r '.result.address // empty')
check "a reservation: rules for its address" test "$(chains)" -ge 1
stop_guard
rm -f "$(guard_home)/guard/sessions/$N2.json"
guard_up || die "the guard did not come back"
c health -v
is "unrecorded: the rules, the reservation is young" "$(line leftovers)" \
  "  [WARN] leftovers: 1 orphaned network rule set; run: coi clean --orphans"
is "unrecorded: what, with --verbose" \
  "$(printf '%s\n' "$OUT" | sed -n '/^  \[WARN\] leftovers:/,/^[A-Z]/p' | grep '^         - ')" \
  "         - network rules of $A2 ($N2, gone)"
touch -d '1 hour ago' "$(guard_home)/net/addr/$A2"
c health -v
is "unrecorded, an hour old: the rules and the reservation" "$(line leftovers)" \
  "  [WARN] leftovers: 1 orphaned network rule set, 1 orphaned address reservation; run: coi clean --orphans"
is "unrecorded, an hour old: what, with --verbose" \
  "$(printf '%s\n' "$OUT" | sed -n '/^  \[WARN\] leftovers:/,/^[A-Z]/p' | grep '^         - ')" \
  "         - network rules of $A2 ($N2, gone)
         - address reservation $A2 ($N2, gone)"
c clean --orphans --dry-run
is "unrecorded: clean --dry-run names the same" "$OUT" \
  "Would remove network rules of $A2 ($N2, gone)
Would remove address reservation $A2 ($N2, gone)"
check "unrecorded: --dry-run removes nothing" test "$(chains)" -ge 1
c clean --orphans --force
is "unrecorded: clean --orphans removes them" "$OUT" \
  "Removed network rules of $A2 ($N2, gone)
Removed address reservation $A2 ($N2, gone)"
is "unrecorded: the rules are gone" "$(chains)" 0
check "unrecorded: the reservation is gone" test ! -e "$(guard_home)/net/addr/$A2"
c health
is "unrecorded, cleaned: no leftovers" "$(line leftovers)" "  [OK]   leftovers: nothing for coi clean to remove"

# --- a config file with a syntax error ------------------------------------------------------
mkdir -p "$HOME/.coi"
printf '[container]\nimage = "coi"\nfoo = [\n' > "$HOME/.coi/config.toml"
c health
is "config error: exit 2" "$RC" 2
is "config error: the file:line and the fix" "$(line config)" \
  "  [FAIL] config: ~/.coi/config.toml:3:7: unterminated array: expected ']'; run: sensible-editor +3 ~/.coi/config.toml"
printf '[container]\nimage = "coi"\nfoo = 1\n' > "$HOME/.coi/config.toml"
c health
is "config warning: unknown key" "$(line config)" \
  "  [WARN] config: 1 warning: ~/.coi/config.toml:3: unknown key \"container.foo\"; run: sensible-editor +3 ~/.coi/config.toml"
rm -f "$HOME/.coi/config.toml"

# --- no subuid entry for this user ----------------------------------------------------------
echo "root:1000000:1000000000" > "$COI_SUBUID_FILE"
c health
is "no subuid entry: exit 2" "$RC" 2
is "no subuid entry: the line and its fix" "$(line subids)" \
  "  [FAIL] subids: no root:$(id -u):1 in $COI_SUBUID_FILE: a workspace of uid $(id -u) needs it for raw.idmap; run: $SETUP"
echo "root:$(id -u):1" > "$COI_SUBUID_FILE"

# --- a user who may not use the socket --------------------------------------------------------
NB=$TMPD/nobody
mkdir -p "$NB/home"
printf 'root:%s:1\n' "$(id -u nobody)" > "$NB/subid"
chmod 711 "$TMPD"
chown -R nobody "$NB"
# as_nobody GROUPS-OPTION: coi health as nobody, with these groups.
as_nobody ()
{
  OUT=$(cd "$NB" && HOME="$NB/home" COI_SUBUID_FILE="$NB/subid" COI_SUBGID_FILE="$NB/subid" \
    setpriv --reuid=nobody --regid="$(id -g nobody)" "$1" --inh-caps=-all -- "$COI" health 2>"$ERRF")
  RC=$?
}
as_nobody --clear-groups
NOGROUP_FIX="sudo usermod -aG incus-admin nobody && newgrp incus-admin"
is "not in incus-admin: exit 2" "$RC" 2
is "not in incus-admin: the incus line and its fix" "$(line incus)" \
  "  [FAIL] incus: uid $(id -u nobody) may not use $INCUS_DIR/unix.socket (group incus-admin, mode 0660); run: $NOGROUP_FIX"
is "not in incus-admin: the permission line and its fix" "$(line permission)" \
  "  [FAIL] permission: uid $(id -u nobody) (nobody) may not use $INCUS_DIR/unix.socket: not a member of group incus-admin; run: $NOGROUP_FIX"
is "not root: nftables is the guard's" "$(line nftables)" \
  "  [OK]   nftables: changed by the guard service, not by coi (see guard)"
is "not in incus-admin: the guard is not judged without the server" "$(line guard)" \
  "  [SKIP] guard: not checked: the Incus server does not answer"
is "not root: its own subid entry" "$(line subids)" \
  "  [OK]   subids: root may map uid $(id -u nobody) ($NB/subid) and gid $(id -g nobody) ($NB/subid) for raw.idmap"

# --- a user in incus-admin, not root: the guard does what needs root --------------------------
mkdir -p "$NB/home/.coi"
printf '[monitoring]\nenabled = true\n' > "$NB/home/.coi/config.toml"
chown -R nobody "$NB"
as_nobody --groups="$(getent group incus-admin | cut -d: -f3)"
printf '%s\n' "$OUT" | sed 's/^/# /'
is "in incus-admin: degraded by the dir pool only (exit 1)" "$RC" 1
is "in incus-admin: nftables is the guard's" "$(line nftables)" \
  "  [OK]   nftables: changed by the guard service, not by coi (see guard)"
matches "in incus-admin: the monitor is the guard's, no root needed" "$(line monitor)" \
  "^  \[OK\]   monitor: on \(.+\): the guard's supervisor watches each session's processes, files and network \(see guard\)$"
is "in incus-admin: the guard answers" "$(line guard)" "  [OK]   guard: answers on $GSOCK (coi $VERSION, table inet $TABLE)"

c health
is "all mended: degraded by the dir pool only (exit 1)" "$RC" 1

finish
