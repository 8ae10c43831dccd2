#!/bin/bash
# coi image: list, publish, delete, exists, cleanup, info with every flag
# and exit code (spec A.2, G.4).  Versions for cleanup are tiny images
# imported here; one publish of a real container covers publish.
OPS_KIND=img
# shellcheck source-path=SCRIPTDIR source=test_ops_lib.sh
. "$(dirname "$0")/test_ops_lib.sh"

cd "$TMPD" || bail "cannot enter $TMPD"
# A tiny image per call: distinct content, so distinct fingerprints.
tiny ()
{
  local alias=$1 d
  d=$(mktemp -d "$TMPD/tiny.XXXXXX") || bail "cannot make a directory for $alias"
  if ! { mkdir -p "$d/rootfs/etc" && echo "$alias" > "$d/rootfs/etc/tiny" \
    && printf 'architecture: x86_64\ncreation_date: 1700000000\nproperties:\n  description: %s\n' "$alias" > "$d/metadata.yaml" \
    && tar -C "$d" -cf "$d.tar" metadata.yaml rootfs; }; then
    bail "cannot make the image $alias"
  fi
  incus image import "$d.tar" --alias "$alias" >/dev/null || bail "cannot import the image $alias"
}

# --- publish ----------------------------------------------------------------------
C="${P}src"
launch "$C"
c image publish "$C"
fails "publish with one argument" 2
c image publish "${P}missing" "${P}x"
fails "publish of a missing container" 1
incus stop -f "$C" || bail "cannot stop $C"
c image publish "$C" "${P}pub" --description "made by the test"
is "publish: exit 0" "$RC" 0
is "publish: JSON alias" "$(printf '%s' "$OUT" | json_get 'd["alias"]')" "${P}pub"
FP=$(printf '%s' "$OUT" | json_get 'd["fingerprint"]')
is "publish: JSON fingerprint is the image's" "$(incus image info "${P}pub" | sed -n 's/^Fingerprint: //p')" "$FP"
is "publish: description" "$(incus image get-property "${P}pub" description 2>/dev/null)" "made by the test"
n_images=$(incus image list -f csv -c f | wc -l)
c image publish "$C" "${P}pub"
fails "publish to an alias in use" 1
is "publish to an alias in use: no nameless image left" "$(incus image list -f csv -c f | wc -l)" "$n_images"

# --- exists / info ------------------------------------------------------------------
c image exists "${P}pub"; is "exists: 0" "$RC" 0
is "exists: silent" "$OUT$ERR" ""
c image exists "${P}none"; is "exists missing: 1" "$RC" 1
c image exists; fails "exists without an alias" 2
c image exists "${FP:0:12}"; is "exists by fingerprint prefix: 0" "$RC" 0
c image info "${P}pub"
is "info: exit 0" "$RC" 0
like "info: fingerprint" "$OUT" "Fingerprint: $FP"
like "info: alias" "$OUT" "- ${P}pub"
c image info "${P}pub" --format json
is "info --format json" "$(printf '%s' "$OUT" | json_get 'd["fingerprint"]')" "$FP"
c image info "${P}none"
fails "info of a missing image" 1
c image info "${P}pub" --format yaml
fails "info --format yaml" 2

# --- list -------------------------------------------------------------------------------
c image list
is "list: exit 0" "$RC" 0
like "list: title" "$OUT" "Available Images:"
like "list: the coi image" "$OUT" "COI Images:"
like "list: tip" "$OUT" "Tip: Use --all"
c image list --all
like "list --all: every local image" "$OUT" "${P}pub"
c image list -a
like "list -a" "$OUT" "All Local Images:"
c image list --prefix "$P"
like "list --prefix: title" "$OUT" "Images with prefix '$P':"
like "list --prefix: the alias" "$OUT" "${P}pub"
c image list --prefix "${P}zzz"
like "list --prefix with no match" "$OUT" "No images found with prefix '${P}zzz'"
c image list --format json --prefix "$P"
is "list --format json --prefix" "$(printf '%s' "$OUT" | json_get '[(i["aliases"], i["fingerprint"]) for i in d]')" "[(['${P}pub'], '$FP')]"
c image list --format table
is "list --format table: exit 0" "$RC" 0
c image list --format yaml
fails "list --format yaml" 2

# --- cleanup ------------------------------------------------------------------------------
V="${P}v"
tiny "$V-20260101-000000"
tiny "$V-20260103-000000"
tiny "$V-20260102-000000"
tiny "$V-20260104-000000"
incus image alias create "${P}stable" "$(incus image info "$V-20260101-000000" | sed -n 's/^Fingerprint: //p')" \
  || bail "cannot add the alias ${P}stable"
tiny "${V}-not-a-version"
c image cleanup "$V" --keep 0
fails "cleanup --keep 0" 2
c image cleanup "$V" --keep -1
fails "cleanup --keep -1" 2
c image cleanup "$V"
fails "cleanup without --keep" 2
c image cleanup --keep 1
fails "cleanup without a prefix" 2
c image cleanup "$V" --keep 2
is "cleanup --keep 2: exit 0" "$RC" 0
like "cleanup: summary" "$ERR" "Cleanup complete:"
like "cleanup: deleted the older one" "$ERR" "  - $V-20260102-000000"
like "cleanup: an image with another alias is kept" "$ERR" "also aliased as '${P}stable'"
c image exists "$V-20260102-000000"; is "cleanup: 0102 deleted" "$RC" 1
c image exists "$V-20260101-000000"; is "cleanup: 0101 kept (stable alias)" "$RC" 0
c image exists "$V-20260103-000000"; is "cleanup: 0103 kept" "$RC" 0
c image exists "$V-20260104-000000"; is "cleanup: 0104 kept" "$RC" 0
c image exists "${V}-not-a-version"; is "cleanup: non-version alias untouched" "$RC" 0
c image cleanup "$V-" --keep 1
is "cleanup with a trailing '-' in the prefix: exit 0" "$RC" 0
c image exists "$V-20260103-000000"; is "cleanup: 0103 now deleted" "$RC" 1
c image exists "$V-20260104-000000"; is "cleanup: newest kept" "$RC" 0

# --- delete ---------------------------------------------------------------------------------
c image delete "${P}pub"
is "delete: exit 0" "$RC" 0
is "delete: message" "$ERR" "Image ${P}pub deleted"
c image exists "${P}pub"; is "delete: gone" "$RC" 1
c image delete "${P}pub"
fails "delete of a missing image" 1
c image delete
fails "delete without an alias" 2

c image bogus
fails "unknown subcommand" 2

finish
