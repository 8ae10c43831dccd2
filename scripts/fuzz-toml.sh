#!/bin/sh
# Fuzz the TOML parser for SECONDS (default 60), seeded with toml-test's
# valid documents.  Usage: scripts/fuzz-toml.sh [SECONDS] [extra libFuzzer args]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
suite=${TOML_TEST_DIR:-../shared/toml-test}
if [ ! -d build-fuzz ]; then
  CC=${CC:-clang-14} meson setup build-fuzz -Dfuzz=true >/dev/null
fi
ninja -C build-fuzz fuzz/fuzz_toml >/dev/null
seeds=build-fuzz/fuzz-toml-seeds
corpus=build-fuzz/fuzz-toml-corpus
mkdir -p "$seeds" "$corpus"
if [ -d "$suite/tests/valid" ]; then
  find "$suite/tests/valid" -name '*.toml' | while read -r f; do
    cp "$f" "$seeds/$(echo "$f" | tr '/' '_')"
  done
else
  echo "fuzz-toml: warning: no seeds at $suite/tests/valid" >&2
fi
exec build-fuzz/fuzz/fuzz_toml -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -dict=fuzz/toml.dict -print_final_stats=1 "$@" "$corpus" "$seeds"
