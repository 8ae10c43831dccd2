#!/bin/bash
# coi build custom: script run as root in a build container, published,
# skipped when present, failures reported, nothing left behind.
# Usage: test_build_custom.sh PATH/TO/coi   (TAP output)
set -u
COI=$(realpath "$1")
# shellcheck source-path=SCRIPTDIR source=../lib/tap.sh
. "$(dirname "$0")/../lib/tap.sh"
BASE=${COI_TEST_IMAGE:-coi}
ALIAS=coi-test-custom-$$
tmp=$(mktemp -d /tmp/coi-custom.XXXXXX) || bail "cannot make a temporary directory"
cleanup () { incus image delete "$ALIAS" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
cd / || bail "cannot enter /"  # the script path must not depend on the current directory

printf '#!/bin/sh\necho progress-line\nid -u > /etc/coi-custom-marker\n' > "$tmp/ok.sh"
out=$("$COI" build custom "$ALIAS" --script "$tmp/ok.sh" --base "$BASE" --compression none 2>"$tmp/err"); rc=$?
is "build custom: exit 0" "$rc" 0
like "build custom: JSON names the alias" "$out" "\"alias\": \"$ALIAS\""
like "build custom: not skipped" "$out" '"skipped": false'
like "build custom: script output goes to stderr" "$(cat "$tmp/err")" progress-line
unlike "build custom: stdout is only the JSON" "$out" progress-line
fp=$(printf '%s' "$out" | sed -n 's/.*"fingerprint": "\([0-9a-f]*\)".*/\1/p')
like "build custom: alias points at the printed fingerprint" "$(incus image info "$ALIAS" 2>/dev/null)" "$fp"
incus launch "$ALIAS" coi-test-custom-c$$ >/dev/null 2>&1
is "build custom: the script ran as root in the image" "$(incus exec coi-test-custom-c$$ -- cat /etc/coi-custom-marker 2>/dev/null)" 0
incus delete -f coi-test-custom-c$$ >/dev/null 2>&1

out=$("$COI" build custom "$ALIAS" --script "$tmp/ok.sh" --base "$BASE" 2>"$tmp/err"); rc=$?
is "build custom: existing image exits 0" "$rc" 0
like "build custom: and is skipped" "$out" '"skipped": true'
like "build custom: with COI's message" "$(cat "$tmp/err")" "Image '$ALIAS' already exists. Use --force to rebuild."

printf 'exit 7\n' > "$tmp/bad.sh"
"$COI" build custom "$ALIAS-bad" --script "$tmp/bad.sh" --base "$BASE" >/dev/null 2>"$tmp/err"; rc=$?
is "build custom: a failing script exits 1" "$rc" 1
like "build custom: naming the exit code" "$(cat "$tmp/err")" "failed with exit code 7"
is "build custom: no build container left" "$(incus list -c n --format csv '^coi-build-' | wc -l)" 0
"$COI" build custom x >/dev/null 2>"$tmp/err"; rc=$?
is "build custom: --script is required (usage error)" "$rc" 2
"$COI" build custom x --script /nonexistent >/dev/null 2>"$tmp/err"; rc=$?
like "build custom: a missing script is one clear line" "$(cat "$tmp/err")" "coi: open build script /nonexistent: No such file or directory"
finish
