#!/bin/bash
# Monitoring alerts on the attached terminal: with [monitoring] enabled, a
# session's supervisor writes one line per alert, and `coi attach` and an
# attached `coi shell` print each new one between the session's output.
# The terminal is a pty (pty_drive.py) and the trigger is real: `printenv`
# in the container, an env-scan WARNING (alerted, not paused).
# Usage: test_alerts_attach.sh PATH/TO/coi   (TAP; root: the supervisor's
# process watcher needs it)
set -u
COI=$(realpath "$1")
HERE=$(dirname "$(realpath "$0")")
DRIVE=$HERE/pty_drive.py
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$HERE/../lib/tap.sh"
if [ "$(id -u)" != 0 ]; then echo "1..0 # SKIP needs root"; exit 0; fi

IMAGE=${COI_TEST_IMAGE:-coi}
export COI_CONTAINER_PREFIX=coi-test-al-
export COI_USE_DUMMY=1
REAL_HOME=$HOME
TMPD=$(mktemp -d /tmp/coi-test-al.XXXXXX) || bail "cannot make a temporary directory"
export HOME=$TMPD/home
# Alerts are the user's (~/.coi/run); the spec and supervisor log are the
# guard's, in its state directory (per server when INCUS_DIR names one).
RUN=$HOME/.coi/run
# shellcheck source-path=SCRIPTDIR source=../lib/guard_site.sh
. "$HERE/../lib/guard_site.sh"
WS=$TMPD/ws
mkdir -p "$HOME/.config/coi" "$WS" || bail "cannot make $HOME and $WS"
printf '[monitoring]\nenabled = true\n' > "$HOME/.config/coi/config.toml" || bail "cannot write the configuration"
cd "$WS" || bail "cannot enter $WS"
# This workspace's containers only: other runs may share the prefix.
STEM="${COI_CONTAINER_PREFIX}$(printf %s "$WS" | sha256sum | cut -c1-8)-"
DRIVERS=""

cleanup ()
{
  for p in $DRIVERS; do kill "$p" 2>/dev/null; done
  for c in $(inc list -c n --format csv "^$STEM" 2>/dev/null); do inc delete -f "$c" >/dev/null 2>&1; done
  # Supervisors still exiting would make their run directory again.
  for _ in $(seq 1 50); do pgrep -f "__supervis[e] --spec $GUARD_SESSIONS/$STEM" >/dev/null || break; sleep 0.1; done
  rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# drive NAME CMD...: CMD on a 160x40 pty in the background; its output in
# $TMPD/NAME.out, keys go to $TMPD/NAME.in, its exit code to $TMPD/NAME.rc.
drive ()
{
  local name=$1; shift
  mkfifo "$TMPD/$name.in"
  : > "$TMPD/$name.out"
  ( python3 "$DRIVE" "$TMPD/$name.out" "$TMPD/$name.in" 160 40 -- "$@"; echo $? > "$TMPD/$name.rc" ) &
  DRIVERS="$DRIVERS $!"
}
# keys NAME TEXT: type into the driven terminal (read-write open: never
# blocks, even when the driver is gone).
keys () { printf '%b' "$2" 1<> "$TMPD/$1.in"; }
# Printable text of a pty log (escape sequences and CRs out).
screen_text () { sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][A-Z0-9]//g' -e 's/\x1b[=>78]//g' -e 's/\r//g' "$1"; }
# wait_for FILE TEXT SECONDS
wait_for ()
{
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -qaF -- "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# The alert as the terminal gets it: alone on its line, in raw-mode form.
alert_line ()
{
  python3 - "$1" "$2" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
m = re.search(rb"\r\n(\[coi\] \[WARNING\] [ -~]*" + re.escape(sys.argv[2].encode()) + rb"[ -~]*)\r\n", data)
print(m.group(1).decode() if m else "")
PY
}
# The incus CLI (a witness) keeps its client config under the real HOME.
inc () { HOME=$REAL_HOME incus "$@"; }
mon_log () { printf '# %s\n' "$*"; }
guarded () { "$COI" monitor "$1" --format json 2>/dev/null | jq -r .guarded; }
env_scan () { inc exec "$1" --user 1000 --group 1000 --env HOME=/home/code -- printenv >/dev/null; }

# --- coi attach ---------------------------------------------------------------
out=$("$COI" shell --image "$IMAGE" --background 2>&1); rc=$?
is "background session starts" "$rc" 0
c=$(printf '%s\n' "$out" | sed -n 's/^Container: //p')
like "background session: named in this workspace" "$c" "$STEM"
[ -n "$c" ] || { echo "Bail out! no session container"; exit 1; }
is "background session: guarded by its supervisor" "$(guarded "$c")" true
is "background session: [monitoring] enabled reaches the supervisor" \
   "$(jq -r .monitoring.enabled "$GUARD_SESSIONS/$c.spec.json" 2>/dev/null)" true

drive attach "$COI" attach "$c"
check "attach: the session's screen arrives" wait_for "$TMPD/attach.out" "Session:" 30
sleep 1
unlike "attach: no alert before anything happened" "$(cat -v "$TMPD/attach.out")" "[coi]"
env_scan "$c"
check "attach: an alert line arrives on the terminal" wait_for "$TMPD/attach.out" "[coi] [WARNING]" 20
line=$(alert_line "$TMPD/attach.out" "in $c: alerted")
like "attach: the alert is one raw-mode line naming the container" "$line" "[coi] [WARNING]"
mon_log "attach: the terminal showed: $line"
like "attach: the line is the audit log's finding" "$(jq -r 'select(.type=="threat") | .rule' "$HOME/.coi/audit/$c.jsonl" 2>/dev/null)" env-scan
# Detach (tmux prefix C-b, then d): coi attach ends, the session goes on.
keys attach '\002d'
check "attach: detaching ends coi attach" wait_for "$TMPD/attach.rc" "" 20
is "attach: exit code 0" "$(cat "$TMPD/attach.rc" 2>/dev/null)" 0
is "attach: the session still runs" "$(inc list "^$c\$" -c s --format csv)" RUNNING

# A second alert while nobody is attached is not replayed at the next attach.
env_scan "$c"
for _ in $(seq 1 50); do [ "$(wc -l < "$RUN/$c.alerts")" -ge 2 ] && break; sleep 0.1; done
is "detached: the supervisor wrote a second alert" "$(wc -l < "$RUN/$c.alerts")" 2
drive again "$COI" attach "$c"
# Not vacuous: the second attach did show the session.
check "attach again: the session's screen arrives" wait_for "$TMPD/again.out" "Session:" 30
sleep 1
unlike "attach again: alerts from before the attach are not replayed" "$(cat -v "$TMPD/again.out")" "[coi]"
keys again '\002d'
check "attach again: detaching ends it" wait_for "$TMPD/again.rc" "" 20
"$COI" kill --force "$c" >/dev/null 2>&1

# --- coi shell, attached --------------------------------------------------------
drive shell "$COI" shell --image "$IMAGE"
check "shell: the agent's screen arrives" wait_for "$TMPD/shell.out" "Session:" 60
c=$(screen_text "$TMPD/shell.out" | sed -n 's/^Container: //p' | head -1)
like "shell: named in this workspace" "$c" "$STEM"
[ -n "$c" ] || { echo "Bail out! no session container"; exit 1; }
for _ in $(seq 1 300); do [ "$(guarded "$c")" = true ] && break; sleep 0.1; done
is "shell: guarded by its supervisor before the trigger" "$(guarded "$c")" true
env_scan "$c"
check "shell: an alert line arrives on the terminal" wait_for "$TMPD/shell.out" "[coi] [WARNING]" 20
like "shell: the alert is one raw-mode line naming the container" "$(alert_line "$TMPD/shell.out" "in $c: alerted")" "[coi] [WARNING]"
keys shell '\002d'
check "shell: detaching ends coi shell" wait_for "$TMPD/shell.rc" "" 60
is "shell: exit code 0" "$(cat "$TMPD/shell.rc" 2>/dev/null)" 0

# Both sessions are over; their supervisors exit and leave their logs.
for _ in $(seq 1 100); do pgrep -f "__supervis[e] --spec $GUARD_SESSIONS/$STEM" >/dev/null || break; sleep 0.1; done
# Not vacuous: the log is there (both sessions had slot 1: one name, one log).
check "supervisors: the session's log is there" test -s "$GUARD_SESSIONS/$c.supervisor.log"
unlike "supervisors: no sanitizer report in their logs" "$(cat "$GUARD_SESSIONS/$STEM"*.supervisor.log 2>/dev/null)" "Sanitizer"
unlike "supervisors: no undefined behaviour in their logs" "$(cat "$GUARD_SESSIONS/$STEM"*.supervisor.log 2>/dev/null)" "runtime error"

finish
