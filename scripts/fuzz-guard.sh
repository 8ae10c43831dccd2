#!/bin/sh
# Fuzz the guard's protocol (fuzz/fuzz_guard.c) for SECONDS (default 60),
# seeded with one request per op.  Usage: scripts/fuzz-guard.sh [SECONDS]
# [extra libFuzzer args]
set -eu
cd "$(dirname "$0")/.."
secs=${1:-60}
[ $# -gt 0 ] && shift
if [ ! -d build-fuzz ]; then
  CC=${CC:-clang-14} meson setup build-fuzz -Dfuzz=true >/dev/null
fi
ninja -C build-fuzz fuzz/fuzz_guard >/dev/null
corpus=build-fuzz/fuzz-guard-corpus
mkdir -p "$corpus"
build-fuzz/fuzz/fuzz_guard -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
  -dict=fuzz/guard.dict -print_final_stats=1 "$@" "$corpus" fuzz/guard-seeds
