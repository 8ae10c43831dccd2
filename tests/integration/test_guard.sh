#!/bin/bash
# The run-as-user model (issue 12): a normal user in incus-admin runs
# restricted, monitored sessions without root, through the guard service;
# the workspace is mapped for its real owner and nothing written there can
# be setuid; the guard follows containers whoever acts on them, restarts
# dead supervisors, keeps a supervisor's hold across its own restart and
# Incus's, survives its own restart, and refuses what a caller may not do.
# Usage: test_guard.sh PATH/TO/coi PATH/TO/guard_call   (TAP; root; needs
# COI_TEST_USER, a normal user in incus-admin made by scripts/test.sh)
# Conditions handed to wait_for are single-quoted on purpose: it evaluates
# them again each time.
# shellcheck disable=SC2016
set -u
COI=$(realpath "$1")
CALL=$(realpath "$2")
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
if [ "$(id -u)" != 0 ] || [ -z "${COI_TEST_USER:-}" ]; then
  echo "1..0 # SKIP needs root and COI_TEST_USER"
  exit 0
fi
U=$COI_TEST_USER
UHOME=$(getent passwd "$U" | cut -d: -f6)
if [ -z "$UHOME" ] || [ ! -d "$UHOME" ]; then bail "no user $U with a home directory"; fi
UID_U=$(id -u "$U")
IMAGE=${COI_TEST_IMAGE:-coi}
# shellcheck source-path=SCRIPTDIR source=../lib/guard_site.sh
. "$(dirname "$0")/../lib/guard_site.sh"
GHOME=$GUARD_HOME TABLE=$GUARD_TABLE SOCK=$GUARD_SOCK
export COI_CONTAINER_PREFIX=coitg-

# Everything this test makes: the user's workspaces and state, root's.
UWS=$(runuser -u "$U" -- mktemp -d "$UHOME/coi-guard-ws.XXXXXX") || bail "cannot make $U's workspace"
[ -d "$UWS" ] || bail "cannot make $U's workspace"
RWS=$(mktemp -d /tmp/coi-guard-root.XXXXXX)
RHOME=$(mktemp -d /tmp/coi-guard-home.XXXXXX)
cleanup ()
{
  for c in $(incus list -c n --format csv '^coitg-' 2>/dev/null); do incus delete -f "$c" >/dev/null 2>&1; done
  rm -rf "$UWS" "$RWS" "$RHOME" "$UHOME/.coi"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

as_user ()
{
  (cd "$UWS" && runuser -u "$U" -- env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$UHOME" \
    ${INCUS_DIR:+INCUS_DIR=$INCUS_DIR} COI_CONTAINER_PREFIX=coitg- "$@")
}
containers () { incus list -c n --format csv '^coitg-' 2>/dev/null | sort | tr '\n' ' '; }
rule_chains () { nft list table inet "$TABLE" 2>/dev/null | grep -c "chain c_" || true; }
wait_for () { for _ in $(seq 1 "$1"); do eval "$2" && return 0; sleep 0.1; done; return 1; }
sup_pid () { "$CALL" "$SOCK" '{"v":1,"op":"session.status","args":{"container":"'"$1"'"}}' | jq -r '.result.sessions[0].supervisor.pid // 0'; }
status () { incus list "^$1\$" -c s --format csv 2>/dev/null; }

# --- a normal user, a restricted session, no root ---------------------------------
echo mine > "$UWS/mine.txt"
chown "$U:" "$UWS/mine.txt"
out=$(as_user "$COI" run --image "$IMAGE" -- sh -c 'id -u; stat -c "%u %g" /workspace/mine.txt; touch /workspace/new && echo more >> /workspace/mine.txt && echo wrote' 2>/tmp/coi-guard-err.$$); rc=$?
is "user: coi run exits 0 without root" "$rc" 0
like "user: the agent runs as uid 1000" "$out" "1000"
like "user: their file is the agent's inside" "$out" "1000 1000"
like "user: the agent can write the workspace" "$out" "wrote"
is "user: a new file belongs to the user on the host" "$(stat -c %U "$UWS/new")" "$U"
is "user: the appended file too" "$(stat -c %U "$UWS/mine.txt") $(tail -1 "$UWS/mine.txt")" "$U more"
unlike "user: no error line" "$(cat /tmp/coi-guard-err.$$)" "coi:"
is "user: the container is gone afterwards" "$(containers)" ""
is "user: its rules are gone too" "$(rule_chains)" 0

# --- nothing written can be setuid or setgid ------------------------------------
out=$(as_user "$COI" run --image "$IMAGE" -- sh -c '
  cp /bin/sh /workspace/s1; chmod 4755 /workspace/s1; echo "chmod4=$?"
  chmod 2755 /workspace/s1; echo "chmod2=$?"
  python3 -c "import os; os.close(os.open(\"/workspace/s2\", os.O_CREAT|os.O_WRONLY, 0o4755))" 2>/dev/null; echo "open=$?"
  sudo sh -c "cp /bin/sh /workspace/s3; chmod u+s /workspace/s3"; echo "root=$?"
  mkdir /workspace/d && chmod g+s /workspace/d; echo "dir=$?"
  sudo mknod /workspace/null c 1 3; echo "mknod=$?"
  sudo mknod /workspace/sda b 8 0; echo "mknodb=$?"' 2>/dev/null)
like "setid: chmod 4755 is refused" "$out" "chmod4=1"
like "setid: chmod 2755 is refused" "$out" "chmod2=1"
like "setid: even root in the container cannot" "$out" "root=1"
is "setid: no setuid or setgid file reached the host" "$(find "$UWS" -perm /6000 | wc -l)" 0
like "devices: root in the container cannot make a character device" "$out" "mknod=1"
like "devices: nor a block device" "$out" "mknodb=1"
is "devices: no device node reached the host" "$(find "$UWS" \( -type c -o -type b \) | wc -l)" 0
check "setid: the files themselves are there" test -e "$UWS/s1"

# --- under sudo the workspace is the invoking user's, as root root's ---------------
sudo_out=$(cd "$UWS" && env HOME="$RHOME" SUDO_UID="$UID_U" SUDO_GID="$(id -g "$U")" COI_CONTAINER_PREFIX=coitg- \
  "$COI" run --image "$IMAGE" -- sh -c 'touch /workspace/by-sudo; stat -c "%u" /workspace/mine.txt' 2>&1); rc=$?
is "sudo: exit 0" "$rc" 0
is "sudo: a new file belongs to the user who ran sudo" "$(stat -c %U "$UWS/by-sudo" 2>/dev/null)" "$U"
like "sudo: the user's file is the agent's" "$sudo_out" "1000"
root_out=$(cd "$RWS" && env HOME="$RHOME" COI_CONTAINER_PREFIX=coitg- "$COI" run --image "$IMAGE" -- sh -c \
  'touch /workspace/by-root; cp /bin/sh /workspace/r; chmod 4755 /workspace/r; echo "chmod=$?"' 2>&1)
is "root: a file in root's own project is root's" "$(stat -c %U "$RWS/by-root" 2>/dev/null)" root
like "root: setuid is refused there too" "$root_out" "chmod=1"
is "root: no setuid root file on the host" "$(find "$RWS" -perm /6000 | wc -l)" 0

# --- the guard refuses what a caller may not do ----------------------------------
# A session of root's, kept running, that the user must not touch.
(cd "$RWS" && env HOME="$RHOME" COI_CONTAINER_PREFIX=coitg- "$COI" shell --image "$IMAGE" --background --persistent >/dev/null 2>&1)
rc_name=$(incus list -c n --format csv '^coitg-' | head -1)
check "hostile: root's session runs" test -n "$rc_name"
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" '{"v":1,"op":"session.release","args":{"container":"'"$rc_name"'"}}')
like "hostile: release of another user's session is denied" "$reply" '"kind":"denied"'
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" '{"v":1,"op":"session.unfreeze","args":{"container":"'"$rc_name"'"}}')
like "hostile: unfreeze of another user's session is denied" "$reply" '"kind":"denied"'
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" '{"v":1,"op":"session.guard","args":{"container":"'"$rc_name"'","policy":{"mode":"open"},"state_dir":"/tmp"}}')
like "hostile: opening another user's network is refused" "$reply" '"ok":false'
is "hostile: root's rules are still there" "$(rule_chains)" 1
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" '{"v":2,"op":"hello","args":{}}')
like "hostile: another protocol version is refused" "$reply" '"kind":"unsupported"'
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" '{"v":1,"op":"net.reserve","args":{"container":"../../etc","state_dir":"/tmp"}}')
like "hostile: a name that is no instance name is refused" "$reply" '"kind":"invalid"'
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" '{"v":1,"op":"hello","args":{},"uid":0}')
like "hostile: an unknown field is refused" "$reply" "unknown field"
reply=$(head -c 300 /dev/urandom | runuser -u "$U" -- "$CALL" "$SOCK")
like "hostile: garbage is an error, not a crash" "$reply" '"kind":"invalid"'
reply=$(head -c 70000 /dev/zero | tr '\0' a | runuser -u "$U" -- "$CALL" "$SOCK")
like "hostile: an oversized message is refused" "$reply" "over"
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" '{"v":1,"op":"session.status","args":{}}')
unlike "hostile: status shows the user none of root's sessions" "$reply" "$rc_name"
like "hostile: the guard still answers" "$reply" '"ok":true'

reply=$(runuser -u "$U" -- "$CALL" "$SOCK" '{"v":1,"op":"net.reserve","args":{"container":"coitg-proj","project":"a/../b","state_dir":"/tmp"}}')
like "hostile: a project name that is no plain name is refused" "$reply" '"kind":"invalid"'

# --- a reservation is its creator's while the creator is connected ----------------
# Two runs racing for one slot: the second is told the name is busy (and
# moves on to the next slot) instead of taking the first one's address.
RES='{"v":1,"op":"net.reserve","args":{"container":"coitg-race","state_dir":"'"$UHOME"'/.coi"}}'
HOLD=$(mktemp -u /tmp/coi-tg-hold.XXXXXX)
runuser -u "$U" -- "$CALL" -w "$HOLD" "$SOCK" "$RES" > "$HOLD.out" &
holder=$!
check "reserve: the first creator gets the name" wait_for 50 'grep -q "\"ok\":true" "$HOLD.out"'
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" "$RES")
like "reserve: a second creator is told it is busy" "$reply" '"kind":"busy"'
: > "$HOLD"   # the first creator goes away without creating anything
wait "$holder"
reply=$(runuser -u "$U" -- "$CALL" "$SOCK" "$RES")
like "reserve: once its creator is gone, the name can be reserved again" "$reply" '"ok":true'
runuser -u "$U" -- "$CALL" "$SOCK" '{"v":1,"op":"net.abandon","args":{"container":"coitg-race"}}' >/dev/null
rm -f "$HOLD" "$HOLD.out"

# --- rules follow the container, whoever deletes it ------------------------------
incus delete -f "$rc_name" >/dev/null 2>&1
check "incus delete: the rules go within 2 s" wait_for 20 '[ "$(rule_chains)" = 0 ]'

# --- supervisors: restarted within 2 s when killed, and say so ----------------------
mkdir -p "$UHOME/.coi"
printf '[monitoring]\nenabled = true\n' > "$UHOME/.coi/config.toml"
chown -R "$U:" "$UHOME/.coi"
as_user "$COI" shell --image "$IMAGE" --background >/dev/null 2>&1
uc=$(incus list -c n --format csv '^coitg-' | head -1)
check "supervisor: the user's background session runs" test -n "$uc"
pid=$(sup_pid "$uc")
check "supervisor: it has one" test "$pid" -gt 0
kill -KILL "$pid"
check "supervisor: another one within 2 s" wait_for 20 '[ "$(sup_pid "$uc")" -gt 0 ] && [ "$(sup_pid "$uc")" != "$pid" ]'
check "supervisor: the audit log says so" wait_for 20 \
  'grep -q supervisor_restarted "$UHOME/.coi/audit/$uc.jsonl" 2>/dev/null'
is "supervisor: the audit log belongs to the user" "$(stat -c %U "$UHOME/.coi/audit/$uc.jsonl")" "$U"
like "list: shows the guard state" "$(as_user "$COI" list 2>/dev/null)" "Guard: guarded"

# --- a supervisor's hold outlives restarts of the guard and of Incus ---------------
incus exec "$uc" -- cat /etc/shadow >/dev/null 2>&1
check "hold: a high finding pauses the session" wait_for 50 '[ "$(status "$uc")" = FROZEN ]'
gpid=$(cat "$GHOME/guard.pid")
kill -KILL "$gpid"
incus start "$uc" >/dev/null 2>&1; incus exec "$uc" -- true 2>/dev/null; incus unfreeze "$uc" >/dev/null 2>&1 || true
# The guard comes back as its set-up started it.
( exec setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ${INCUS_DIR:+INCUS_DIR=$INCUS_DIR} \
    "$GHOME/bin/coi" guard >>"$GHOME/guard.log" 2>&1 ) &
echo $! > "$GHOME/guard.pid"
check "hold: the restarted guard pauses it again" wait_for 50 '[ "$(status "$uc")" = FROZEN ]'
is "hold: the restarted guard kept the rules" "$(rule_chains)" 1
if [ -n "${INCUS_DIR:-}" ]; then
  # This run's own server: restart it as its set-up started it.
  # shellcheck source-path=SCRIPTDIR source=../../scripts/lib/common.sh
  . "$(dirname "$0")/../../scripts/lib/common.sh"
  # shellcheck source-path=SCRIPTDIR source=../../scripts/lib/setup.sh
  . "$(dirname "$0")/../../scripts/lib/setup.sh"
  ipid=$(cat "$INCUS_DIR/incusd.pid")
  kill -TERM "$ipid"
  for _ in $(seq 1 600); do kill -0 "$ipid" 2>/dev/null || break; sleep 0.1; done
  start_incusd >/dev/null
  is "hold: still paused after Incus restarted" "$(status "$uc")" FROZEN
  is "hold: and the rules are still there" "$(rule_chains)" 1
fi
out=$(as_user "$COI" unfreeze "$uc" 2>&1); rc=$?
is "hold: the owner lifts it with coi unfreeze" "$rc" 0
sleep 2
is "hold: and it stays running" "$(status "$uc")" RUNNING

# --- coi run: a pause shows where the user looks, a kill ends with 253 ---------------
errf=$(mktemp)
as_user "$COI" run --image "$IMAGE" -- sh -c 'sudo cat /etc/shadow >/dev/null; sleep 3; echo after' >/tmp/coi-guard-out.$$ 2>"$errf" &
rpid=$!
check "run: the pause is announced on the terminal" wait_for 100 'grep -q "container paused" "$errf"'
like "run: with the command to resume" "$(cat "$errf")" "coi unfreeze coitg-"
like "run: and to end it" "$(cat "$errf")" "coi kill coitg-"
rn=$(grep -o 'coi unfreeze coitg-[a-z0-9-]*' "$errf" | head -1 | cut -d' ' -f3)
as_user "$COI" unfreeze "$rn" >/dev/null 2>&1
wait "$rpid"; rc=$?
is "run: resumed, the command finishes" "$rc" 0
is "run: its output" "$(cat /tmp/coi-guard-out.$$)" after
as_user "$COI" run --image "$IMAGE" -- sh -c 'mkdir -p ~/.ssh; sleep 6; sudo sh -c "mkdir -p /root/.ssh; echo ssh-ed25519 AAAA x >> /root/.ssh/authorized_keys"; sleep 30' >/dev/null 2>"$errf"; rc=$?
is "run: a session the monitor kills ends with 253" "$rc" 253
like "run: and says why" "$(cat "$errf")" "the security monitor stopped"
rm -f "$errf" /tmp/coi-guard-out.$$ /tmp/coi-guard-err.$$
as_user "$COI" kill --force "$uc" >/dev/null 2>&1
check "end: no session left" wait_for 30 '[ -z "$(containers)" ]'
check "end: no rules left" wait_for 30 '[ "$(rule_chains)" = 0 ]'
finish
