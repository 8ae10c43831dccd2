#!/bin/bash
# False positives: a guarded container doing ordinary development work must
# raise no high or critical finding and stay running.  The work: build a
# small C project with gcc and make (parallel), a test-suite-like burst of
# short processes, git operations (init, commit, branch, merge, a local
# clone), a dev server on 8080 with local clients (curl and bash /dev/tcp),
# an interactive shell under tmux, a Python script using sockets on
# loopback, and `npm install` from a registry the test serves on a
# 198.51.100.0/24 "internet" address in its own network namespace (in a
# second guarded container from the image coi, which has node and npm;
# skipped when it has not).
# Usage: test_monitor_benign.sh PATH/TO/coi PATH/TO/test_monitor_spawn  (TAP)
set -u
# shellcheck source-path=SCRIPTDIR source=test_monitor_lib.sh
. "$(dirname "$(realpath "$0")")/test_monitor_lib.sh"
mon_start "$@"

# The npm registry's host: its own namespace, names and addresses (other
# monitor tests may run at the same time), one /32 route each way.
NPM_NS=coi-test-npm-$$
NPM_VETH_H=cnpm$$h
NPM_VETH_N=cnpm$$n
NPM_HOST_IP=198.51.100.170
NPM_REG_IP=198.51.100.171
NPM_PORT=4873
NPM_IMAGE=${COI_NPM_IMAGE:-coi}
NPM_PIDS=""
npm_cleanup ()
{
  for p in $NPM_PIDS; do kill "$p" 2>/dev/null; done
  ip route del "$NPM_REG_IP/32" dev "$NPM_VETH_H" 2>/dev/null
  ip link del "$NPM_VETH_H" 2>/dev/null
  ip netns del "$NPM_NS" 2>/dev/null
}
trap 'npm_cleanup; mon_cleanup' EXIT

mon_make_tools || { echo "Bail out! cannot prepare the tools container"; exit 1; }

c=${MON_PREFIX}benign-$$
mon_container "$c" || { echo "Bail out! cannot start $c"; exit 1; }
mon_spec "$MON_RUN/$c.spec.json" "$c" false restricted
sup=$(mon_supervise "$MON_RUN/$c.spec.json") || { echo "Bail out! no supervisor"; exit 1; }

as_code () { incus exec "$c" --user 1000 --group 1000 --cwd /home/code --env HOME=/home/code -- bash -c "$1"; }

# --- a C project, built in parallel -------------------------------------------
# shellcheck disable=SC2016 # a script for the container's bash
as_code '
set -e
mkdir -p proj/src && cd proj
for i in $(seq 1 12); do
  printf "int f%d (int x) { int s = 0; for (int i = 0; i < x; i++) s += i * %d; return s; }\n" $i $i > src/f$i.c
done
{ echo "#include <stdio.h>"; for i in $(seq 1 12); do echo "int f$i (int);"; done
  echo "int main (void) { long t = 0;"; for i in $(seq 1 12); do echo "t += f$i (100);"; done
  echo "printf (\"%ld\\n\", t); return 0; }"; } > src/main.c
printf "SRC := \$(wildcard src/*.c)\nOBJ := \$(SRC:.c=.o)\napp: \$(OBJ)\n\t\$(CC) -o \$@ \$^\n%%.o: %%.c\n\t\$(CC) -O2 -Wall -c \$< -o \$@\nclean:\n\trm -f app src/*.o\n" > Makefile
for round in 1 2 3; do make -s clean; make -s -j2; done
./app' > "$MON_TMP/build.out" 2>&1
is "C build: succeeds" "$?" 0

# --- a test suite: hundreds of short processes and temporary files -----------
# shellcheck disable=SC2016 # a script for the container's bash
as_code '
mkdir -p suite && cd suite
for i in $(seq 1 300); do
  sh -c "echo case $i > out.$i; grep -q case out.$i && rm out.$i" || exit 1
done
ls | wc -l' > "$MON_TMP/suite.out" 2>&1
is "test suite: succeeds" "$(cat "$MON_TMP/suite.out")" 0

# --- git ------------------------------------------------------------------------
# shellcheck disable=SC2016 # a script for the container's bash
as_code '
set -e
git config --global user.email dev@example.invalid; git config --global user.name dev
git init -q repo && cd repo
for i in 1 2 3 4 5; do echo "line $i" >> file.txt; git add file.txt; git commit -qm "commit $i"; done
git checkout -qb feature; echo feature >> file.txt; git commit -qam feature
git checkout -q -; git merge -q feature
git log --oneline | wc -l
cd .. && git clone -q repo copy && git -C copy status --short | wc -l' > "$MON_TMP/git.out" 2>&1
is "git: succeeds" "$?" 0

# --- a dev server on 8080 with local clients ------------------------------------
as_code 'mkdir -p site && echo hello > site/index.html && cd site && nohup python3 -m http.server 8080 >/dev/null 2>&1 &'
sleep 1
# shellcheck disable=SC2016 # a script for the container's bash
out=$(as_code 'for i in $(seq 1 20); do curl -s http://127.0.0.1:8080/index.html; done | sort -u
exec 3<>/dev/tcp/127.0.0.1/8080; printf "GET /index.html HTTP/1.0\r\n\r\n" >&3; tail -1 <&3')
like "dev server: curl and /dev/tcp clients get the page" "$out" hello
as_code 'python3 - <<PY
import socket, threading
srv = socket.socket(); srv.bind(("127.0.0.1", 9000)); srv.listen(1)
def serve():
    c, _ = srv.accept(); c.sendall(c.recv(100).upper()); c.close()
t = threading.Thread(target=serve); t.start()
cl = socket.create_connection(("127.0.0.1", 9000)); cl.sendall(b"ping"); print(cl.recv(100).decode()); t.join()
PY' > "$MON_TMP/py.out" 2>&1
is "python sockets on loopback: work" "$(cat "$MON_TMP/py.out")" PING

# --- an interactive shell under tmux (the agent's usual state) ------------------
as_code 'tmux new-session -d -s coi-work "bash -i"; sleep 1; tmux send-keys -t coi-work "ls; cd proj; make -s clean; make -s -j2" Enter; sleep 3; tmux kill-server'
is "tmux: interactive shell ran" "$?" 0

# --- npm install from a local registry ------------------------------------------
npm_netns ()
{
  if ip route show "$NPM_REG_IP/32" | grep -q .; then
    mon_log "a route to $NPM_REG_IP already exists: another test owns it"
    return 1
  fi
  ip netns add "$NPM_NS" || return 1
  ip link add "$NPM_VETH_H" type veth peer name "$NPM_VETH_N" || return 1
  ip link set "$NPM_VETH_N" netns "$NPM_NS" || return 1
  ip addr add "$NPM_HOST_IP/32" dev "$NPM_VETH_H" || return 1
  ip link set "$NPM_VETH_H" up || return 1
  ip route add "$NPM_REG_IP/32" dev "$NPM_VETH_H" || return 1
  ip -n "$NPM_NS" link set lo up || return 1
  ip -n "$NPM_NS" addr add "$NPM_REG_IP/32" dev "$NPM_VETH_N" || return 1
  ip -n "$NPM_NS" link set "$NPM_VETH_N" up || return 1
  # Container traffic arrives masqueraded to the host's address on this link.
  ip -n "$NPM_NS" route add "$NPM_HOST_IP/32" dev "$NPM_VETH_N" || return 1
}

# A package as npm publishes it: a tarball with package/ at its top, and the
# registry's document naming it with its sha1 and sha512.
npm_package ()
{
  local d=$MON_TMP/registry
  mkdir -p "$d/package" || return 1
  printf '{"name":"coi-bench-pkg","version":"1.0.0","main":"index.js","license":"MIT"}\n' > "$d/package/package.json"
  printf 'module.exports = () => "coi-bench-pkg works";\n' > "$d/package/index.js"
  tar -C "$d" --owner=0 --group=0 -czf "$d/coi-bench-pkg-1.0.0.tgz" package || return 1
  local sha1 sha512
  sha1=$(sha1sum "$d/coi-bench-pkg-1.0.0.tgz" | cut -d' ' -f1)
  sha512=$(openssl dgst -sha512 -binary "$d/coi-bench-pkg-1.0.0.tgz" | base64 -w0) || return 1
  jq -n --arg url "http://$NPM_REG_IP:$NPM_PORT/coi-bench-pkg/-/coi-bench-pkg-1.0.0.tgz" \
        --arg sha1 "$sha1" --arg integrity "sha512-$sha512" '
    {name: "coi-bench-pkg", "dist-tags": {latest: "1.0.0"},
     versions: {"1.0.0": {name: "coi-bench-pkg", version: "1.0.0", main: "index.js",
                          dist: {tarball: $url, shasum: $sha1, integrity: $integrity}}}}' > "$d/meta.json"
}

npm_registry ()
{
  local log=$MON_TMP/registry/requests.log
  : > "$log"
  ip netns exec "$NPM_NS" python3 "$(dirname "$(realpath "$0")")/npm_registry.py" "$NPM_REG_IP" "$NPM_PORT" \
    coi-bench-pkg "$MON_TMP/registry/meta.json" "$MON_TMP/registry/coi-bench-pkg-1.0.0.tgz" "$log" \
    >/dev/null 2>&1 &
  NPM_PIDS="$NPM_PIDS $!"
  for _ in $(seq 1 50); do
    ip netns exec "$NPM_NS" python3 -c 'import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 1)' \
      "$NPM_REG_IP" "$NPM_PORT" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

n=${MON_PREFIX}npm-$$
npm_ok=""
if ! incus launch "$NPM_IMAGE" "$n" >/dev/null 2>&1 || ! mon_wait_ip "$n" >/dev/null; then
  tap_not_ok "npm: a container from the image $NPM_IMAGE starts"
elif ! incus exec "$n" -- sh -c 'command -v node >/dev/null && command -v npm >/dev/null'; then
  echo "ok $((TAP_N + 1)) - npm install from a local registry # SKIP the image $NPM_IMAGE has no node/npm"
  TAP_N=$((TAP_N + 1))
else
  npm_ok=1
fi
if [ -n "$npm_ok" ]; then
  check "npm: registry host in a netns" npm_netns
  check "npm: package built" npm_package
  check "npm: registry serving" npm_registry
  mon_spec "$MON_RUN/$n.spec.json" "$n" false restricted
  nsup=$(mon_supervise "$MON_RUN/$n.spec.json") || { echo "Bail out! no supervisor for $n"; exit 1; }
  incus exec "$n" --user 1000 --group 1000 --cwd /home/code --env HOME=/home/code -- sh -c "
set -e
mkdir -p app && cd app && printf '{\"name\":\"app\",\"version\":\"0.0.1\",\"private\":true}\n' > package.json
npm install --registry http://$NPM_REG_IP:$NPM_PORT/ --no-audit --no-fund --no-update-notifier coi-bench-pkg@1.0.0
node -e 'console.log(require(\"coi-bench-pkg\")())'" > "$MON_TMP/npm.out" 2>&1
  rc=$?
  is "npm install: succeeds" "$rc" 0
  [ "$rc" = 0 ] || sed 's/^/#   npm: /' "$MON_TMP/npm.out" | tail -20
  like "npm install: the package is in node_modules and loads" "$(cat "$MON_TMP/npm.out")" "coi-bench-pkg works"
  is "npm install: node_modules/coi-bench-pkg has the package" \
     "$(incus exec "$n" -- cat /home/code/app/node_modules/coi-bench-pkg/package.json 2>/dev/null | jq -r .version)" 1.0.0
  like "npm install: the tarball came from the test's registry" "$(cat "$MON_TMP/registry/requests.log")" \
       "GET /coi-bench-pkg/-/coi-bench-pkg-1.0.0.tgz"
fi

sleep 3 # a last sweep and sample
if [ -n "$npm_ok" ]; then
  nlog=$(mon_audit "$n")
  # Not vacuous: the supervisor watched the install (armed, sampling).
  check "npm: the supervisor monitored the install" test "$(echo "$nlog" | jq -c 'select(.type=="sample")' | wc -l)" -gt 0
  is "npm: no high or critical finding" \
     "$(echo "$nlog" | jq -c 'select(.type=="threat" and (.level=="high" or .level=="critical"))')" ""
  echo "$nlog" | jq -c 'select(.type=="threat") | {level,rule,title,command:.evidence.process.command}' | sed 's/^/#   npm finding: /'
  is "npm: container still running" "$(incus list "^$n\$" -c s --format csv)" RUNNING
  check "npm: supervisor still guarding" kill -0 "$nsup"
fi
log=$(mon_audit "$c")
bad=$(echo "$log" | jq -c 'select(.type=="threat" and (.level=="high" or .level=="critical"))')
is "benign: no high or critical finding" "$bad" ""
echo "$log" | jq -c 'select(.type=="threat") | {level,rule,title,command:.evidence.process.command}' | sed 's/^/#   finding: /'
is "benign: container still running" "$(incus list "^$c\$" -c s --format csv)" RUNNING
check "benign: supervisor still guarding" kill -0 "$sup"
samples=$(echo "$log" | jq -c 'select(.type=="sample")' | wc -l)
mon_log "benign: $samples resource samples written"
# Not vacuous: the supervisor watched the work (armed its process and
# socket monitors, sampled).
like "benign: the supervisor armed its monitors" \
  "$(echo "$log" | jq -r 'select(.event=="monitor_armed") | .details.monitors | join(",")')" "cn_proc"
check "benign: the supervisor sampled the work" test "$samples" -gt 0
lines=$(echo "$log" | wc -l)
mon_log "benign: $lines audit lines in total"

finish
