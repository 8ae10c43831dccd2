# Minimal TAP for shell tests: `check NAME CMD...` runs CMD and records
# ok/not ok; `is NAME GOT WANT` compares strings.  The summary line and
# exit status come from `finish`.  A set-up step that must not fail ends
# the test with `|| bail WHY`: nothing after it could be trusted.
# shellcheck shell=bash
TAP_N=0
TAP_FAIL=0

bail () { echo "Bail out! $*"; exit 1; }

tap_ok () { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
tap_not_ok ()
{
  TAP_N=$((TAP_N + 1)); TAP_FAIL=$((TAP_FAIL + 1))
  echo "not ok $TAP_N - $1"
  shift
  for line in "$@"; do printf '#   %s\n' "$line"; done
}

check ()
{
  local name=$1; shift
  if "$@"; then tap_ok "$name"; else tap_not_ok "$name" "command failed: $*"; fi
}

is ()
{
  if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_not_ok "$1" "got:  $(printf %q "$2")" "want: $(printf %q "$3")"; fi
}

like ()
{
  case "$2" in
    *"$3"*) tap_ok "$1" ;;
    *) tap_not_ok "$1" "got:  $(printf %q "$2")" "want substring: $(printf %q "$3")" ;;
  esac
}

# Extended regular expression.
matches ()
{
  if [[ "$2" =~ $3 ]]; then tap_ok "$1"; else tap_not_ok "$1" "got:  $(printf %q "$2")" "want match: $3"; fi
}

unlike ()
{
  case "$2" in
    *"$3"*) tap_not_ok "$1" "got:  $(printf %q "$2")" "must not contain: $(printf %q "$3")" ;;
    *) tap_ok "$1" ;;
  esac
}


finish ()
{
  echo "1..$TAP_N"
  [ "$TAP_FAIL" -eq 0 ]
}
