#!/usr/bin/env bash
# Source it (`source scripts/ensure-node.sh`; .ci/run does): puts the project's Node first on PATH.
# When the node on PATH is not on the line of package.json's engines, the version pinned in
# .node-version is installed from the npm registry's node-linux-<arch> package (the official Node
# binaries, published there by the Node project's tooling) into a cache directory: these machines
# reach the npm registry and Debian only, and Debian has Node 20. Nothing is installed system-wide.
# Then scripts/check-node.mjs confirms, or fails with its message.
_live_sale_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_live_sale_node_version="$(tr -d '[:space:]' < "$_live_sale_root/.node-version")"
if ! node "$_live_sale_root/scripts/check-node.mjs" >/dev/null 2>&1; then
  case "$(uname -m)" in
    x86_64) _live_sale_arch=x64 ;;
    aarch64 | arm64) _live_sale_arch=arm64 ;;
    *) echo "ensure-node: no npm registry Node build for $(uname -m)" >&2; return 1 2>/dev/null || exit 1 ;;
  esac
  _live_sale_node_home="${LIVE_SALE_NODE_CACHE:-$HOME/.cache/live-sale}/node-v$_live_sale_node_version-linux-$_live_sale_arch"
  if [ ! -x "$_live_sale_node_home/bin/node" ]; then
    echo "ensure-node: installing Node $_live_sale_node_version (npm registry: node-linux-$_live_sale_arch) into $_live_sale_node_home" >&2
    _live_sale_tmp="$(mktemp -d)"
    if (cd "$_live_sale_tmp" && npm pack --silent "node-linux-$_live_sale_arch@$_live_sale_node_version" >/dev/null); then
      mkdir -p "$_live_sale_node_home"
      tar -xzf "$_live_sale_tmp"/node-linux-*.tgz -C "$_live_sale_node_home" --strip-components=1 package/bin/node package/LICENSE
    fi
    rm -rf "$_live_sale_tmp"
  fi
  export PATH="$_live_sale_node_home/bin:$PATH"
  hash -r
fi
node "$_live_sale_root/scripts/check-node.mjs" || { return 1 2>/dev/null || exit 1; }
echo "ensure-node: $(command -v node) $(node --version)" >&2
unset _live_sale_root _live_sale_node_version _live_sale_arch _live_sale_node_home _live_sale_tmp
