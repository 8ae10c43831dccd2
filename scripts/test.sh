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

# From here on, whatever happens, the throwaway server goes.
trap 'testserver_down' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
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
