#!/bin/bash
# coi build when the image exists: the COI skip message, exit 0, nothing
# built; and its usage errors.  Usage: test_build.sh PATH/TO/coi
set -uo pipefail
coi=${1:?usage: test_build.sh PATH/TO/coi}
sock=${INCUS_SOCKET:-/var/lib/incus/unix.socket}
fail=0
check() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1"; fail=1; fi; }

if ! curl -sf --unix-socket "$sock" http://incus/1.0/images/aliases/coi >/dev/null; then
  # Without the image this would start a real build: scripts/test.sh makes it first.
  echo "skip: image 'coi' does not exist (scripts/coi-up.sh or scripts/test.sh builds it)"
  exit 77
fi
before=$(curl -s --unix-socket "$sock" http://incus/1.0/images | tr -d ' \n')

out=$("$coi" build 2>&1); rc=$?
check "exit status 0 when the image exists" '[ "$rc" = 0 ]'
check "skip message" '[ "$out" = "Image '\''coi'\'' already exists. Use --force to rebuild." ]'
after=$(curl -s --unix-socket "$sock" http://incus/1.0/images | tr -d ' \n')
check "no image was added" '[ "$before" = "$after" ]'

out=$("$coi" build extra 2>&1); rc=$?
check "an argument is a usage error (exit 2)" '[ "$rc" = 2 ]'
check "one error line plus a hint" '[ "$(printf "%s\n" "$out" | grep -c "^coi: ")" = 1 ]'

out=$("$coi" build --base 2>&1); rc=$?
check "--base without a value is a usage error" '[ "$rc" = 2 ]'

out=$("$coi" build --help 2>&1); rc=$?
check "--help" '[ "$rc" = 0 ] && grep -q -- "--force" <<<"$out" && grep -q -- "--base" <<<"$out"'
exit $fail
