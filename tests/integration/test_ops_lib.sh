# Sourced by the test_ops_*.sh CLI tests.  Usage of a test:
#   test_ops_X.sh PATH/TO/coi      (TAP output)
# Every container and image they make is named $P* (coi-test-ops-...-PID-)
# and removed on exit, whatever happened.  The incus CLI is only a witness.
# shellcheck shell=bash
set -u
COI=$(realpath "$1")
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"

IMAGE=${COI_TEST_IMAGE:-coi}
P="coi-test-ops-$OPS_KIND-$$-"
TMPD=$(mktemp -d "/tmp/${P}XXXXXX") || bail "cannot make a temporary directory"
ERRF="$TMPD/.stderr"

ops_cleanup ()
{
  for c in $(incus list -c n --format csv "^$P" 2>/dev/null); do incus delete -f "$c" >/dev/null 2>&1; done
  for a in $(incus image alias list --format csv 2>/dev/null | cut -d, -f1 | grep "^$P"); do
    incus image delete "$a" >/dev/null 2>&1
  done
  chmod -R u+rwx "$TMPD" 2>/dev/null
  rm -rf "$TMPD"
}
trap ops_cleanup EXIT

# run coi: sets RC, OUT (stdout) and ERR (stderr)
# shellcheck disable=SC2034 # OUT is read by the test scripts, not here
c () { OUT=$("$COI" "$@" 2>"$ERRF"); RC=$?; ERR=$(cat "$ERRF"); }
# same, with stdin from $1
c_in () { local input=$1; shift; c "$@" < <(printf '%s' "$input"); }

# The last `c` failed with exit code $2 and one "coi: ..." line (plus an
# optional hint line) on stderr.
fails ()
{
  local name=$1 want=$2 lines
  is "$name: exit $want" "$RC" "$want"
  lines=$(printf '%s\n' "$ERR" | grep -vc '^hint: ')
  case "$ERR" in
    "coi: "*) is "$name: one error line" "$lines" 1 ;;
    *) tap_not_ok "$name: error starts with 'coi: '" "got: $ERR" ;;
  esac
}

# Launch and wait for boot to finish: systemd empties /tmp late in boot,
# which would take files and tmux sockets made before then with it.
launch ()
{
  incus launch "$IMAGE" "$1" >/dev/null 2>&1 || { echo "Bail out! cannot launch $1"; exit 1; }
  local state
  for _ in $(seq 1 300); do
    state=$(incus exec "$1" -- systemctl is-system-running 2>/dev/null)
    case "$state" in running*|degraded*) return 0 ;; esac
    sleep 0.2
  done
  echo "Bail out! $1 did not finish booting"; exit 1
}

json_get ()
{
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}
