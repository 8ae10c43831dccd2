# Helpers shared by scripts/coi-up.sh and scripts/test.sh (sourced, not run).
# shellcheck shell=bash

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export DEBIAN_FRONTEND=noninteractive

COI_SOCKET=${INCUS_SOCKET:-${INCUS_DIR:-/var/lib/incus}/unix.socket}

_t0=$(date +%s%N)
_step_t=0
_step_name=""

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# "==> name" when a step starts, "    name: what (N ms)" when it ends.
step() { _step_name=$1; _step_t=$(now_ms); echo "==> $1"; }
ok() { echo "    ${_step_name}: ${1:-done} ($(( $(now_ms) - _step_t )) ms)"; }
die() { echo "ERROR: $*" >&2; exit 1; }
total_s() { echo $(( ($(date +%s%N) - _t0) / 1000000000 )); }

# Run "$@" until it succeeds: the package mirror has been seen unreachable
# for twenty minutes at a time.  Waits 10, 20, 40, 60, 60, ... s (about 25
# minutes in all) before giving up.
retry() {
  local n=1 wait=10
  until "$@"; do
    [ "$n" -ge 14 ] && { echo "giving up after $n tries: $*" >&2; return 1; }
    echo "    attempt $n failed, retrying in ${wait}s: $*" >&2
    sleep "$wait"
    n=$((n + 1)); wait=$((wait * 2)); [ "$wait" -gt 60 ] && wait=60
  done
}

require_root() {
  [ "$(id -u)" = 0 ] && return 0
  command -v sudo >/dev/null || die "run as root (sudo is not installed)"
  # sudo records who asked (SUDO_USER): their uid gets a raw.idmap entry,
  # and the shell runs as them.
  exec sudo --preserve-env=CI,COI_CACHE_DIR,http_proxy,https_proxy,no_proxy bash "$0" "$@"
}

# The user the set-up is for: the one who ran sudo, or root.
# close_inherited_fds: in a subshell about to exec a daemon, close every
# descriptor above stderr.  A daemon that kept its starter's lock or pipe
# would hold a lock forever or keep a CI job's output open.
close_inherited_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd"/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
  done
  return 0
}

invoking_user() { echo "${SUDO_USER:-root}"; }

# The URI apt uses for Debian $1 (e.g. bookworm): the URIs line of the
# debian.sources stanza whose Suites list it, else a sources.list entry.
# No host name is written anywhere: it is read from apt's own configuration.
debian_mirror() {
  local suite=$1 uri=""
  if [ -r /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk -v suite="$suite" '
      BEGIN { RS=""; FS="\n" }
      { uri=""; ok=0; deb=1
        for (i=1;i<=NF;i++) {
          if ($i ~ /^URIs:/)   { split($i,a,/[ \t]+/); uri=a[2] }
          if ($i ~ /^Types:/)  { deb = ($i ~ /[ \t]deb([ \t]|$)/) }
          if ($i ~ /^Suites:/) { n=split($i,s,/[ \t]+/); for (j=2;j<=n;j++) if (s[j]==suite) ok=1 }
        }
        if (ok && deb && uri!="") { print uri; exit } }' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    uri=$(awk -v suite="$suite" '$1=="deb" {
        for (i=2;i<=NF;i++) if ($i ~ /^[a-z+]+:\/\//) { if ($(i+1)==suite) { print $i; exit } else break } }' \
      /etc/apt/sources.list)
  fi
  [ -n "$uri" ] || die "cannot find the Debian mirror for '$suite' in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list"
  echo "$uri"
}

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Print the packages of "$@" that are not installed.
missing_pkgs() {
  local p
  for p in "$@"; do pkg_installed "$p" || echo "$p"; done
}

APT_UPDATED=0
apt_update() {
  [ "$APT_UPDATED" = 1 ] && return 0
  retry apt-get -q -o Acquire::Retries=3 update >/dev/null
  APT_UPDATED=1
}

# apt_install [-t SUITE] PKG...: install what is missing, retrying.
apt_install() {
  local target=()
  if [ "${1:-}" = -t ]; then target=(-t "$2"); shift 2; fi
  local missing
  missing=$(missing_pkgs "$@")
  [ -z "$missing" ] && return 0
  apt_update
  # shellcheck disable=SC2086 # one package per word
  retry apt-get -q -y -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 install --no-install-recommends \
    "${target[@]}" $missing >/dev/null
}

# REST calls to incusd over its socket (the product is not built yet when
# these run).  api METHOD PATH [JSON]: prints the reply's metadata, waits for
# background operations, fails with the server's error text.
api() {
  local method=$1 path=$2 body=${3:-} reply
  if [ -n "$body" ]; then
    reply=$(curl -sS --unix-socket "$COI_SOCKET" -X "$method" -H 'Content-Type: application/json' \
      --data "$body" "http://incus$path") || return 1
  else
    reply=$(curl -sS --unix-socket "$COI_SOCKET" -X "$method" "http://incus$path") || return 1
  fi
  if [ "$(jq -r .type <<<"$reply")" = error ]; then
    echo "incus: $method $path: $(jq -r .error <<<"$reply")" >&2
    return 1
  fi
  if [ "$(jq -r .type <<<"$reply")" = async ]; then
    local op
    op=$(jq -r .operation <<<"$reply")
    reply=$(curl -sS --unix-socket "$COI_SOCKET" "http://incus$op/wait?timeout=600") || return 1
    if [ "$(jq -r .metadata.status <<<"$reply")" != Success ]; then
      echo "incus: $method $path: $(jq -r '.metadata.err // .error' <<<"$reply")" >&2
      return 1
    fi
  fi
  jq -c .metadata <<<"$reply"
}

incus_up() { curl -sf --unix-socket "$COI_SOCKET" http://incus/1.0 >/dev/null 2>&1; }
