#!/bin/bash
# Sessions across the trust boundary, against the real incusd: the host's
# Claude settings full of secrets (only an allowlist may reach the
# container), a session save from a container holding a sparse 1 TiB file,
# a setuid world-writable file and a name with an escape sequence, and an
# Incus profile that gives the container a second NIC.
# Usage: test_sessions_hostile.sh PATH/TO/coi   (TAP output)
# COI_T_SPARSE_SIZE (default 1T) sizes the sparse file: only ever lower it,
# to watch the save test fail against a coi without limits without filling
# the disk.
set -u
COI=$(realpath "$1")
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

IMAGE=${COI_TEST_IMAGE:-coi}
SPARSE=${COI_T_SPARSE_SIZE:-1T}
export COI_CONTAINER_PREFIX=coith-
HOME=$(mktemp -d /tmp/coi-shost-home.XXXXXX)
export HOME
WS=$(mktemp -d /tmp/coi-shost-ws.XXXXXX)
ERRF=$(mktemp /tmp/coi-shost-err.XXXXXX)
cd "$WS" || exit 1
STEM="coith-$(printf %s "$WS" | sha256sum | cut -c1-8)-"
PROJ="coi-t-2nic-$$"
TS="coith-$$"

cleanup ()
{
  tmux kill-session -t "$TS" 2>/dev/null
  for c in $(incus list -c n --format csv "^$STEM" 2>/dev/null); do incus delete -f "$c" >/dev/null 2>&1; done
  if incus project show "$PROJ" >/dev/null 2>&1; then
    for c in $(incus list --project "$PROJ" -c n --format csv 2>/dev/null); do
      incus delete -f --project "$PROJ" "$c" >/dev/null 2>&1
    done
    incus project delete "$PROJ" >/dev/null 2>&1
  fi
  rm -rf "$HOME" "$WS" "$ERRF"
}
trap cleanup EXIT

tmux_wait ()
{
  local want=$1
  for _ in $(seq 1 300); do
    tmux capture-pane -p -t "$TS" 2>/dev/null | grep -q -- "$want" && return 0
    sleep 0.1
  done
  return 1
}

# --- the host's Claude settings: secrets stay on the host ----------------------
T="SECRET-$$"
mkdir -p "$HOME/.claude"
cat > "$HOME/.claude.json" <<EOF
{"hasCompletedOnboarding": true, "theme": "light", "lastOnboardingVersion": "2.1.0",
 "userID": "$T-userid", "primaryApiKey": "$T-primary",
 "oauthAccount": {"emailAddress": "$T-oauth"},
 "customApiKeyResponses": {"approved": ["$T-approved"]},
 "mcpServers": {"gh": {"command": "gh-mcp", "env": {"GITHUB_TOKEN": "$T-mcp"}}},
 "projects": {"$WS": {"hasTrustDialogAccepted": true, "history": [{"display": "$T-history"}],
                      "mcpServers": {"p": {"url": "https://x/?key=$T-project-mcp"}}},
              "/srv/other": {"hasTrustDialogAccepted": true, "history": [{"display": "$T-other"}]}}}
EOF
cat > "$HOME/.claude/settings.json" <<EOF
{"env": {"ANTHROPIC_API_KEY": "$T-env"}, "apiKeyHelper": "/bin/echo $T-helper",
 "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "echo $T-hook"}]}]},
 "model": "sonnet", "permissions": {"deny": ["Bash(curl:*)"], "allow": ["Bash($T-allow)"]}}
EOF

tmux kill-session -t "$TS" 2>/dev/null
tmux new-session -d -s "$TS" -x 150 -y 40 "\"$COI\" shell --image $IMAGE --debug 2>$ERRF; echo COI-EXIT=\$?; sleep 600"
check "shell: reaches a prompt" tmux_wait 'code@'
name=$(sed -n 's/^Container: //p' "$ERRF" | head -1)
sid=$(sed -n 's/^Session ID: //p' "$ERRF" | head -1)
like "shell: container named" "$name" "coith-"
found=$(incus exec "$name" -- grep -rIl -D skip -e "$T" /home /root /tmp /var/tmp /etc 2>/dev/null)
is "settings: no host secret in any file of the container" "$found" ""
cfg=$(incus exec "$name" -- cat /home/code/.claude.json 2>&1)
like "settings: .claude.json has the onboarding flag" "$cfg" '"hasCompletedOnboarding": true'
like "settings: .claude.json has the user's theme" "$cfg" '"theme": "light"'
like "settings: .claude.json trusts /workspace as the host trusts the workspace" \
  "$(tr -d ' \n' <<<"$cfg")" '"/workspace":{"hasTrustDialogAccepted":true}'
unlike "settings: .claude.json names no host project" "$cfg" "/srv/other"
set=$(incus exec "$name" -- cat /home/code/.claude/settings.json 2>&1)
like "settings: settings.json has the user's model" "$set" '"model": "sonnet"'
like "settings: settings.json keeps the user's deny rules" "$set" 'Bash(curl:*)'
like "settings: settings.json runs in bypass mode" "$set" '"defaultMode": "bypassPermissions"'

# --- the session save: limits on what the container sends back -----------------
# The pane's shell runs coi: its pid, to stop it if the save ran away.
coipid=$(pgrep -P "$(tmux list-panes -t "$TS" -F '#{pane_pid}' | head -1)" | head -1)
tmux send-keys -t "$TS" "truncate -s $SPARSE ~/.claude/huge && printf keep > ~/.claude/keep &&" \
  " chmod 0777 ~/.claude/keep && { chmod 4777 ~/.claude/keep 2>/dev/null; true; } &&" \
  " touch ~/.claude/\$'\\033[31mred' && mkdir -m 1777 ~/.claude/wdir && sudo poweroff" Enter
ended=0 runaway=0
for _ in $(seq 1 1200); do
  if tmux capture-pane -p -t "$TS" 2>/dev/null | grep -q 'COI-EXIT='; then ended=1; break; fi
  used=$(du -sk "$HOME/.coi" 2>/dev/null | cut -f1)
  if [ "${used:-0}" -gt 1048576 ] && [ -n "$coipid" ]; then runaway=1; kill -KILL "$coipid"; break; fi
  sleep 0.1
done
is "save: the host never got a GiB of it" "$runaway" 0
is "save: the session ended" "$ended" 1
saved="$HOME/.coi/sessions-claude/$sid/.claude"
check "save: the agent's state was saved" test -d "$saved"
is "save: an ordinary file arrives" "$(cat "$saved/keep" 2>&1)" keep
is "save: a 777 file (4777 refused inside) arrives as 755" "$(stat -c %a "$saved/keep" 2>&1)" 755
is "save: a 1777 directory arrives as 755" "$(stat -c %a "$saved/wdir" 2>&1)" 755
is "save: the sparse file is not on the host" "$(find "$saved" -name 'huge*' | wc -l)" 0
is "save: the name with an escape sequence is not on the host" "$(find "$saved" -name '*red' | wc -l)" 0
used=$(du -sk "$HOME/.coi" 2>/dev/null | cut -f1)
check "save: under 10 MiB on the host ($used KiB)" test "${used:-0}" -lt 10240
like "save: one warning names the sparse file" "$(cat "$ERRF")" \
  "warning: skipped /home/code/.claude/huge: larger than the limit of 64 MiB per file"
like "save: one warning names the escape-sequence file, made harmless" "$(cat "$ERRF")" \
  "warning: skipped /home/code/.claude/?[31mred: unsafe file name"
like "save: the session data was saved" "$(cat "$ERRF")" "Session data saved"
is "save: the container is gone" "$(incus list -c n --format csv "^$STEM" 2>/dev/null)" ""
tmux kill-session -t "$TS" 2>/dev/null

# --- a second NIC: refused before anything is created ---------------------------
# A project of our own whose default profile has the server's bridged eth0
# and a second NIC, a veth pair of its own (p2p) that no rule of coi would
# see (images and networks shared with the default project).
pool=$(incus profile device get default root pool 2>/dev/null)
net=$(incus profile device get default eth0 network 2>/dev/null)
[ -n "$net" ] || net=$(incus profile device get default eth0 parent 2>/dev/null)
if incus project create "$PROJ" -c features.images=false -c features.profiles=true \
     -c features.storage.volumes=false -c features.networks=false >/dev/null 2>&1 &&
   incus profile device add default root disk path=/ pool="$pool" --project "$PROJ" >/dev/null &&
   incus profile device add default eth0 nic network="$net" name=eth0 --project "$PROJ" >/dev/null &&
   incus profile device add default eth1 nic nictype=p2p name=eth1 --project "$PROJ" >/dev/null; then
  COI_INCUS_PROJECT=$PROJ "$COI" run --image "$IMAGE" -- true >/dev/null 2>"$ERRF"; rc=$?
  is "nic: a profile with a second NIC is refused" "$rc" 1
  like "nic: naming the extra device and its profile" "$(cat "$ERRF")" \
    "second network device 'eth1' (from profile 'default') besides 'eth0'"
  is "nic: nothing was created" "$(incus list --project "$PROJ" -c n --format csv 2>&1)" ""
  incus profile device remove default eth1 --project "$PROJ" >/dev/null
  COI_INCUS_PROJECT=$PROJ "$COI" run --image "$IMAGE" -- true >/dev/null 2>"$ERRF"; rc=$?
  is "nic: the same project with one NIC runs" "$rc" 0
else
  tap_not_ok "nic: set up the test project $PROJ" "incus refused to create it"
fi

finish
