#!/bin/sh
# coi config/profile/trust/validate/schema commands end to end, in a
# temporary HOME and workspace (no Incus).  Usage: test_config_cli.sh COI
set -u
COI=$(realpath "$1")
root=$(mktemp -d /tmp/coi-cli-XXXXXX) || exit 1
trap 'rm -rf "$root"' EXIT
export HOME="$root/home"
unset COI_TRUST_ALL COI_CONFIG VISUAL
mkdir -p "$HOME" "$root/ws/.coi" || exit 1
cd "$root/ws" || exit 1
fails=0
check () { # name, expected exit code, command...
  name=$1; want=$2; shift 2
  "$@" >"$root/out" 2>"$root/err"; got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL $name: exit $got, want $want"; sed 's/^/  | /' "$root/out" "$root/err"; fails=$((fails + 1))
  else echo "ok   $name"; fi
}
expect () { # name, file, fixed string
  if grep -qF -- "$3" "$2"; then echo "ok   $1"; else echo "FAIL $1: no '$3' in"; sed 's/^/  | /' "$2"; fails=$((fails + 1)); fi
}

check "profile list" 0 "$COI" profile list
expect "lists built-ins" "$root/out" "hardened             built-in"
check "profile create" 0 "$COI" profile create dev --inherits hardened
expect "create says where" "$root/out" "Created profile $HOME/.coi/profiles/dev/config.toml"
check "profile create again" 1 "$COI" profile create dev
expect "create refuses to overwrite" "$root/err" "coi: $HOME/.coi/profiles/dev/config.toml already exists"
check "create bad parent" 1 "$COI" profile create x --inherits nope
expect "bad parent message" "$root/err" 'coi: --inherits: unknown profile "nope"'
check "create bad name" 2 "$COI" profile create "../x"
expect "bad name message" "$root/err" 'coi: invalid profile name "../x"'
check "user and project" 2 "$COI" profile create y --user --project
expect "exclusive message" "$root/err" "coi: --user and --project are mutually exclusive"
check "project profile" 0 "$COI" profile create proj --project
expect "project path" "$root/out" "$root/ws/.coi/profiles/proj/config.toml"
check "create default" 0 "$COI" profile create default
expect "scaffolds config" "$root/out" "Created configuration $HOME/.coi/config.toml"
check "scaffold parses" 0 "$COI" config show
check "profile info" 0 "$COI" profile info dev
expect "info chain" "$root/out" "Chain:   hardened -> dev"
check "profile show alias" 0 "$COI" profile show dev --format json
expect "info json" "$root/out" '"chain": ['
check "profile info unknown" 1 "$COI" profile info nope
expect "unknown message" "$root/err" 'coi: unknown profile "nope"'
expect "unknown hint" "$root/err" "hint: available profiles: default, dev, hardened, proj"
check "list json" 0 "$COI" profile list --format json
expect "list json user" "$root/out" '"source": "~/.coi/profiles/dev/config.toml"'

cat >"$root/editor" <<'ED'
#!/bin/sh
printf '%s\n' "$@" > "$(dirname "$0")/editor-args"
eval "last=\${$#}"
printf '[network]\nmode = "allowlist"\n' >> "$last"
ED
chmod +x "$root/editor"
EDITOR="$root/editor --wait" check "profile edit" 0 "$COI" profile edit dev
expect "editor got argv" "$root/editor-args" "--wait"
expect "editor got path" "$root/editor-args" "$HOME/.coi/profiles/dev/config.toml"
check "edited profile applies" 0 "$COI" config show --profile dev
expect "edited value" "$root/out" 'network.mode = "allowlist"'
expect "edited origin" "$root/out" "# ~/.coi/profiles/dev/config.toml:"
check "edit built-in" 1 "$COI" profile edit hardened
expect "edit built-in message" "$root/err" 'coi: profile "hardened" is built in (built-in), not a profile file'
EDITOR=false check "editor fails" 1 "$COI" profile edit dev
expect "editor failure message" "$root/err" "coi: editor false failed (status 1)"
check "delete needs confirmation" 2 "$COI" profile delete dev </dev/null
expect "delete refusal" "$root/err" "without confirmation; use --force"
check "delete" 0 "$COI" profile delete dev --force
if [ ! -e "$HOME/.coi/profiles/dev" ]; then echo "ok   profile dir removed"; else echo "FAIL profile dir still there"; fails=$((fails + 1)); fi

printf '[network]\nmode = "open"\n[git]\nname = "proj"\n' > .coi/config.toml
check "untrusted show" 0 "$COI" config show
expect "one-line notice" "$root/err" "coi: warning: ignored from untrusted project config ($root/ws/.coi/config.toml): network.mode, git.name; run 'coi trust' in $root/ws to trust it"
expect "mode kept" "$root/out" 'network.mode = "restricted"'
expect "refusal marked" "$root/out" "#   refused from untrusted $root/ws/.coi/config.toml:2: network.mode = \"open\" (tighten-only: looser than the current value)"
expect "refused key marked" "$root/out" "#   refused from untrusted $root/ws/.coi/config.toml:4: git.name = \"proj\" (not taken from an untrusted file)"
check "untrusted show json" 0 "$COI" config show --format json
if python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["settings"]["network.mode"]["refused"][0]; assert (r["value"], r["source"], r["reason"]) == ("open", sys.argv[2] + "/ws/.coi/config.toml:2", "tighten-only: looser than the current value"), r' "$root/out" "$root"; then
  echo "ok   refusal in json"; else echo "FAIL refusal in json"; sed 's/^/  | /' "$root/out"; fails=$((fails + 1)); fi
COI_NETWORK_MODE=allowlist check "environment reaches the loader" 0 "$COI" config show
expect "env value" "$root/out" 'network.mode = "allowlist"'
expect "env origin" "$root/out" "# env COI_NETWORK_MODE"
check "trust" 0 "$COI" trust
expect "trust output" "$root/out" "Trusted $root/ws/.coi/config.toml (sha256 "
check "trusted show" 0 "$COI" config show --format json
expect "trusted value" "$root/out" '"origin": "'"$root"'/ws/.coi/config.toml:2"'
check "trust list" 0 "$COI" trust --list
expect "trust list state" "$root/out" "trusted"
echo "# changed" >> .coi/config.toml
check "changed list" 0 "$COI" trust --list
expect "changed state" "$root/out" "changed (untrusted)"
check "untrust" 0 "$COI" untrust
expect "untrust output" "$root/out" "Untrusted $root/ws/.coi/config.toml"
check "untrust again" 0 "$COI" untrust
expect "nothing to untrust" "$root/out" "was not trusted"
mkdir -p "$root/empty"
check "trust nothing" 1 "$COI" trust -w "$root/empty"
expect "trust nothing message" "$root/err" "coi: nothing to trust: $root/empty has no .coi/config.toml"

printf 'inherits = 1\n[network]\nmdoe = "x"\n' > "$root/bad.toml"
check "validate invalid" 1 "$COI" validate profile "$root/bad.toml"
expect "validate text" "$root/out" "$root/bad.toml:1: inherits: expected a string, got an integer"
check "validate json" 1 "$COI" validate profile "$root/bad.toml" --json
expect "validate json shape" "$root/out" '"valid": false'
expect "validate json path" "$root/out" '"path": "network.mdoe"'
printf 'image = "x"\n' > "$root/good.toml"
check "validate valid" 0 "$COI" validate profile "$root/good.toml" --format json
expect "valid json" "$root/out" '"valid": true'
check "validate format" 2 "$COI" validate profile "$root/good.toml" --format yaml
check "schema" 0 "$COI" schema profile
if python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["properties"]["network"]["properties"]["mode"]["enum"][0]=="restricted"' "$root/out"; then
  echo "ok   schema is JSON"; else echo "FAIL schema is not the expected JSON"; fails=$((fails + 1)); fi
printf '[network]\nmode = "wide"\n' > "$HOME/.coi/config.toml"
check "config error" 1 "$COI" config show
expect "config error text" "$root/err" 'coi: ~/.coi/config.toml:2: network.mode: expected one of restricted, allowlist, open, got "wide"'
check "config show format" 2 "$COI" config show --format yaml

echo "$fails failed"
[ "$fails" = 0 ]
