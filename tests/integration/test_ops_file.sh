#!/bin/bash
# coi file push/pull: flags, exit codes, destination rules, a binary round
# trip, trees with modes, and a hostile container (spec A.2, G.2).
OPS_KIND="file"
# shellcheck source-path=SCRIPTDIR source=test_ops_lib.sh
. "$(dirname "$0")/test_ops_lib.sh"

F="${P}c"
launch "$F"
cd "$TMPD" || bail "cannot enter $TMPD"
sha () { sha256sum "$1" | cut -c1-64; }

# --- usage errors -----------------------------------------------------------------
head -c 200000 /dev/urandom > bin; chmod 0750 bin
c file push bin no-colon-here
fails "push without ':'" 2
c file push bin ":/root/x"
fails "push with an empty container" 2
mkdir -p tree/sub
c file push tree "$F:/root/tree"
fails "push of a directory without -r" 2
like "push of a directory: says -r" "$ERR" "-r"
c file push missing-file "$F:/root/x"
fails "push of a missing source" 1
c file push bin
fails "push with one argument" 2
c file pull "no-colon" out
fails "pull without ':'" 2
c file pull "$F:/root" out
fails "pull of a directory without -r" 2
like "pull of a directory: hint" "$ERR" "use -r"
c file pull "$F:/no/such/file" out
fails "pull of a missing file" 1
c file pull "${P}missing:/etc/hostname" out
fails "pull from a missing container" 1
like "pull from a missing container: names it" "$ERR" "${P}missing"

# --- push/pull a binary file --------------------------------------------------------
c file push bin "$F:/root/bin"
is "push: exit 0" "$RC" 0
is "push: message" "$ERR" "Pushed file bin -> $F:/root/bin"
is "push: content (witness)" "$(incus exec "$F" -- sha256sum /root/bin | cut -c1-64)" "$(sha bin)"
is "push: mode kept" "$(incus exec "$F" -- stat -c %a /root/bin)" 750
c file pull "$F:/root/bin" back
is "pull: exit 0" "$RC" 0
is "pull: message" "$ERR" "Pulled file $F:/root/bin -> back"
is "pull: binary identical" "$(sha back)" "$(sha bin)"
is "pull: mode kept" "$(stat -c %a back)" 750
chmod 0600 bin
c file push bin "$F:/root/bin"
is "push again: the new mode applies" "$(incus exec "$F" -- stat -c %a /root/bin)" 600
c file pull "$F:/root/bin" back
is "pull over an existing file: exit 0" "$RC" 0
is "pull over an existing file: replaced" "$(stat -c %a back)" 600

# into directories
c file push bin "$F:/srv/"
is "push to 'dir/': lands inside" "$(incus exec "$F" -- stat -c %s /srv/bin)" 200000
c file push bin "$F:/home"
is "push to an existing directory: lands inside" "$(incus exec "$F" -- stat -c %s /home/bin)" 200000
mkdir into
c file pull "$F:/root/bin" into
is "pull into an existing directory: exit 0" "$RC" 0
is "pull into an existing directory: LOCAL/base" "$(sha into/bin)" "$(sha bin)"
c file pull "$F:/root/bin" nodir/
fails "pull to a missing 'dir/'" 2
c file pull "$F:/root/bin" back/
fails "pull to 'file/'" 2
mkdir -p into2/bin
c file pull "$F:/root/bin" into2
fails "pull onto an existing directory of that name" 2

# a destination symlink is replaced, never followed
echo keep > canary
ln -s canary link
c file pull "$F:/root/bin" link
is "pull onto a symlink: exit 0" "$RC" 0
is "pull onto a symlink: the canary is untouched" "$(cat canary)" keep
check "pull onto a symlink: the link became a file" test -f link -a ! -L link

# --- trees --------------------------------------------------------------------------
mkdir -p tree/sub/deep tree/priv
printf 'run\n' > tree/run.sh; chmod 0755 tree/run.sh
printf 'secret\n' > tree/priv/key; chmod 0600 tree/priv/key; chmod 0700 tree/priv
printf 'd\n' > tree/sub/deep/f; chmod 0640 tree/sub/deep/f
ln -s run.sh tree/link
mkfifo tree/fifo
c file push -r tree "$F:/root/tree"
is "push -r: exit 0" "$RC" 0
like "push -r: message" "$ERR" "Pushed directory tree -> $F:/root/tree"
like "push -r: the fifo is skipped with a warning" "$ERR" "fifo"
is "push -r: tree (witness)" \
  "$(incus exec "$F" -- sh -c 'cd /root/tree && find . -printf "%P %y %m\n" | sort' | tr '\n' ';')" \
  " d 755;link l 777;priv d 700;priv/key f 600;run.sh f 755;sub d 755;sub/deep d 755;sub/deep/f f 640;"
is "push -r: the symlink is a symlink inside" "$(incus exec "$F" -- readlink /root/tree/link)" run.sh
printf 'changed\n' > tree/run.sh
c file push -r tree "$F:/root/tree"
is "push -r into an existing tree: merged" "$(incus exec "$F" -- cat /root/tree/run.sh)" changed

c file pull -r "$F:/root/tree" tree-back
is "pull -r: exit 0" "$RC" 0
like "pull -r: message" "$ERR" "Pulled directory $F:/root/tree -> tree-back"
like "pull -r: the symlink is skipped with a warning" "$ERR" "Warning: skipped /root/tree/link"
is "pull -r: tree" "$(cd tree-back && find . -printf '%P %y %m\n' | sort | tr '\n' ';')" \
  " d 755;priv d 700;priv/key f 600;run.sh f 755;sub d 755;sub/deep d 755;sub/deep/f f 640;"
c file pull -r "$F:/root/tree" tree-back
is "pull -r again: lands inside the existing directory" "$(cat tree-back/tree/run.sh)" changed
c file pull -r "$F:/root/tree" tree-back
fails "pull -r onto an existing directory's entry" 2
c file pull -r "$F:/root/tree" bin
fails "pull -r onto an existing file" 2
mkdir holder
c file pull -r "$F:/root/tree" holder
is "pull -r into an existing directory: LOCAL/base" "$(cat holder/tree/run.sh)" changed
c file pull -r "$F:/root/bin" single
is "pull -r of a file pulls the file" "$(sha single)" "$(sha bin)"

# --- hostile container ----------------------------------------------------------------
mkdir hostdir || bail "cannot make hostdir"
incus exec "$F" -- sh -c "mkdir -p /root/evil/d && cd /root/evil && ln -s /etc/shadow shadow &&
  ln -s '$TMPD/hostdir' hostdir && ln -s .. up && ln -s / rootfs && mkfifo fifo &&
  ln -s '$TMPD/hostdir' d/x && printf s > suid && chmod 4755 suid && echo ok > d/ok" \
  || bail "cannot plant the hostile tree in $F"
c file pull -r "$F:/root/evil" evil
is "hostile pull: exit 0" "$RC" 0
is "hostile pull: no symlink, fifo or device on the host" "$(find evil ! -type f ! -type d | wc -l)" 0
is "hostile pull: setuid dropped" "$(stat -c %a evil/suid)" 755
is "hostile pull: host directory untouched" "$(find hostdir -mindepth 1 | wc -l)" 0
is "hostile pull: regular content arrives" "$(cat evil/d/ok)" ok
c file pull "$F:/root/evil/shadow" shadow-copy
fails "pull of a symlink as a file" 1
check "pull of a symlink: nothing created" test ! -e shadow-copy
c file pull "$F:/root/evil/fifo" fifo-copy
is "pull of a fifo: returns (does not hang)" "$RC" 0
check "pull of a fifo: an empty regular file" test -f fifo-copy -a ! -s fifo-copy

# --- size limits: the container decides what a pull sends ------------------------------
incus exec "$F" -- sh -c 'mkdir -p /root/sz && head -c 3M /dev/zero > /root/sz/big &&
  echo s > /root/sz/small && truncate -s 2G /root/sz/sparse'
mkdir lim || bail "cannot make the scratch directory"
cd lim || bail "cannot enter the scratch directory"
c file pull --max-size 1MiB "$F:/root/sz/big" big-copy
fails "pull over --max-size" 1
like "pull over --max-size: names the limit" "$ERR" "/root/sz/big from $F: larger than the limit of 1 MiB"
like "pull over --max-size: hint" "$ERR" "--max-size raises the limit"
is "pull over --max-size: nothing written, no partial file" "$(ls -A)" ""
c file pull "$F:/root/sz/sparse" sparse
fails "pull over the default limit (a sparse 2 GiB file)" 1
like "pull over the default limit: 1 GiB" "$ERR" "larger than the limit of 1 GiB"
is "pull over the default limit: nothing written" "$(ls -A)" ""
c file pull -r --max-size 1M "$F:/root/sz" sz
is "pull -r over --max-size: exit 0" "$RC" 0
like "pull -r over --max-size: a warning names the file" "$ERR" \
  "Warning: skipped /root/sz/big: larger than the limit of 1 MiB per file"
is "pull -r over --max-size: the rest arrives" "$(find sz -mindepth 1 -printf '%f ' 2>/dev/null)" "small "
c file pull --max-size 4MiB "$F:/root/sz/big" big-copy
is "pull under a raised --max-size: whole" "$(stat -c %s big-copy 2>&1)" 3145728
rm -f big-copy
c file pull --max-size 0 "$F:/root/sz/big" big-copy
is "pull with --max-size 0 (no limit): whole" "$(stat -c %s big-copy 2>&1)" 3145728
c file pull --max-size lots "$F:/root/sz/big" other
fails "pull with an invalid --max-size" 2
like "pull with an invalid --max-size: says so" "$ERR" "invalid --max-size 'lots'"
cd ..

c file bogus
fails "unknown subcommand" 2

finish
