#!/bin/bash
# coi tmux send|capture|list (spec A.2, G.3).  The session belongs to the
# code user, as a real agent session does, and runs `cat`, so whatever
# arrives in the pane is shown and nothing evaluates it: any file the
# payloads would create can only come from a shell on coi's side.
OPS_KIND=tmux
# shellcheck source-path=SCRIPTDIR source=test_ops_lib.sh
. "$(dirname "$0")/test_ops_lib.sh"

export COI_CONTAINER_PREFIX="$P"
T="${P}t"
S="coi-$T"
launch "$T"
as_code () { incus exec "$T" --user 1000 --group 1000 --env HOME=/home/code --cwd /home/code -- "$@"; }

c tmux list
is "list with no session: exit 0" "$RC" 0
is "list with no session" "$OUT" "No active sessions"
c tmux list --format json
is "list --format json with no session" "$OUT" "[]"

as_code tmux new-session -d -s "$S" -x 200 -y 50 cat || bail "cannot start the tmux session $S"
c tmux list
is "list: the session" "$OUT" "  - $T (tmux session: $S)"
c tmux list --format json
is "list --format json" "$(printf '%s' "$OUT" | json_get 'd')" "[{'container': '$T', 'session': '$S'}]"
c tmux list --format yaml
fails "list --format yaml" 2

# --- send: literal text, then Enter ------------------------------------------------
payloads=("\$(touch /tmp/pwned)" "\`touch /tmp/pwned2\`" '"; touch /tmp/pwned3; echo "' \
          "'; touch /tmp/pwned4; '" '-t other' 'Enter' 'C-c' '%q \\ end')
for p in "${payloads[@]}"; do
  c tmux send "$T" -- "$p"
  is "send $p: exit 0" "$RC" 0
  is "send $p: message" "$OUT" "Sent command to session $S"
done
sleep 0.5
c tmux capture "$T"
is "capture: exit 0" "$RC" 0
[ "$RC" = 0 ] || printf '#   stderr: %s\n' "$ERR"
for p in "${payloads[@]}"; do
  like "capture: '$p' arrived as text" "$OUT" "$p"
done
is "nothing was evaluated: no /tmp/pwned*" "$(incus exec "$T" -- sh -c 'ls /tmp/pwned* 2>/dev/null | wc -l')" 0
is "the pane is still running cat (C-c was text)" \
  "$(as_code tmux display-message -p -t "$S" '#{pane_current_command}')" cat
# Enter was a key: each payload is on its own line (cat echoes it back).
is "each send ended with Enter" "$(printf '%s\n' "$OUT" | grep -cxF -- "${payloads[0]}")" 2

# --- capture --lines -------------------------------------------------------------------
for i in $(seq 1 80); do as_code tmux send-keys -t "$S" "line $i" Enter; done
sleep 0.5
c tmux capture "$T"
unlike "capture: only the visible pane" "$OUT" "line 1
"
c tmux capture "$T" --lines 200
like "capture --lines 200: scrollback too" "$OUT" "line 1
"
c tmux capture "$T" --lines -1
fails "capture --lines -1" 2
c tmux capture "$T" --lines x
fails "capture --lines x" 2

# --- the session is the code user's, not root's ----------------------------------------
incus exec "$T" -- tmux has-session -t "$S" >/dev/null 2>&1
is "root's tmux server has no such session" "$?" 1

# --- failures -------------------------------------------------------------------------------
c tmux send "$T"
fails "send with one argument" 2
c tmux send "$T" -x
fails "send of text that looks like a flag, without --" 2
c tmux capture
fails "capture without a container" 2
c tmux send "${P}missing" hi
fails "send to a missing container" 1
as_code tmux kill-session -t "$S"
c tmux send "$T" hi
fails "send with no session" 1
c tmux capture "$T"
fails "capture with no session" 1
c tmux list
is "list after the session ended" "$OUT" "No active sessions"
incus stop -f "$T"
c tmux send "$T" hi
fails "send to a stopped container" 1
like "stopped: says so" "$ERR" "is not running"
c tmux capture "$T"
fails "capture of a stopped container" 1

c tmux bogus
fails "unknown subcommand" 2

finish
