#!/bin/bash
# coi snapshot: container resolution (-c, $COI_CONTAINER, the workspace's
# single container), every subcommand, flag and exit code (spec A.3, G.1),
# and a restore that brings back a file changed after the snapshot.
OPS_KIND=snap
# shellcheck source-path=SCRIPTDIR source=test_ops_lib.sh
. "$(dirname "$0")/test_ops_lib.sh"

export COI_CONTAINER_PREFIX="$P"
unset COI_CONTAINER
WS="$TMPD/ws"
mkdir "$WS" || bail "cannot make $WS"
cd "$WS" || bail "cannot enter $WS"
HASH=$(printf '%s' "$WS" | sha256sum | cut -c1-8)
W1="${P}${HASH}-1"
W2="${P}${HASH}-2"

# --- resolution failures ---------------------------------------------------------
c snapshot create
fails "create with no container for the workspace" 1
like "no container: says so" "$ERR" "no COI containers found"
c snapshot create -c "${P}missing"
fails "create -c missing" 1
like "-c missing: names it" "$ERR" "container '${P}missing' not found"
COI_CONTAINER="${P}missing2" c snapshot list
fails "\$COI_CONTAINER missing" 1
like "\$COI_CONTAINER missing: says where it came from" "$ERR" "from COI_CONTAINER"

launch "$W1"
incus exec "$W1" -- sh -c 'echo before > /root/state' || bail "cannot write /root/state in $W1"

# --- create -----------------------------------------------------------------------
c snapshot create
is "create (workspace container, default name): exit 0" "$RC" 0
like "create: message" "$ERR" "Created snapshot 'snap-"
like "create: for the workspace container" "$ERR" "for container '$W1'"
AUTO=$(printf '%s' "$ERR" | sed -n "s/.*'\(snap-[0-9]\{8\}-[0-9]\{6\}\)'.*/\1/p")
check "create: default name is snap-YYYYMMDD-HHMMSS" test -n "$AUTO"
c snapshot create cp1 -c "$W1"
is "create NAME -c: exit 0" "$RC" 0
is "create NAME -c: message" "$ERR" "Created snapshot 'cp1' for container '$W1'"
c snapshot create cp1
fails "create of an existing name" 1
like "existing name: says so" "$ERR" "already exists"
c snapshot create a b
fails "create with two names" 2
c snapshot create live --stateful
if [ "$RC" = 0 ]; then
  like "create --stateful: message" "$ERR" "Created stateful snapshot 'live'"
  "$COI" snapshot delete live -f >/dev/null 2>&1
else
  fails "create --stateful without CRIU" 1
fi

# --- list / info --------------------------------------------------------------------
c snapshot list
is "list: exit 0" "$RC" 0
like "list: title" "$OUT" "Snapshots for $W1:"
like "list: header" "$OUT" "NAME"
like "list: cp1 row" "$OUT" "cp1"
like "list: total" "$OUT" "Total: 2 snapshots"
c snapshot list --format json
is "list --format json: container" "$(printf '%s' "$OUT" | json_get 'd["container"]')" "$W1"
is "list --format json: names" "$(printf '%s' "$OUT" | json_get 'sorted(s["name"] for s in d["snapshots"])')" "['cp1', '$AUTO']"
is "list --format json: keys" "$(printf '%s' "$OUT" | json_get 'sorted(d["snapshots"][0].keys())')" "['created_at', 'name', 'stateful']"
c snapshot list --format yaml
fails "list --format yaml" 2
c snapshot info cp1
is "info: exit 0" "$RC" 0
like "info: name" "$OUT" "Snapshot: cp1"
like "info: container" "$OUT" "Container: $W1"
like "info: stateful" "$OUT" "Stateful: no"
c snapshot info cp1 --format json
is "info --format json" "$(printf '%s' "$OUT" | json_get 'd["container"] + " " + d["snapshot"]["name"] + " " + str(d["snapshot"]["stateful"])')" "$W1 cp1 False"
c snapshot info nope
fails "info of a missing snapshot" 1
c snapshot info cp1 --format xml
fails "info --format xml" 2
c snapshot info
fails "info without a name" 2

# --- two containers for one workspace: ambiguous ------------------------------------
launch "$W2"
c snapshot list
fails "two containers for the workspace" 1
like "ambiguous: lists both" "$ERR" "$W1, $W2"
COI_CONTAINER="$W2" c snapshot list
is "\$COI_CONTAINER picks one" "$RC" 0
like "\$COI_CONTAINER: its list" "$OUT" "Snapshots for $W2:"
like "\$COI_CONTAINER: none yet" "$OUT" "(none)"
COI_CONTAINER="$W2" c snapshot list -c "$W1"
like "-c wins over \$COI_CONTAINER" "$OUT" "Snapshots for $W1:"
c snapshot list --all
is "list --all: exit 0" "$RC" 0
like "list --all: first container" "$OUT" "Snapshots for $W1:"
like "list --all: second container" "$OUT" "Snapshots for $W2:"
c snapshot list -a --format json
is "list --all --format json" "$(printf '%s' "$OUT" | json_get 'sorted(d.keys())')" "['$W1', '$W2']"
(cd "$TMPD" && "$COI" snapshot list -c "$W1" -w "$WS" >/dev/null 2>&1); rc=$?
is "-w names the workspace" "$rc" 0
incus delete -f "$W2" >/dev/null

# --- restore ------------------------------------------------------------------------------
incus exec "$W1" -- sh -c 'echo after > /root/state'
c snapshot restore cp1 -f
fails "restore of a running container" 1
like "restore running: says stop first" "$ERR" "must be stopped"
"$COI" container stop "$W1" 2>/dev/null
c_in "n
" snapshot restore cp1
is "restore answered n: exit 0" "$RC" 0
like "restore answered n: asks" "$ERR" "[y/N]"
like "restore answered n: aborted" "$ERR" "Aborted"
c_in "" snapshot restore cp1
like "restore with no answer: aborted" "$ERR" "Aborted"
c_in "y
" snapshot restore cp1
is "restore answered y: exit 0" "$RC" 0
like "restore answered y: message" "$ERR" "Restored container '$W1' from snapshot 'cp1'"
incus start "$W1"
is "restore: the file is back as it was" "$(incus exec "$W1" -- cat /root/state)" before
incus exec "$W1" -- sh -c 'echo after > /root/state'
incus stop -f "$W1"
c snapshot restore cp1 -c "$W1" --force
is "restore -f: exit 0" "$RC" 0
unlike "restore -f: does not ask" "$ERR" "[y/N]"
incus start "$W1"
is "restore -f: the file is back" "$(incus exec "$W1" -- cat /root/state)" before
incus stop -f "$W1"
c snapshot restore nope -f
fails "restore of a missing snapshot" 1
c snapshot restore
fails "restore without a name" 2

# --- delete -----------------------------------------------------------------------------
c snapshot delete
fails "delete with neither name nor --all" 2
c snapshot delete cp1 --all
fails "delete with a name and --all" 2
c snapshot delete nope
fails "delete of a missing snapshot" 1
c snapshot delete cp1
is "delete NAME: exit 0" "$RC" 0
is "delete NAME: message" "$ERR" "Deleted snapshot 'cp1' from container '$W1'"
"$COI" snapshot create two >/dev/null 2>&1
c_in "n
" snapshot delete --all
like "delete --all answered n: lists them" "$ERR" "  - two"
like "delete --all answered n: aborted" "$ERR" "Aborted"
is "delete --all answered n: nothing deleted" "$(incus snapshot list "$W1" -f csv | wc -l)" 2
c snapshot delete -a -f
is "delete --all -f: exit 0" "$RC" 0
like "delete --all -f: reports each" "$ERR" "Deleted snapshot 'two'"
is "delete --all -f: none left" "$(incus snapshot list "$W1" -f csv | wc -l)" 0
c snapshot delete --all
is "delete --all with none: exit 0" "$RC" 0
like "delete --all with none: says so" "$ERR" "No snapshots to delete"

c snapshot bogus
fails "unknown subcommand" 2

finish
