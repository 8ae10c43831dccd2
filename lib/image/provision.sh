#!/bin/bash
# The coi image recipe.  Runs as root inside the system being built: a
# debootstrap chroot (`coi build`) or a build container (`coi build --base`).
# Everything the image holds beyond its base system comes from here, so both
# ways give the same image.  It is compiled into coi, and its bytes are part
# of the build cache key: editing it rebuilds the cached tree.
#
# Environment (set by coi):
#   COI_PROVISION_MODE  chroot | container
#   COI_DUMMY_SRC       where coi put the dummy agent inside the target
#   COI_NPM_REGISTRY    npm registry to use (empty: npm's default)
# Lines starting with "--- " are progress; coi shows them.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 LANG=C.UTF-8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mode=${COI_PROVISION_MODE:-container}

PACKAGES=(
  # boot, and DHCP on eth0: systemd-networkd waits forever for a link that
  # udev has not initialised, so udev is not optional
  systemd-sysv udev dbus iproute2 systemd-resolved
  sudo ca-certificates
  # what sessions and agents use
  tmux git curl less procps jq nodejs npm
  # what the network tests type at the dummy agent's prompt
  bind9-dnsutils iputils-ping wget netcat-openbsd
)

step() { echo "--- $*"; }

# The package mirror has been seen unreachable for many minutes at a time:
# ten tries over about eleven minutes.
retry() {
  local n=1 wait
  until "$@"; do
    [ "$n" -ge 10 ] && { echo "giving up after $n tries: $*" >&2; return 1; }
    wait=$((n * 15)); [ "$wait" -gt 120 ] && wait=120
    step "retry $n in ${wait}s: $1 $2"
    sleep "$wait"
    n=$((n + 1))
  done
}

# In a chroot, name resolution is the host's (coi copied its resolv.conf);
# installing systemd-resolved points /etc/resolv.conf at a stub that nothing
# serves here, so the host's copy is put back after each install.
keep_resolver() { :; }
if [ "$mode" = chroot ]; then
  # Packages must not start services on the build host.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  cp -L /etc/resolv.conf /tmp/coi-host-resolv.conf
  keep_resolver() { rm -f /etc/resolv.conf; cp /tmp/coi-host-resolv.conf /etc/resolv.conf; }
fi

# The host's local CAs, staged by coi: the build and the containers trust
# what the host trusts (e.g. a TLS-inspecting proxy in front of a registry).
if compgen -G "/usr/local/share/ca-certificates/coi-host/*.crt" >/dev/null; then
  step "trust the host's local CA certificates"
  update-ca-certificates >/dev/null
  # Node.js keeps its own CA list unless told otherwise.
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  echo "NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS" >> /etc/environment
  echo "cafile=$NODE_EXTRA_CA_CERTS" >> /etc/npmrc
fi

# Documentation and translations are a tenth of the image and nobody reads
# them in an agent container; copyright files stay.
cat > /etc/dpkg/dpkg.cfg.d/90-coi-nodoc <<'DPKG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
DPKG
find /usr/share/doc -type f ! -name copyright -delete 2>/dev/null || true
rm -rf /usr/share/man/* /usr/share/info/*
find /usr/share/locale -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} + 2>/dev/null || true

step "apt: update package lists"
retry apt-get -q -o Acquire::Retries=3 update >/dev/null

step "apt: install ${#PACKAGES[@]} packages (Node.js, npm, tmux, systemd, udev, ...)"
retry apt-get -q -y -o Acquire::Retries=3 -o Dpkg::Use-Pty=0 install --no-install-recommends \
  "${PACKAGES[@]}" >/dev/null
keep_resolver

step "npm: install Claude Code (@anthropic-ai/claude-code)"
npm_args=(--global --no-audit --no-fund --loglevel=error)
[ -n "${COI_NPM_REGISTRY:-}" ] && npm_args+=(--registry "$COI_NPM_REGISTRY")
retry npm install "${npm_args[@]}" @anthropic-ai/claude-code >/dev/null
# npm 9 cannot tell glibc from musl and installs both native builds; the
# musl one (about 400 MB) is never run here.
cc_mods=/usr/local/lib/node_modules/@anthropic-ai/claude-code/node_modules/@anthropic-ai
if ldd --version 2>&1 | grep -qi 'gnu libc\|glibc'; then
  rm -rf "$cc_mods"/claude-code-linux-*-musl
fi
claude --version >/dev/null

step "user code (uid/gid 1000, /home/code, passwordless sudo)"
old=$(getent passwd 1000 | cut -d: -f1 || true)
if [ -n "$old" ] && [ "$old" != code ]; then
  # Cloud images ship their own uid 1000 user (ubuntu): take it over.
  usermod -l code -d /home/code -m "$old"
  oldgrp=$(getent group 1000 | cut -d: -f1 || true)
  [ -n "$oldgrp" ] && [ "$oldgrp" != code ] && groupmod -n code "$oldgrp"
elif [ -z "$old" ]; then
  getent group 1000 >/dev/null || groupadd -g 1000 code
  useradd -m -u 1000 -g 1000 -s /bin/bash code
fi
printf 'code ALL=(ALL) NOPASSWD:ALL\n' > /etc/sudoers.d/90-coi-code
chmod 0440 /etc/sudoers.d/90-coi-code
visudo -cqf /etc/sudoers.d/90-coi-code
mkdir -p /workspace
chown 1000:1000 /workspace

step "network: systemd-networkd DHCP on eth0, systemd-resolved"
# coi's own images carry a template that Incus renders at create time from
# the container's user.coi.net.* keys: a fixed address instead of this DHCP
# file, and the gateway as resolver (see build_local.c).
mkdir -p /etc/systemd/network
cat > /etc/systemd/network/10-coi-eth0.network <<'NET'
[Match]
Name=eth0

[Network]
DHCP=yes
NET
systemctl enable systemd-networkd.service systemd-resolved.service >/dev/null 2>&1
# wait-online would hold boot for two minutes when DHCP is filtered.
systemctl mask systemd-networkd-wait-online.service >/dev/null 2>&1
# No traffic of their own from agent containers.
systemctl mask apt-daily.timer apt-daily-upgrade.timer >/dev/null 2>&1

step "power wrappers, tmux, locale, dummy agent"
for cmd in poweroff shutdown reboot halt; do
  printf '#!/bin/sh\n# The agent user may stop its own container.\nexec sudo /usr/sbin/%s "$@"\n' \
    "$cmd" > "/usr/local/bin/$cmd"
  chmod 0755 "/usr/local/bin/$cmd"
done
{
  echo '# coi: quick Escape for TUIs, long scrollback for captures'
  echo 'set -g escape-time 10'
  echo 'set -g history-limit 50000'
  if infocmp tmux-256color >/dev/null 2>&1; then
    echo 'set -g default-terminal "tmux-256color"'
  fi
} > /etc/tmux.conf
echo 'LANG=C.UTF-8' > /etc/default/locale
install -m 0755 "${COI_DUMMY_SRC:?}" /usr/local/bin/dummy

step "check: $(node --version) npm $(npm --version) $(tmux -V) claude $(claude --version 2>&1 | head -n 1)"
dummy --version | grep -qx 'Dummy CLI 1.0.0 (test stub)'
[ "$(id -u code):$(id -g code):$(getent passwd code | cut -d: -f6)" = "1000:1000:/home/code" ]

step "clean up"
apt-get -q clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /root/.npm /root/.cache /root/.claude* \
  /home/code/.npm /tmp/* /var/tmp/*
find /var/log -type f -delete
# Each container gets its own identity at first boot.
: > /etc/machine-id
rm -f /var/lib/dbus/machine-id
echo coi > /etc/hostname
# /tmp starts empty in a new container; emptying it again at boot would
# race a command that `coi run` starts before systemd-tmpfiles does.
printf '# coi: created, never emptied at boot\nd /tmp 1777 root root -\n' > /etc/tmpfiles.d/tmp.conf
# Last: name resolution of the build itself needed the host's resolver.  A
# plain file (systemd-resolved's stub) that Incus may render over: it will
# not write through a symlink.
rm -f /etc/resolv.conf
printf 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch .\n' > /etc/resolv.conf
step "provisioned"
