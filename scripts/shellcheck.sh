#!/bin/bash
# Usage: scripts/shellcheck.sh [ROOT] -- `shellcheck -x` over every shell
# script of coi (the meson test of that name).  Scripts are found, not
# listed: under scripts/, tests/, bench/ and .ci/, every *.sh file (sourced
# libraries included) and every file whose first line starts sh, bash or
# dash.  Any finding fails.
set -euo pipefail

ROOT=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$ROOT" || exit 1
if ! command -v shellcheck >/dev/null; then
  echo "shellcheck is not installed (apt-get install shellcheck; scripts/test.sh installs it)" >&2
  exit 1
fi

dirs=()
for d in scripts tests bench .ci; do
  [ -d "$d" ] && dirs+=("$d")
done
shebang='^#!.*[/ ](ba|da)?sh([[:space:]]|$)'
files=()
while IFS= read -r -d '' f; do
  first=""
  case "$f" in
    *.sh) files+=("$f") ;;
    *) IFS= read -r first < "$f" 2>/dev/null || true
       if [[ $first =~ $shebang ]]; then files+=("$f"); fi ;;
  esac
done < <(find "${dirs[@]}" -type f -print0 | sort -z)

if [ "${#files[@]}" -eq 0 ]; then
  echo "no shell scripts found under $ROOT" >&2
  exit 1
fi
echo "shellcheck -x: ${#files[@]} scripts"
printf '  %s\n' "${files[@]}"
shellcheck -x "${files[@]}"
echo "no findings"
