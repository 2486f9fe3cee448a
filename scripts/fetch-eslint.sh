#!/usr/bin/env bash
# Fetch ESLint (with its recommended rules, @eslint/js, and the `globals` list of browser names that
# eslint.config.mjs uses) from the npm registry into a cache outside the repository, the way
# scripts/fetch-axe-core.sh fetches axe-core, and print the cache folder. The versions are pinned;
# npm verifies every package against the registry's integrity hash. ESLint 9 runs on Node >= 18.18
# (Debian's nodejs package is fine).
set -euo pipefail
eslint=9.39.5
eslint_js=9.39.5
globals=16.5.0
cache=${HIPPO_ESLINT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hippo/eslint-$eslint-js-$eslint_js-globals-$globals}
if [ ! -f "$cache/node_modules/eslint/bin/eslint.js" ] || [ ! -d "$cache/node_modules/globals" ]; then
  if ! command -v npm >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "fetch-eslint: installing Debian's npm" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get install -y -qq npm >/dev/null
    else
      echo "fetch-eslint: npm is missing (sudo apt-get install npm)" >&2
      exit 1
    fi
  fi
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --no-save --silent \
    "eslint@$eslint" "@eslint/js@$eslint_js" "globals@$globals" >&2
fi
echo "$cache"
