#!/bin/bash
# The session supervisor's life: started through the library by a launcher
# that exits at once, one per container (a second start finds the first),
# max_duration = 5s stops a detached session and deletes it, a stopped
# persistent session is kept, a deleted container ends its supervisor,
# SIGTERM leaves the container alone; a HIGH finding pauses, `coi unfreeze`
# resumes, the alert line is written; critical file writes kill; the audit
# and monitor commands show it all.
# Usage: test_monitor_supervisor.sh PATH/TO/coi PATH/TO/test_monitor_spawn  (TAP)
set -u
# shellcheck source-path=SCRIPTDIR source=test_monitor_lib.sh
. "$(dirname "$(realpath "$0")")/test_monitor_lib.sh"
mon_start "$@"
mon_make_tools || { echo "Bail out! cannot prepare the tools container"; exit 1; }

alive () { kill -0 "$1" 2>/dev/null; }
wait_exit () { for _ in $(seq 1 "$2"); do alive "$1" || return 0; sleep 0.1; done; return 1; }
status () { incus list "^$1\$" -c s --format csv 2>/dev/null; }
events () { mon_audit "$1" | jq -r 'select(.type=="session") | .event' | tr '\n' ' '; }

# --- max_duration: a detached ephemeral session stops on time ---------------
c=${MON_PREFIX}dur-$$
mon_container "$c" || bail "cannot start $c"
mon_spec "$MON_RUN/$c.spec.json" "$c" true open ',"runtime":{"max_duration_sec":5,"auto_stop":true,"stop_graceful":true,"stop_timeout_sec":5}'
t0=$(mon_ms)
sup=$(mon_supervise "$MON_RUN/$c.spec.json"); rc=$?
is "spawn: returns once the supervisor is ready" "$rc" 0
# The launcher (test_monitor_spawn) has exited; the supervisor lives on in
# its own session without a terminal.
check "spawn: supervisor alive after its launcher exited" alive "$sup"
is "spawn: no controlling terminal" "$(ps -o tty= -p "$sup" | tr -d ' ')" "?"
unlike "spawn: not in the test's session" " $(ps -o sid= -p "$sup") " " $(ps -o sid= -p $$) "
is "spawn: a second start finds the running supervisor" "$("$SPAWN" "$COI" "$MON_RUN/$c.spec.json")" "$sup"
guarded=$("$COI" monitor "$c" --format json 2>/dev/null | jq -r '"\(.guarded) \(.supervisor_pid)"')
is "monitor: reports the guard" "$guarded" "true $sup"
mon_wait_down "$c" 20000 >/dev/null; rc=$?
ms=$(( $(mon_ms) - t0 ))
mon_log "max_duration 5s: stopped ${ms} ms after the start"
is "max_duration: the container stopped" "$rc" 0
if [ "$ms" -ge 4500 ] && [ "$ms" -le 13000 ]; then tap_ok "max_duration: stopped after 5 s, within the grace (${ms} ms)"
else tap_not_ok "max_duration: stopped after 5 s" "took ${ms} ms"; fi
check "max_duration: supervisor exits" wait_exit "$sup" 100
is "max_duration: ephemeral container deleted" "$(status "$c")" ""
like "max_duration: audit lifecycle" "$(events "$c")" "start policy monitoring monitor_armed"
like "max_duration: second start reloaded the spec" "$(events "$c")" "spec_reloaded"
like "max_duration: audit end of session" "$(events "$c")" "max_duration_reached stopped_at_max_duration stop cleanup supervisor_exit"
is "max_duration: stop reason" "$(mon_audit "$c" | jq -r 'select(.event=="stop") | .details.reason')" max_duration
is "max_duration: run files removed" \
  "$(find "$MON_RUN" -maxdepth 1 \( -name "$c.lock*" -o -name "$c.spec*" \) | wc -l)" 0

# --- persistent session stopped by the user: kept, supervisor leaves ---------
c=${MON_PREFIX}keep-$$
mon_container "$c" || bail "cannot start $c"
mon_spec "$MON_RUN/$c.spec.json" "$c" false open
sup=$(mon_supervise "$MON_RUN/$c.spec.json") || bail "no supervisor for $c"
incus stop "$c" >/dev/null
check "stopped: supervisor exits" wait_exit "$sup" 50
is "stopped: persistent container kept" "$(status "$c")" STOPPED
is "stopped: reason" "$(mon_audit "$c" | jq -r 'select(.event=="stop") | .details.reason')" stopped
incus delete "$c" >/dev/null

# --- container deleted under the supervisor ----------------------------------
c=${MON_PREFIX}gone-$$
mon_container "$c" || bail "cannot start $c"
mon_spec "$MON_RUN/$c.spec.json" "$c" false open
sup=$(mon_supervise "$MON_RUN/$c.spec.json") || bail "no supervisor for $c"
incus delete -f "$c" >/dev/null
check "deleted: supervisor exits" wait_exit "$sup" 50
reason=$(mon_audit "$c" | jq -r 'select(.event=="stop") | .details.reason')
case "$reason" in gone|stopped) tap_ok "deleted: reason recorded ($reason)" ;; *) tap_not_ok "deleted: reason recorded" "got: $reason" ;; esac

# --- SIGTERM: the supervisor goes, the container stays -----------------------
c=${MON_PREFIX}term-$$
mon_container "$c" || bail "cannot start $c"
mon_spec "$MON_RUN/$c.spec.json" "$c" true open
sup=$(mon_supervise "$MON_RUN/$c.spec.json") || bail "no supervisor for $c"
kill -TERM "$sup"
check "SIGTERM: supervisor exits" wait_exit "$sup" 50
is "SIGTERM: container still running" "$(status "$c")" RUNNING
like "SIGTERM: recorded" "$(events "$c")" "supervisor_signalled"
guarded=$("$COI" monitor "$c" --format json 2>/dev/null | jq -r .guarded)
is "SIGTERM: no longer guarded" "$guarded" false

# --- HIGH pauses, coi unfreeze resumes, the alert reaches the alerts file ----
# (the same container, guarded again)
sup=$(mon_supervise "$MON_RUN/$c.spec.json") || bail "no supervisor for $c"
incus exec "$c" -- cat /etc/shadow >/dev/null 2>&1
for _ in $(seq 1 40); do [ "$(status "$c")" = FROZEN ] && break; sleep 0.1; done
is "shadow read: container paused" "$(status "$c")" FROZEN
like "shadow read: audit finding" "$(mon_audit "$c" | jq -c 'select(.type=="threat") | [.level,.rule,.action]')" '["high","shadow-read","paused"]'
like "shadow read: alert line for the terminal" "$(cat "$MON_RUN/$c.alerts" 2>/dev/null)" "[HIGH]"
like "shadow read: alert says how to resume" "$(cat "$MON_RUN/$c.alerts" 2>/dev/null)" "coi unfreeze $c"
out=$("$COI" unfreeze "$c" 2>&1); rc=$?
is "unfreeze: exit 0" "$rc" 0
like "unfreeze: message" "$out" "resumed"
is "unfreeze: running again" "$(status "$c")" RUNNING
sleep 0.5
like "unfreeze: recorded" "$(events "$c")" "unfrozen_by_user"
like "unfreeze: supervisor saw it" "$(events "$c")" "unfrozen"
out=$("$COI" unfreeze "$c" 2>&1)
like "unfreeze: not frozen is not an error" "$out" "is not frozen"

# --- a write to authorized_keys is critical --------------------------------
incus exec "$c" -- mkdir -p /root/.ssh || bail "cannot make /root/.ssh in $c"
sleep 6 # the watch on a new .ssh directory is re-armed every 5 s
incus exec "$c" -- sh -c 'echo "ssh-ed25519 AAAAC3Nza attacker" >> /root/.ssh/authorized_keys' >/dev/null 2>&1
mon_wait_down "$c" 10000 >/dev/null
like "authorized_keys: critical, killed" "$(mon_audit "$c" | jq -c 'select(.type=="threat" and .level=="critical") | [.rule,.action]')" '["authorized-keys-write","killed"]'
check "authorized_keys: supervisor exits" wait_exit "$sup" 100

# --- the commands -------------------------------------------------------------
out=$("$COI" audit "$c" 2>&1)
like "audit: text shows the finding" "$out" "CRITICAL  filesystem/authorized-keys-write"
like "audit: text shows the lifecycle" "$out" "session   stop reason=killed"
n=$("$COI" audit "$c" --format json | jq -c . | wc -l)
is "audit: json is one valid object a line" "$n" "$(mon_audit "$c" | wc -l)"
COI_CONTAINER=$c "$COI" audit >/dev/null 2>&1
is "audit: container from COI_CONTAINER" "$?" 0
"$COI" audit coi-test-mon-none-$$ >/dev/null 2>&1
is "audit: missing log exits 1" "$?" 1
"$COI" monitor "$c" --json --watch 2 >/dev/null 2>&1
is "monitor: --json with --watch is a usage error" "$?" 2
( "$COI" audit "$c" --follow > "$MON_TMP/follow.txt" 2>&1 & echo $! > "$MON_TMP/follow.pid"; wait ) &
sleep 0.5
printf '{"timestamp":"2026-11-27T00:00:00.000Z","container":"%s","type":"session","event":"follow-probe"}\n' "$c" >> "$HOME/.coi/audit/$c.jsonl"
sleep 0.6
kill "$(cat "$MON_TMP/follow.pid")" 2>/dev/null
like "audit --follow: sees a new line" "$(cat "$MON_TMP/follow.txt")" "follow-probe"

finish
