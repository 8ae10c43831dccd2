#!/bin/bash
# `coi run -- true` against the bare REST sequence doing the same work
# (create with a workspace disk and a filtered NIC, start, exec, stop,
# delete) and the incus CLI; then time to the agent's prompt for
# `coi shell --background`, `coi list` with 20 sessions, and the API calls
# of one `coi run`.  Medians; prints ratios.  Usage: bench_run.sh COI [RUNS]
set -u
COI=$(realpath "$1")
RUNS=${2:-5}
IMAGE=${COI_TEST_IMAGE:-coi}
SOCK=${INCUS_DIR:-/var/lib/incus}/unix.socket
export COI_CONTAINER_PREFIX=coib-
WS=$(mktemp -d /tmp/coi-bench-ws.XXXXXX) || exit 1
HOME=$(mktemp -d /tmp/coi-bench-home.XXXXXX) || exit 1
export HOME
trap 'for c in $(incus list -c n --format csv "^coib-"); do incus delete -f "$c" >/dev/null 2>&1; done; rm -rf "$WS" "$HOME"' EXIT
cd "$WS" || exit 1

ms () { echo $(( $(date +%s%N) / 1000000 )); }
median () { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
q () { curl -s --unix-socket "$SOCK" -X "$1" "http://incus$2" ${3:+-d "$3"}; }
# The bridge the default profile's NIC is on.
BRIDGE=$(q GET /1.0/profiles/default | jq -r '[.metadata.devices // {} | .[] | select(.type == "nic") | .network // .parent][0] // "incusbr0"')
wait_op () { local op; op=$(sed -n 's/.*"operation":"\([^"]*\)".*/\1/p'); [ -n "$op" ] && q GET "$op/wait?timeout=60" >/dev/null; }

bare_run ()
{
  local n=coib-bare-$1
  q POST /1.0/instances "{\"name\":\"$n\",\"source\":{\"type\":\"image\",\"alias\":\"$IMAGE\"},\"config\":{\"raw.idmap\":\"uid $(id -u) 1000\\ngid $(id -g) 1000\"},\"devices\":{\"workspace\":{\"type\":\"disk\",\"source\":\"$WS\",\"path\":\"/workspace\"},\"eth0\":{\"type\":\"nic\",\"network\":\"$BRIDGE\",\"name\":\"eth0\",\"security.ipv4_filtering\":\"true\",\"security.mac_filtering\":\"true\",\"security.port_isolation\":\"true\"}}}" | wait_op
  q PUT "/1.0/instances/$n/state" '{"action":"start"}' | wait_op
  [ "${2:-}" = ready ] && q POST "/1.0/instances/$n/exec" '{"command":["sh","-c","until ip -4 -o addr show dev eth0 2>/dev/null | grep -q \" inet \"; do sleep 0.02; done"],"wait-for-websocket":false,"interactive":false}' | wait_op
  q POST "/1.0/instances/$n/exec" '{"command":["true"],"wait-for-websocket":false,"interactive":false,"user":1000,"group":1000,"cwd":"/workspace"}' | wait_op
  q PUT "/1.0/instances/$n/state" '{"action":"stop","force":true}' | wait_op
  q DELETE "/1.0/instances/$n" | wait_op
}

cli_run () { incus launch "$IMAGE" "coib-cli-$1" >/dev/null && incus exec "coib-cli-$1" -- true && incus delete -f "coib-cli-$1" >/dev/null; }

declare -a A B C D
for i in $(seq 1 "$RUNS"); do
  # The order rotates so no variant always runs first.
  for k in 0 1 2 3; do
    case $(( (i + k) % 4 )) in
      0) t=$(ms); "$COI" run -- true >/dev/null 2>&1 || echo "coi run failed" >&2; A+=($(( $(ms) - t )));;
      1) t=$(ms); bare_run "$i"; B+=($(( $(ms) - t )));;
      2) t=$(ms); cli_run "$i"; C+=($(( $(ms) - t )));;
      3) t=$(ms); bare_run "r$i" ready; D+=($(( $(ms) - t )));;
    esac
  done
done
a=$(printf '%s\n' "${A[@]}" | median); b=$(printf '%s\n' "${B[@]}" | median)
c=$(printf '%s\n' "${C[@]}" | median); d=$(printf '%s\n' "${D[@]}" | median)
echo "coi run -- true vs the same work done bare, median of $RUNS (image $IMAGE):"
printf '  coi run -- true                       %7d ms\n' "$a"
printf '  bare REST, exec right after start     %7d ms\n' "$b"
printf '  bare REST, exec once eth0 is up       %7d ms\n' "$d"
printf '  incus CLI launch+exec+delete          %7d ms\n' "$c"
awk -v a="$a" -v b="$b" -v c="$c" -v d="$d" 'BEGIN {
  printf "  ratio coi/bare (no readiness)         %7.3f   (target <= 1.10)\n", a / b
  printf "  ratio coi/bare (same readiness)       %7.3f\n", a / d
  printf "  ratio coi/incus CLI                   %7.3f\n", a / c }'

calls=$(COI_TIMING_DEBUG=1 "$COI" run -- true 2>&1 >/dev/null | grep -c '^coi: api #')
echo "API calls in one coi run -- true: $calls (websocket connections included)"

# Time to the agent's prompt: the dummy agent prints "You: " when it waits for input.
declare -a P
for i in $(seq 1 "$RUNS"); do
  t=$(ms)
  name=$(COI_USE_DUMMY=1 "$COI" shell --background 2>&1 | sed -n 's/^Container: //p')
  for _ in $(seq 1 400); do
    incus exec "$name" --user 1000 --group 1000 --env HOME=/home/code -- tmux capture-pane -p -t "coi-$name" 2>/dev/null | grep -q 'You:' && break
    sleep 0.02
  done
  P+=($(( $(ms) - t )))
  "$COI" kill --force "$name" >/dev/null 2>&1
done
echo "coi shell --background to the agent's prompt: median $(printf '%s\n' "${P[@]}" | median) ms"

for i in $(seq 1 20); do incus init "$IMAGE" "coib-list-$i" >/dev/null 2>&1 & done; wait
declare -a L
for i in $(seq 1 "$RUNS"); do t=$(ms); "$COI" list >/dev/null; L+=($(( $(ms) - t ))); done
echo "coi list with 20 containers: median $(printf '%s\n' "${L[@]}" | median) ms"
