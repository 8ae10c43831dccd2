#!/bin/bash
# coi build when the image exists: the COI skip message, exit 0, nothing
# built; and its usage errors.  Usage: test_build.sh PATH/TO/coi
set -uo pipefail
coi=${1:?usage: test_build.sh PATH/TO/coi}
sock=${INCUS_SOCKET:-${INCUS_DIR:-/var/lib/incus}/unix.socket}
fail=0
check() {
  local name=$1; shift
  if "$@"; then echo "ok - $name"; else echo "not ok - $name"; fail=1; fi
}
# The images of coi builds (other tests add and remove their own meanwhile).
# A failed request or an unreadable reply ends the test: "no image was
# built" must never pass because both sides read as nothing.
builds() {
  local reply
  reply=$(curl -sf --unix-socket "$sock" 'http://incus/1.0/images?recursion=1') \
    || { echo "not ok - cannot list images" >&2; exit 1; }
  jq -ec '[(.metadata // [])[] | select(any((.aliases // [])[]; .name | test("^coi-[0-9]{8}-[0-9]{6}$"))) | .fingerprint] | sort' <<<"$reply" \
    || { echo "not ok - unreadable image list" >&2; exit 1; }
}
# shellcheck disable=SC2317 # called through check
contains() { grep -q -- "$2" <<<"$1"; }

if ! curl -sf --unix-socket "$sock" http://incus/1.0/images/aliases/coi >/dev/null; then
  # Without the image this would start a real build: scripts/test.sh makes it first.
  echo "not ok - image 'coi' does not exist (scripts/coi-up.sh or scripts/test.sh builds it)"
  exit 1
fi
before=$(builds)
check "the server lists the coi build" [ "$before" != "[]" ]

out=$("$coi" build 2>&1); rc=$?
check "exit status 0 when the image exists" [ "$rc" = 0 ]
check "skip message" [ "$out" = "Image 'coi' already exists. Use --force to rebuild." ]
check "no image was built" [ "$before" = "$(builds)" ]

out=$("$coi" build extra 2>&1); rc=$?
check "an argument is a usage error (exit 2)" [ "$rc" = 2 ]
check "one error line" [ "$(grep -c '^coi: ' <<<"$out")" = 1 ]

"$coi" build --base >/dev/null 2>&1; rc=$?
check "--base without a value is a usage error" [ "$rc" = 2 ]

out=$("$coi" build --help 2>&1); rc=$?
check "--help exits 0" [ "$rc" = 0 ]
check "--help names --force" contains "$out" "--force"
check "--help names --base" contains "$out" "--base"
exit $fail
