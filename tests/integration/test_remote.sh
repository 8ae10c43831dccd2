#!/bin/bash
# HTTPS remotes: the server's HTTPS listener on loopback, a client
# certificate trusted through the API, remotes read from an incus client
# config in INCUS_CONF; REST and exec websockets over TLS, and the failures.
# Usage: test_remote.sh PATH/TO/coi   (TAP output)
set -u
COI=$(realpath "$1")
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
IMAGE=${COI_TEST_IMAGE:-coi}
VAR=${INCUS_DIR:-/var/lib/incus}
SOCK=$VAR/unix.socket
PORT=18443
NAME=coi-test-remote-$$
api () { curl -s --unix-socket "$SOCK" -X "$1" "http://incus$2" ${3:+-d "$3"}; }

old_addr=$(api GET /1.0 | jq -r '.metadata.config["core.https_address"] // ""')
conf=$(mktemp -d /tmp/coi-remote.XXXXXX) || bail "cannot make a temporary directory"
fp=""
cleanup ()
{
  incus delete -f "$NAME" >/dev/null 2>&1
  [ -n "$fp" ] && api DELETE "/1.0/certificates/$fp" >/dev/null
  if [ -z "$old_addr" ]; then
    api PATCH /1.0 '{"config":{"core.https_address":""}}' >/dev/null
  fi
  rm -rf "$conf"
}
trap cleanup EXIT

if [ -z "$old_addr" ]; then
  api PATCH /1.0 "{\"config\":{\"core.https_address\":\"127.0.0.1:$PORT\"}}" >/dev/null
  addr=127.0.0.1:$PORT
else
  addr=$old_addr
fi
mkdir -p "$conf/good/servercerts" "$conf/bad/servercerts" "$conf/stranger/servercerts"
for d in good bad stranger; do
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -nodes -days 1 \
    -subj "/CN=coi-test-$d" -keyout "$conf/$d/client.key" -out "$conf/$d/client.crt" 2>/dev/null
done
cp "$VAR/server.crt" "$conf/good/servercerts/t.crt"
cp "$VAR/server.crt" "$conf/stranger/servercerts/t.crt"
cp "$conf/bad/client.crt" "$conf/bad/servercerts/t.crt"   # not the server's certificate
for d in good bad stranger; do
  printf 'default-remote: t\nremotes:\n  t:\n    addr: https://%s\n    protocol: incus\n    auth_type: tls\n' "$addr" > "$conf/$d/config.yml"
done
cert=$(grep -v -- '-----' "$conf/good/client.crt" | tr -d '\n')
api POST /1.0/certificates "{\"type\":\"client\",\"name\":\"coi-test-$$\",\"certificate\":\"$cert\"}" >/dev/null
fp=$(openssl x509 -in "$conf/good/client.crt" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)

out=$(INCUS_CONF=$conf/good "$COI" --remote t container list --format json 2>&1); rc=$?
is "remote: a REST call over TLS with the client certificate" "$rc" 0
out=$(INCUS_CONF=$conf/good "$COI" container launch "$IMAGE" "$NAME" 2>&1); rc=$?
is "remote: the config's default remote is used without --remote" "$rc" 0
for _ in $(seq 1 50); do incus exec "$NAME" -- true 2>/dev/null && break; sleep 0.2; done
out=$(INCUS_CONF=$conf/good "$COI" --remote t container exec "$NAME" -- sh -c 'echo over-tls; echo err >&2; exit 5' 2>/dev/null); rc=$?
is "remote: exec websockets over TLS carry stdout" "$out" over-tls
is "remote: and the exit code" "$rc" 5
err=$(INCUS_CONF=$conf/bad "$COI" --remote t container list 2>&1); rc=$?
is "remote: a server whose certificate is not the stored one is refused" "$rc" 1
like "remote: with one clear line naming the remote" "$err" "coi: list instances: cannot talk to Incus remote 't'"
err=$(INCUS_CONF=$conf/stranger "$COI" --remote t container list 2>&1); rc=$?
is "remote: an untrusted client certificate fails" "$rc" 1
like "remote: with the server's reason" "$err" "coi: "
err=$(INCUS_CONF=$conf/good "$COI" --remote nope container list 2>&1); rc=$?
is "remote: an unknown remote fails" "$rc" 1
like "remote: naming it" "$err" "Incus remote 'nope' is not configured"
err=$(INCUS_SOCKET=/nonexistent/unix.socket "$COI" container list 2>&1); rc=$?
is "local: a missing socket fails" "$rc" 1
like "local: saying so" "$err" "socket /nonexistent/unix.socket does not exist"
# A socket that exists with nobody listening: the daemon is not running.
dead=$conf/dead.socket
python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$dead"
err=$(INCUS_SOCKET=$dead "$COI" container list 2>&1); rc=$?
is "local: a daemon that is not running fails" "$rc" 1
like "local: saying the connection was refused" "$err" "cannot reach the Incus server at $dead: connection refused"
like "local: with a hint" "$err" "hint: incusd is not running"
finish
