#!/bin/bash
# coi-up.sh [--no-shell]: everything coi needs on a Debian 12 machine, then a
# `coi shell` in the current directory.
#
# Installs what is missing (Incus from bookworm-backports, build tools),
# starts incusd by hand when there is no systemd, creates a storage pool and
# a bridge when the server has none, builds coi and the `coi` image, and
# ends with `coi health`: exit 2 (unhealthy) stops here with a non-zero exit,
# warnings do not.  Run it again at any time: what exists is left as it is.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/common.sh
. "$ROOT/scripts/lib/common.sh"
# shellcheck source-path=SCRIPTDIR source=lib/setup.sh
. "$ROOT/scripts/lib/setup.sh"

shell=1
for a in "$@"; do
  case "$a" in
    --no-shell) shell=0 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $a (try --help)" ;;
  esac
done

workdir=$PWD
require_root "$@"
setup_machine
build_coi build src/cli/coi
setup_guard
build_image
echo "coi is ready ($(total_s) s): $ROOT/build/src/cli/coi"
health_report "$workdir"

[ "$shell" = 1 ] || exit 0
cd "$workdir"
user=$(invoking_user)
if [ "$user" != root ] && getent group incus-admin >/dev/null; then
  # The socket belongs to incus-admin: the shell runs as the user, in that group.
  id -nG "$user" | grep -qw incus-admin || usermod -aG incus-admin "$user"
  exec sudo -u "$user" -g incus-admin -- "$ROOT/build/src/cli/coi" shell
fi
exec "$ROOT/build/src/cli/coi" shell
