#!/bin/sh
# lib/config reads no environment of its own: everything comes through
# coi_config_load_opts.env.  Usage: test_config_noenv.sh LIB_CONFIG_DIR
set -u
dir=$1
found=$(grep -nE '\b(secure_getenv|getenv|environ)\b|posix_spawnp|exec[lv]p' "$dir"/*.c "$dir"/*.h)
if [ -n "$found" ]; then
  echo "FAIL lib/config reads the process environment:"
  echo "$found" | sed 's/^/  | /'
  exit 1
fi
echo "ok   lib/config reads no environment"
