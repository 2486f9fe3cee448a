#!/usr/bin/env bash
# Fetch axe-core (the accessibility rules engine the browser tests inject into the demo page) from
# the npm registry into a cache outside the repository, and print the path of axe.min.js.
# The version is pinned; npm verifies the package against the registry's integrity hash.
set -euo pipefail
version=4.10.2
cache=${HIPPO_AXE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hippo/axe-core-$version}
script="$cache/node_modules/axe-core/axe.min.js"
if [ ! -f "$script" ]; then
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "fetch-axe-core: installing Debian's npm" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq npm >/dev/null
    else
      echo "fetch-axe-core: npm is missing (sudo apt-get install npm)" >&2
      exit 1
    fi
  fi
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --no-save --silent "axe-core@$version" >&2
fi
echo "$script"
