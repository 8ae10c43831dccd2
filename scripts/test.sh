#!/bin/bash
# test.sh: every test of coi, on this machine, from nothing.
#
# Installs what is missing, builds coi (build/) and an ASan+UBSan build
# (build-asan/), then brings up a throwaway Incus server of its own (its own
# INCUS_DIR, bridge and pool, empty at the start) and runs the README's
# set-up (scripts/coi-up.sh --no-shell) against it: pool, bridge, the `coi`
# image.  Every suite runs against that server; it is removed on every exit
# path.  The last line is "N passed, N failed" over both builds; the exit
# status is non-zero when anything failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/setup.sh
. "$ROOT/scripts/lib/setup.sh"
# shellcheck source-path=SCRIPTDIR source=lib/testserver.sh
. "$ROOT/scripts/lib/testserver.sh"

require_root "$@"
mkdir -p "$LOGDIR"
setup_packages
setup_test_packages
build_coi build all
build_coi build-asan all -Db_sanitize=address,undefined -Db_lundef=false

# A normal user in incus-admin, made for this run: suites run coi as them.
TEST_USER=coi-tester
test_user_down() {
  id "$TEST_USER" >/dev/null 2>&1 || return 0
  local uid
  uid=$(id -u "$TEST_USER")
  pkill -KILL -u "$uid" 2>/dev/null || true
  userdel -r "$TEST_USER" >/dev/null 2>&1 || true
  sed -i "/^root:$uid:1\$/d" /etc/subuid /etc/subgid
}
test_user_up() {
  step "test user"
  test_user_down
  useradd -m -s /bin/bash -G incus-admin "$TEST_USER"
  local uid gid
  uid=$(id -u "$TEST_USER")
  gid=$(id -g "$TEST_USER")
  # raw.idmap maps their uid into the container: incusd reads these at start.
  echo "root:$uid:1" >> /etc/subuid
  echo "root:$gid:1" >> /etc/subgid
  export COI_TEST_USER=$TEST_USER
  ok "$TEST_USER (uid $uid)"
}

# From here on, whatever happens, the throwaway server and the user go.
trap 'testserver_down; test_user_down' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
test_user_up
testserver_up
step "set-up against it (scripts/coi-up.sh --no-shell)"
bash "$ROOT/scripts/coi-up.sh" --no-shell >"$LOGDIR/coi-up-test.log" 2>&1 \
  || { tail -40 "$LOGDIR/coi-up-test.log" >&2; die "the README's set-up failed on an empty server (log $LOGDIR/coi-up-test.log)"; }
ok "done (log $LOGDIR/coi-up-test.log)"

# The one image every fixture, suite and benchmark takes.
export COI_TEST_IMAGE=coi

# Suites that are not tests of correctness stay out (benchmarks).
run_tests() {
  local dir=$1
  step "meson test ($dir)"
  local rc=0
  meson test -C "$ROOT/$dir" --no-rebuild --print-errorlogs --no-suite bench \
    >"$LOGDIR/test-$dir.log" 2>&1 || rc=$?
  # The tests that did not pass, once each (meson lists them twice).
  grep -E '^ *[0-9]+/[0-9]+ ' "$LOGDIR/test-$dir.log" | grep -vE ' OK +[0-9.]+s' | awk '!seen[$0]++' || true
  ok "exit $rc (log $LOGDIR/test-$dir.log)"
}
run_tests build
# The sanitizer build's guard serves its run (a restart, which sessions of
# the first run have no reason to notice).
step "guard service from build-asan"
start_guard "$ROOT/build-asan/src/cli/coi"
ok "restarted"
run_tests build-asan

# Count from meson's own records: one line per test in testlog.json.
read -r passed failed < <(python3 - "$ROOT/build" "$ROOT/build-asan" <<'PY'
import json, sys
passed = failed = 0
for d in sys.argv[1:]:
    try:
        lines = open(d + "/meson-logs/testlog.json").read().splitlines()
    except OSError:
        failed += 1  # no record at all is a failure of the run
        continue
    for line in lines:
        if not line.strip():
            continue
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r != "SKIP":
            failed += 1
print(passed, failed)
PY
)
echo "total time $(total_s) s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
