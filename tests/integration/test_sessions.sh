#!/bin/bash
# Sessions against the real incusd: run, shell in the background, slots,
# environment secrecy, workspace ownership, cleanup on signals, resume.
# Usage: test_sessions.sh PATH/TO/coi   (TAP output)
set -u
COI=$(realpath "$1")
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
# shellcheck source-path=SCRIPTDIR source=../lib/guard_site.sh
. "$(dirname "$0")/../lib/guard_site.sh"

IMAGE=${COI_TEST_IMAGE:-coi}
export COI_CONTAINER_PREFIX=coit-
HOME=$(mktemp -d /tmp/coi-sess-home.XXXXXX) || bail "cannot make a temporary HOME"
export HOME
WS=$(mktemp -d /tmp/coi-sess-ws.XXXXXX) || bail "cannot make a temporary workspace"
cd "$WS" || bail "cannot enter $WS"

# This workspace's containers only: other runs may share the prefix.
STEM="coit-$(printf %s "$WS" | sha256sum | cut -c1-8)-"
cleanup ()
{
  # coi kill takes the container's network rules with it; incus delete would not.
  for c in $(incus list -c n --format csv "^$STEM" 2>/dev/null); do
    "$COI" kill --force "$c" >/dev/null 2>&1 || incus delete -f "$c" >/dev/null 2>&1
  done
  rm -rf "$HOME" "$WS"
}
trap cleanup EXIT

containers () { incus list -c n --format csv "^$STEM" 2>/dev/null | sort | tr '\n' ' '; }
# The network rules (chains and sets) of this workspace's containers: each
# carries a comment naming its container.
own_rules () { nft list table inet "$GUARD_TABLE" 2>/dev/null | grep -c "comment \"coi:$STEM" || true; }

# --- coi run: output, streams, exit codes ------------------------------------
out=$("$COI" run --image "$IMAGE" -- echo hello 2>/tmp/coi-run-err.$$); rc=$?
is "run: exit 0" "$rc" 0
is "run: stdout" "$out" hello
like "run: slot message on stderr" "$(cat /tmp/coi-run-err.$$)" "Auto-allocated slot 1"
is "run: container removed afterwards" "$(containers)" ""

out=$("$COI" run --image "$IMAGE" -- sh -c 'echo out; echo err >&2; exit 42' 2>/tmp/coi-run-err.$$); rc=$?
is "run: exit code 42 propagates" "$rc" 42
is "run: stdout only on stdout" "$out" out
like "run: stderr on stderr" "$(cat /tmp/coi-run-err.$$)" err
is "run: container removed after failure" "$(containers)" ""

# A monitored run: its supervisor's alert lines go with the container.
mkdir -p "$HOME/.coi"
printf '[monitoring]\nenabled = true\n' > "$HOME/.coi/config.toml"
"$COI" run --image "$IMAGE" -- true >/dev/null 2>/tmp/coi-run-err.$$; rc=$?
rm -f "$HOME/.coi/config.toml"
is "run, monitored: exit 0" "$rc" 0
is "run, monitored: no run file left in ~/.coi/run" "$(find "$HOME/.coi/run" -mindepth 1 -printf '%f ' 2>/dev/null)" ""

"$COI" run --image "$IMAGE" -- no-such-command-xyz >/dev/null 2>&1; rc=$?
is "run: missing command exits 127" "$rc" 127

out=$("$COI" run --image "$IMAGE" "printf '%s|' a 'b  c' | tr a A" 2>/dev/null)
is "run: one quoted argument is a shell command line" "$out" "A|b  c|"

out=$(printf 'line1\nline2\n' | "$COI" run --image "$IMAGE" -- wc -l 2>/dev/null)
is "run: piped stdin reaches the command" "$out" 2

out=$("$COI" run --image "$IMAGE" -- pwd 2>/dev/null)
is "run: cwd is /workspace" "$out" /workspace

out=$("$COI" run --image "$IMAGE" -- id -u 2>/dev/null)
is "run: runs as the code user" "$out" 1000

# --- run starts at once: network, resolver and /tmp already usable ------------
# The coi image brings eth0 up in the command's own exec; networkd adopts it
# later, so nothing the command set up may vanish while it runs.
out=$("$COI" run --image "$IMAGE" -- sh -c '
  ip -4 route show default | head -n 1
  sed -n "s/^nameserver //p" /etc/resolv.conf | head -n 1
  dig +time=3 +tries=2 nosuch-coi-test.incus 2>&1 | grep -o "status: [A-Z]*"
  echo kept > /tmp/coi-keep
  sleep 4
  cat /tmp/coi-keep
  ip -4 route show default | head -n 1
  id -G' 2>/dev/null)
route0=$(sed -n 1p <<<"$out")
matches "run: default route in place when the command starts" "$route0" "^default via [0-9.]+ dev eth0"
gw=$(sed -E -n '1s/^default via ([0-9.]+) .*/\1/p' <<<"$out")
is "run: resolv.conf names the gateway" "$(sed -n 2p <<<"$out")" "$gw"
is "run: the resolver answers at once" "$(sed -n 3p <<<"$out")" "status: NXDOMAIN"
is "run: /tmp is not emptied while the container boots" "$(sed -n 4p <<<"$out")" kept
is "run: the route survives networkd's start" "$(sed -n 5p <<<"$out")" "$route0"
is "run: no supplementary groups after dropping root" "$(sed -n 6p <<<"$out")" 1000

# A reject at the command's first moment is logged: the launcher binds the
# session's nflog group before start and hands it to the supervisor.
# shellcheck disable=SC2016 # a command line for the container's shell
"$COI" run --image "$IMAGE" -- sh -c \
  'curl -s -m 2 "http://$(ip -4 route show default | cut -d" " -f3):22/" >/dev/null; true' >/dev/null 2>&1
for _ in $(seq 1 50); do grep -q 'blocked reason=host' "$HOME/.coi/logs/network.log" 2>/dev/null && break; sleep 0.1; done
like "run: a reject at the first moment reaches network.log" \
  "$(cat "$HOME/.coi/logs/network.log" 2>/dev/null)" "blocked reason=host proto=tcp dst=$gw:22"

# --- workspace: mounted, files belong to the host user -----------------------
"$COI" run --image "$IMAGE" -- sh -c 'echo data > made-inside.txt; mkdir -p sub/dir' >/dev/null 2>&1
is "workspace: file written inside exists on the host" "$(cat "$WS/made-inside.txt" 2>/dev/null)" data
is "workspace: file owned by the invoking host user" "$(stat -c %u "$WS/made-inside.txt" 2>/dev/null)" "$(id -u)"
is "workspace: directory owned by the invoking host user" "$(stat -c %u "$WS/sub/dir" 2>/dev/null)" "$(id -u)"

# --- workspace as a non-root host user (uid 1000: the idmapped-mount path) ----
# setpriv gives the user the socket's group without touching /etc/group.
if getent group incus-admin >/dev/null; then
  uws=$(mktemp -d /tmp/coi-sess-uws.XXXXXX)
  uhome=$(mktemp -d /tmp/coi-sess-uhome.XXXXXX)
  chown 1000:1000 "$uws" "$uhome"
  ugid=$(getent group incus-admin | cut -d: -f3)
  (cd "$uws" && HOME=$uhome setpriv --reuid=1000 --regid=1000 --groups="$ugid" \
      "$COI" run --image "$IMAGE" --network open -- sh -c 'echo hi > by-agent.txt' >/dev/null 2>&1)
  is "workspace: as host uid 1000, the agent's file is owned by uid 1000" \
     "$(stat -c %u "$uws/by-agent.txt" 2>/dev/null)" 1000
  rm -rf "$uws" "$uhome"
else
  tap_not_ok "workspace: as host uid 1000" "group incus-admin missing: the set-up script creates it"
fi

# --- environment: reaches the agent, never on a command line ------------------
# The value comes from coi's own environment (-e KEY), so the only places it
# could show up on a command line are ones coi or Incus made.
secret="s3cr3t-$RANDOM$RANDOM"
export COI_T_SECRET=$secret
# shellcheck disable=SC2016 # a command line for the container's shell
out=$("$COI" run --image "$IMAGE" -e COI_T_SECRET -- sh -c 'printf %s "$COI_T_SECRET"; echo; for f in /proc/[0-9]*/cmdline; do tr "\0" " " < $f; echo; done' 2>/dev/null)
first=$(printf '%s\n' "$out" | head -1)
rest=$(printf '%s\n' "$out" | tail -n +2)
is "env: value reaches the process" "$first" "$secret"
unlike "env: value not in any command line inside the container" "$rest" "$secret"

"$COI" run --image "$IMAGE" -e COI_T_SECRET -- sh -c 'touch started; sleep 4' >/dev/null 2>&1 &
runpid=$!
for _ in $(seq 1 100); do [ -e started ] && break; sleep 0.1; done
hostps=$(ps -eo args)
wait $runpid
check "env: the command was running while ps looked" test -e started
unlike "env: value not in any command line on the host" "$hostps" "$secret"
"$COI" run --image "$IMAGE" -e COI_T_UNSET_VAR -- true >/dev/null 2>/tmp/coi-env-err.$$; rc=$?
is "env: forwarding an unset variable is a usage error" "$rc" 2
like "env: and says which" "$(cat /tmp/coi-env-err.$$)" "COI_T_UNSET_VAR is not set on the host"
rm -f /tmp/coi-env-err.$$ started
unset COI_T_SECRET

# --- slots: ten concurrent sessions never share one --------------------------
rm -f /tmp/coi-slot-*.$$
for i in 1 2 3 4 5 6 7 8 9 10; do
  "$COI" run --image "$IMAGE" -- sleep 1 >/dev/null 2>"/tmp/coi-slot-$i.$$" &
done
wait
slots=$(cat /tmp/coi-slot-*.$$ | grep -o 'Auto-allocated slot [0-9]*' | sort | uniq | wc -l)
is "slots: 10 concurrent runs got 10 different slots" "$slots" 10
is "slots: all containers removed" "$(containers)" ""
rm -f /tmp/coi-slot-*.$$ /tmp/coi-run-err.$$

"$COI" run --image "$IMAGE" --slot 11 -- true >/dev/null 2>/tmp/coi-slot-err.$$; rc=$?
is "slots: a slot above the maximum is a usage error" "$rc" 2
like "slots: and says why" "$(cat /tmp/coi-slot-err.$$)" "invalid slot 11"
rm -f /tmp/coi-slot-err.$$

# --- shell --background with the dummy agent ---------------------------------
export COI_USE_DUMMY=1
out=$("$COI" shell --image "$IMAGE" --background 2>&1); rc=$?
is "shell: background start exits 0" "$rc" 0
like "shell: banner" "$out" "Starting session..."
like "shell: session id" "$out" "Session ID: "
like "shell: workspace" "$out" "Workspace: $WS"
name=$(printf '%s\n' "$out" | sed -n 's/^Container: //p')
sid=$(printf '%s\n' "$out" | sed -n 's/^Session ID: //p')
like "shell: container named after the workspace" "$name" "coit-"
sleep 1
pane=$(incus exec "$name" --user 1000 --group 1000 --env HOME=/home/code -- tmux capture-pane -p -t "coi-$name" 2>&1)
like "shell: dummy agent runs in tmux session coi-<container> as code" "$pane" "Session: $sid"
check "shell: metadata.json written" test -f "$HOME/.coi/sessions-claude/$sid/metadata.json"
# Incus rendered eth0's file from the create request: no push before start.
addr=$(incus config get "$name" user.coi.net.address 2>/dev/null)
matches "shell: the fixed address is in the create request" "$addr" '^[0-9.]+/[0-9]+$'
like "shell: the image rendered it into networkd's file" \
  "$(incus exec "$name" -- cat /etc/systemd/network/10-coi-eth0.network 2>&1)" "Address=$addr"
list=$("$COI" list --format json)
like "list: shows the session" "$list" "\"name\": \"$name\""
like "list: a background session is guarded by its supervisor" "$list" '"guarded": true'
supervised () { pgrep -f "__supervis[e] --spec .*$1" >/dev/null; }
check "supervisor: running for the session" supervised "$name"
"$COI" kill --force "$name" >/dev/null 2>&1
is "kill: container gone" "$(containers)" ""
for _ in $(seq 1 50); do supervised "$name" || break; sleep 0.2; done
check "supervisor: exits once its container is gone" test "$(supervised "$name"; echo $?)" = 1

# --- persistent: kept after the command, reused by its slot ---------------------
unset COI_USE_DUMMY
"$COI" run --image "$IMAGE" --persistent -- touch /home/code/marker >/dev/null 2>&1
pname=$(incus list -c n --format csv "^$STEM" | head -1)
like "persistent: one container exists" "$pname" "coit-"
out=$("$COI" run --image "$IMAGE" --persistent --slot 1 -- ls /home/code/marker 2>/dev/null)
is "persistent: the same container is reused (its files are there)" "$out" /home/code/marker
"$COI" kill --force "$pname" >/dev/null 2>&1
is "persistent: kill removes it" "$(containers)" ""

# --- signals: SIGTERM/SIGINT run the normal cleanup ---------------------------
rules_before=$(own_rules)
is "network rules: none left by the sessions so far" "$rules_before" 0
"$COI" run --image "$IMAGE" -- sh -c 'touch running; sleep 60' >/dev/null 2>&1 &
runpid=$!
for _ in $(seq 1 150); do [ -e running ] && break; sleep 0.1; done
check "signals: the command started" test -e running
# Not vacuous: a session has rules of its own, so "none left behind" below means something.
rules_during=$(own_rules)
check "signals: the running session has network rules" test "$rules_during" -gt "$rules_before"
kill -TERM $runpid
wait $runpid; rc=$?
is "signals: coi run exits 128+SIGTERM" "$rc" 143
is "signals: container removed after SIGTERM" "$(containers)" ""
rm -f running

"$COI" run --image "$IMAGE" -- sh -c 'touch running; sleep 60' >/dev/null 2>&1 &
runpid=$!
for _ in $(seq 1 150); do [ -e running ] && break; sleep 0.1; done
kill -INT $runpid
wait $runpid; rc=$?
is "signals: coi run exits 128+SIGINT" "$rc" 130
is "signals: container removed after SIGINT" "$(containers)" ""
rm -f running

# kill -9 in the middle of a launch: the next `coi clean` removes the leftovers.
"$COI" run --image "$IMAGE" -- sleep 60 >/dev/null 2>&1 &
runpid=$!
for _ in $(seq 1 150); do [ -n "$(containers)" ] && break; sleep 0.05; done
kill -KILL $runpid
wait $runpid 2>/dev/null
left=$(containers)
like "kill -9: a container was left behind" "$left" "coit-"
"$COI" clean --force >/dev/null 2>&1
is "kill -9: coi clean removes the leftover container" "$(containers)" ""
rules_after=$(own_rules)
is "kill -9: no network rules left behind" "$rules_after" "$rules_before"

# --- interactive shell driven through tmux on the host ------------------------
tmux_wait ()
{
  local want=$1
  for _ in $(seq 1 300); do
    tmux capture-pane -p -t coitest-$$ 2>/dev/null | grep -q -- "$want" && return 0
    sleep 0.1
  done
  return 1
}
tmux kill-session -t coitest-$$ 2>/dev/null
tmux new-session -d -s coitest-$$ -x 150 -y 40 "\"$COI\" shell --image $IMAGE --debug; echo COI-EXIT=\$?; sleep 600"
check "shell: interactive session reaches a prompt" tmux_wait 'code@'
tmux send-keys -t coitest-$$ 'sudo poweroff' Enter
check "poweroff: coi shell ends when the agent powers the container off" tmux_wait 'COI-EXIT=0'
like "poweroff: session data saved" "$(tmux capture-pane -p -t coitest-$$)" "Session data saved"
is "poweroff: container deleted" "$(containers)" ""
tmux kill-session -t coitest-$$ 2>/dev/null

# --- resume: the agent's saved state comes back --------------------------------
errf=$(mktemp /tmp/coi-sess-err.XXXXXX)
tmux new-session -d -s coitest-$$ -x 150 -y 40 "COI_USE_DUMMY=1 \"$COI\" shell --image $IMAGE 2>$errf; echo COI-EXIT=\$?; sleep 600"
check "resume: the dummy agent waits for input" tmux_wait 'You:'
tmux send-keys -t coitest-$$ 'remember-me-42' Enter
check "resume: the agent answered" tmux_wait 'remember-me-42-BACK'
tmux send-keys -t coitest-$$ 'exit' Enter
check "resume: the agent exited to a shell" tmux_wait 'code@'
tmux send-keys -t coitest-$$ 'exit' Enter
check "resume: the first session ended" tmux_wait 'COI-EXIT=0'
sid=$(sed -n 's/^Session ID: //p' "$errf" | head -1)
like "resume: session data saved" "$(cat "$errf")" "Session data saved"
check "resume: the agent's conversation was saved" \
  sh -c "ls $HOME/.coi/sessions-claude/$sid/.claude/projects/-workspace/*.jsonl >/dev/null"
is "resume: the ephemeral container is gone" "$(containers)" ""
tmux kill-session -t coitest-$$ 2>/dev/null
tmux new-session -d -s coitest-$$ -x 150 -y 40 "COI_USE_DUMMY=1 \"$COI\" shell --image $IMAGE --resume 2>$errf; echo COI-EXIT=\$?; sleep 600"
check "resume: the agent resumes its conversation" tmux_wait 'Resuming session'
check "resume: and shows what was said before" tmux_wait 'remember-me-42'
like "resume: the newest session of the workspace was picked" "$(cat "$errf")" "Auto-detected session: $sid"
like "resume: with the same session id" "$(cat "$errf")" "Session ID: $sid"
tmux send-keys -t coitest-$$ 'exit' Enter
tmux_wait 'code@' && tmux send-keys -t coitest-$$ 'exit' Enter
check "resume: the resumed session ended" tmux_wait 'COI-EXIT=0'
tmux kill-session -t coitest-$$ 2>/dev/null
rm -f "$errf"
"$COI" shell --image "$IMAGE" --resume=0000dead >/dev/null 2>/tmp/coi-resume-err.$$; rc=$?
is "resume: an unknown session id is an error" "$rc" 1
like "resume: naming how to list sessions" "$(cat /tmp/coi-resume-err.$$)" "session '0000dead' not found - check available sessions with: coi list --all"
rm -f /tmp/coi-resume-err.$$

tmux new-session -d -s coitest-$$ -x 150 -y 40 "\"$COI\" shell --image $IMAGE --debug; echo COI-EXIT=\$?; sleep 600"
check "signals: second interactive session reaches a prompt" tmux_wait 'code@'
shellpid=$(pgrep -f "$COI shell --image $IMAGE --debug" | head -1)
kill -TERM "$shellpid"
check "signals: coi shell exits on SIGTERM" tmux_wait 'COI-EXIT='
like "signals: shell exit code is 128+SIGTERM" "$(tmux capture-pane -p -t coitest-$$)" "COI-EXIT=143"
is "signals: ephemeral container removed after SIGTERM" "$(containers)" ""
tmux kill-session -t coitest-$$ 2>/dev/null

finish
