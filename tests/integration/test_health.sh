#!/bin/bash
# coi health (TAP).  First against the server the environment names (the
# machine's, or the one scripts/test.sh runs everything against): it must
# not be unhealthy, and every line must have a status.  Then every check is
# broken on purpose on a throwaway Incus server of this test's own (its own
# INCUS_DIR, bridge and dir pool, scripts/lib/testserver.sh), and the exact
# line and exit code are asserted: the daemon stopped, the pool gone from
# the default profile, the image deleted or stale or old, leftovers that
# `coi clean` removes, a config file with a syntax error, a missing subuid
# entry (in a copy: the check's files are injectable, /etc/subuid is never
# touched).  The throwaway server goes on every exit path.
# Usage: test_health.sh PATH/TO/coi
set -u
COI=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$HERE/../lib/tap.sh"

TMPD=$(mktemp -d /tmp/coi-health.XXXXXX)
ERRF="$TMPD/stderr"
cd "$TMPD" || exit 1
LOCKER=
cleanup ()
{
  [ -n "$LOCKER" ] && kill "$LOCKER" 2>/dev/null
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
# testserver_up exported INCUS_DIR: coi and the incus CLI (the witness) use it.
SUBNET=$(incus network get "$COI_BRIDGE" ipv4.address)

# coi's own state where the test owns it.
export HOME="$TMPD/home" COI_RUN_DIR="$TMPD/run" COI_CONTAINER_PREFIX=coi-hlt-
export COI_SUBUID_FILE="$TMPD/subuid" COI_SUBGID_FILE="$TMPD/subgid"
mkdir -p "$HOME" "$COI_RUN_DIR"
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
is "baseline: summary" "$(printf '%s\n' "$OUT" | tail -1)" "Overall: degraded (exit 1): 16 ok, 1 warning, 0 failed, 0 skipped"

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
is "daemon stopped: 8 checks skipped" "$(printf '%s\n' "$OUT" | grep -c '^  \[SKIP\]')" 8
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
R=$COI_RUN_DIR
# A supervisor that died an hour ago, one that is alive (holds its lock), one just starting.
touch -d '1 hour ago' "$R/coi-hlt-gone-1.lock" "$R/coi-hlt-gone-1.spec.json"
touch -d '1 hour ago' "$R/coi-hlt-alive-1.lock" "$R/coi-hlt-alive-1.spec.json"
touch "$R/coi-hlt-young-1.spec.json"
python3 -c 'import fcntl,sys,time
f = open(sys.argv[1], "r+"); fcntl.lockf(f, fcntl.LOCK_EX); print("locked", flush=True); time.sleep(600)' \
  "$R/coi-hlt-alive-1.lock" > "$TMPD/locker" &
LOCKER=$!
for _ in $(seq 1 100); do grep -q locked "$TMPD/locker" && break; sleep 0.05; done
c health -v
is "leftovers: exit 1" "$RC" 1
is "leftovers: the line and its fix" "$(line leftovers)" \
  "  [WARN] leftovers: 1 stopped container, 1 container gone with run files left; run: coi clean --orphans"
is "leftovers: what they are, with --verbose" \
  "$(printf '%s\n' "$OUT" | sed -n '/^  \[WARN\] leftovers:/,/^[A-Z]/p' | grep '^         - ')" \
  "         - coi-hlt-stopped-1 (Stopped)
         - run files of coi-hlt-gone-1 (gone): $R/coi-hlt-gone-1.lock $R/coi-hlt-gone-1.spec.json"
is "leftovers: the containers line" "$(line containers)" "  [OK]   containers: 1 coi container: 0 running, 1 stopped"
c clean --orphans --dry-run
like "clean --dry-run names the same run files" "$OUT" \
  "Would remove run files of coi-hlt-gone-1 (gone): $R/coi-hlt-gone-1.lock $R/coi-hlt-gone-1.spec.json"
c clean --orphans --force
is "clean --orphans: exit 0" "$RC" 0
like "clean --orphans: the container" "$OUT" "Removing coi-hlt-stopped-1"
like "clean --orphans: the run files" "$OUT" \
  "Removed run files of coi-hlt-gone-1 (gone): $R/coi-hlt-gone-1.lock $R/coi-hlt-gone-1.spec.json"
is "clean --orphans: a live supervisor's and a young launch's files stay" \
  "$(find "$R" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" "coi-hlt-alive-1.lock coi-hlt-alive-1.spec.json coi-hlt-young-1.spec.json "
c health
is "after clean: no leftovers" "$(line leftovers)" "  [OK]   leftovers: nothing for coi clean to remove"
kill "$LOCKER" 2>/dev/null; LOCKER=
rm -f "$R"/*

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

# --- a user who may not use the socket, and has no guard service ------------------------------
NB=$TMPD/nobody
mkdir -p "$NB/home"
printf 'root:%s:1\n' "$(id -u nobody)" > "$NB/subid"
chmod 711 "$TMPD"
chown -R nobody "$NB"
OUT=$(cd "$NB" && HOME="$NB/home" COI_RUN_DIR="$NB/run" COI_SUBUID_FILE="$NB/subid" COI_SUBGID_FILE="$NB/subid" \
  setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --inh-caps=-all -- "$COI" health 2>"$ERRF")
RC=$?
NOGROUP_FIX="sudo usermod -aG incus-admin nobody && newgrp incus-admin"
is "not in incus-admin: exit 2" "$RC" 2
is "not in incus-admin: the incus line and its fix" "$(line incus)" \
  "  [FAIL] incus: uid $(id -u nobody) may not use $INCUS_DIR/unix.socket (group incus-admin, mode 0660); run: $NOGROUP_FIX"
is "not in incus-admin: the permission line and its fix" "$(line permission)" \
  "  [FAIL] permission: uid $(id -u nobody) (nobody) may not use $INCUS_DIR/unix.socket: not a member of group incus-admin; run: $NOGROUP_FIX"
is "not root: nftables needs root or the guard service" "$(line nftables)" \
  "  [WARN] nftables: uid $(id -u nobody) may not change nftables: network.mode restricted needs root or the guard service; run: sudo coi shell"
is "not root: the guard service line" "$(line guard)" \
  "  [WARN] guard: guard service: not available in this build (a coi that is not root cannot filter the network); run: sudo coi shell"
is "not root: its own subid entry" "$(line subids)" \
  "  [OK]   subids: root may map uid $(id -u nobody) ($NB/subid) and gid $(id -g nobody) ($NB/subid) for raw.idmap"

c health
is "all mended: degraded by the dir pool only (exit 1)" "$RC" 1

finish
