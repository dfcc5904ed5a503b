#!/usr/bin/env bash
# Prints the path of a Node 24 binary: GitHub runs the action on Node 24 (action.yml: node24).
# This machine's node when it is 24, else Node's official binary from the npm registry
# (node-linux-<arch>@<.node-version>), fetched once into .tmp/. Used by .ci/run and bench:s3.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(node -p 'process.versions.node.split(".")[0]')" = 24 ]; then
  command -v node
  exit 0
fi
arch=$(node -p 'process.arch')
dir=.tmp/node24-$(cat .node-version)-$arch
if [ ! -x "$dir/package/bin/node" ]; then
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "node-linux-$arch@$(cat ../../.node-version)" >/dev/null && tar xzf node-linux-*.tgz)
fi
echo "$PWD/$dir/package/bin/node"
