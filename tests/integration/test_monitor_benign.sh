#!/bin/bash
# False positives: a guarded container doing ordinary development work must
# raise no high or critical finding and stay running.  The work: build a
# small C project with gcc and make (parallel), a test-suite-like burst of
# short processes, git operations (init, commit, branch, merge, a local
# clone), a dev server on 8080 with local clients (curl and bash /dev/tcp),
# an interactive shell under tmux, and a Python script using sockets on
# loopback.  (No npm here: the image has none and the test may not reach a
# registry.)
# Usage: test_monitor_benign.sh PATH/TO/coi PATH/TO/test_monitor_spawn  (TAP)
set -u
. "$(dirname "$(realpath "$0")")/test_monitor_lib.sh"
mon_start "$@"
mon_make_tools || { echo "Bail out! cannot prepare the tools container"; exit 1; }

c=${MON_PREFIX}benign-$$
mon_container "$c" || { echo "Bail out! cannot start $c"; exit 1; }
mon_spec "$MON_TMP/$c.json" "$c" false restricted
sup=$(mon_supervise "$MON_TMP/$c.json") || { echo "Bail out! no supervisor"; exit 1; }

as_code () { incus exec "$c" --user 1000 --group 1000 --cwd /home/code --env HOME=/home/code -- bash -c "$1"; }

# --- a C project, built in parallel -------------------------------------------
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
as_code '
mkdir -p suite && cd suite
for i in $(seq 1 300); do
  sh -c "echo case $i > out.$i; grep -q case out.$i && rm out.$i" || exit 1
done
ls | wc -l' > "$MON_TMP/suite.out" 2>&1
is "test suite: succeeds" "$(cat "$MON_TMP/suite.out")" 0

# --- git ------------------------------------------------------------------------
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

sleep 3 # a last sweep and sample
log=$(mon_audit "$c")
bad=$(echo "$log" | jq -c 'select(.type=="threat" and (.level=="high" or .level=="critical"))')
is "benign: no high or critical finding" "$bad" ""
echo "$log" | jq -c 'select(.type=="threat") | {level,rule,title,command:.evidence.process.command}' | sed 's/^/#   finding: /'
is "benign: container still running" "$(incus list "^$c\$" -c s --format csv)" RUNNING
check "benign: supervisor still guarding" kill -0 "$sup"
samples=$(echo "$log" | jq -c 'select(.type=="sample")' | wc -l)
mon_log "benign: $samples resource samples written"
lines=$(echo "$log" | wc -l)
mon_log "benign: $lines audit lines in total"

finish
