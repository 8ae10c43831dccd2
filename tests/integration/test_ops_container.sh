#!/bin/bash
# coi container: every subcommand, flag and exit code of spec A.2/A.3.
OPS_KIND=ctr
# shellcheck source-path=SCRIPTDIR source=test_ops_lib.sh
. "$(dirname "$0")/test_ops_lib.sh"

A="${P}a"
E="${P}eph"
S="${P}pool"

# --- launch -------------------------------------------------------------------
c container launch "$IMAGE"
fails "launch with one argument" 2
c container launch "$IMAGE" "bad_name!"
fails "launch with an invalid name" 2
c container launch "${P}no-such-image" "${P}x"
fails "launch from a missing image" 1
like "launch from a missing image: names it" "$ERR" "${P}no-such-image"
c container launch "$IMAGE" "$A"
is "launch: exit 0" "$RC" 0
is "launch: message" "$ERR" "Container $A launched from $IMAGE"
is "launch: witness sees it running" "$(incus list -c s -f csv "^$A\$")" RUNNING
is "launch: not ephemeral by default" "$(incus list -c t -f csv "^$A\$")" CONTAINER
c container launch "$IMAGE" "$A"
fails "launch of an existing name" 1

c container launch --ephemeral "$IMAGE" "$E"
is "launch --ephemeral: exit 0" "$RC" 0
is "launch --ephemeral: witness" "$(incus list -c t -f csv "^$E\$")" "CONTAINER (EPHEMERAL)"

c container launch -s default "$IMAGE" "$S"
is "launch -s default: exit 0" "$RC" 0
is "launch -s: root disk on that pool" "$(incus config device get "$S" root pool 2>/dev/null)" default
c container launch --storage "${P}no-pool" "$IMAGE" "${P}nopool"
fails "launch --storage with a missing pool" 1
is "launch with a missing pool leaves nothing" "$(incus list -c n -f csv "^${P}nopool\$")" ""

# --- exists / running -----------------------------------------------------------
c container exists "$A"; is "exists: existing is 0" "$RC" 0
is "exists: prints nothing" "$OUT$ERR" ""
c container exists "${P}missing"; is "exists: missing is 1" "$RC" 1
c container exists; fails "exists without a name" 2
c container running "$A"; is "running: running is 0" "$RC" 0
c container running "${P}missing"; is "running: missing is 1" "$RC" 1
c container running a b; fails "running with two names" 2

# --- stop / start ---------------------------------------------------------------
c container stop "$A"
is "stop: exit 0" "$RC" 0
is "stop: message" "$ERR" "Container $A stopped"
c container running "$A"; is "running: stopped is 1" "$RC" 1
c container exists "$A"; is "exists: stopped is 0" "$RC" 0
c container start "$A"
is "start: exit 0" "$RC" 0
is "start: message" "$ERR" "Container $A started"
c container running "$A"; is "running after start" "$RC" 0
c container stop --force "$A"
is "stop --force: exit 0" "$RC" 0
is "stop --force: witness" "$(incus list -c s -f csv "^$A\$")" STOPPED
c container stop "$A"
fails "stop of a stopped container" 1
c container start "${P}missing"
fails "start of a missing container" 1
c container start "$A"

c container stop "$E"
is "stop ephemeral: exit 0" "$RC" 0
c container exists "$E"; is "ephemeral is gone after stop" "$RC" 1

# --- mount ----------------------------------------------------------------------
{ mkdir "$TMPD/share" && echo shared > "$TMPD/share/file"; } || bail "cannot make $TMPD/share"
c container mount "$A" share1 "$TMPD/share" /mnt/share1
is "mount: exit 0" "$RC" 0
is "mount: message" "$ERR" "Disk mounted: $TMPD/share -> $A:/mnt/share1"
is "mount: shift defaults to true" "$(incus config device get "$A" share1 shift)" true
is "mount: not read-only by default" "$(incus config device get "$A" share1 readonly)" ""
is "mount: visible inside" "$(incus exec "$A" -- cat /mnt/share1/file)" shared
c container mount "$A" share2 "$TMPD/share" /mnt/share2 --shift=false --readonly
is "mount --shift=false --readonly: exit 0" "$RC" 0
is "mount --shift=false: no shift" "$(incus config device get "$A" share2 shift)" ""
is "mount --readonly: read-only" "$(incus config device get "$A" share2 readonly)" true
out=$(incus exec "$A" -- sh -c 'echo x > /mnt/share2/new' 2>&1)
like "mount --readonly: writes fail inside" "$out" "Read-only file system"
is "mount --readonly: nothing arrives on the host" "$(ls "$TMPD/share")" file
(cd "$TMPD" && "$COI" container mount "$A" share3 share /mnt/share3 2>/dev/null)
is "mount: a relative source is made absolute" "$(incus config device get "$A" share3 source)" "$TMPD/share"
c container mount "$A" share1 "$TMPD/share" /mnt/other
fails "mount: a device name in use" 1
c container mount "$A" share4 "$TMPD/share" relative/path
fails "mount: a relative container path" 2
c container mount "$A" share4 "$TMPD/share"
fails "mount with three arguments" 2
c container mount "$A" share5 "$TMPD/share" /mnt/x --shift=maybe
fails "mount --shift=maybe" 2

# --- list / info ----------------------------------------------------------------
c container list
is "list: exit 0" "$RC" 0
like "list: header" "$OUT" "NAME"
like "list: shows the container" "$OUT" "$A"
c container list --format json
is "list --format json: exit 0" "$RC" 0
is "list --format json: has the container" \
  "$(printf '%s' "$OUT" | json_get '[i["status"] for i in d if i["name"]=="'"$A"'"][0]')" Running
c container list --format yaml
fails "list --format yaml" 2
c container list extra
fails "list with an argument" 2

c container info "$A"
is "info: exit 0" "$RC" 0
like "info: name" "$OUT" "Name: $A"
like "info: status" "$OUT" "Status: Running"
c container info "$A" --format json
is "info --format json: name" "$(printf '%s' "$OUT" | json_get 'd["name"]')" "$A"
is "info --format json: state included" "$(printf '%s' "$OUT" | json_get 'd["state"]["status"]')" Running
c container info "${P}missing"
fails "info of a missing container" 1
c container info "$A" --format xml
fails "info --format xml" 2

# --- delete ---------------------------------------------------------------------
c container delete "$A"
fails "delete of a running container without --force" 1
c container exists "$A"; is "it is still there" "$RC" 0
c container delete --force "$A"
is "delete --force: exit 0" "$RC" 0
is "delete --force: message" "$ERR" "Container $A deleted"
c container exists "$A"; is "delete --force: gone" "$RC" 1
c container stop --force "$S"
c container delete "$S"
is "delete of a stopped container: exit 0" "$RC" 0
c container delete "${P}missing"
fails "delete of a missing container" 1
c container delete -f "${P}missing"
fails "delete -f of a missing container" 1
c container delete
fails "delete without a name" 2

c container bogus
fails "unknown subcommand" 2

finish
