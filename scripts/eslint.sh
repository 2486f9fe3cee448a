#!/usr/bin/env bash
# Lint the demo page's JavaScript (`make lint`): ESLint from scripts/fetch-eslint.sh's cache, with
# the repository's eslint.config.mjs. Extra arguments go to ESLint (e.g. `--fix`, or file names).
set -euo pipefail
cd "$(dirname "$0")/.."
home=$(scripts/fetch-eslint.sh)
# eslint.config.mjs loads @eslint/js and globals from here: they are not installed beside it.
export HIPPO_ESLINT_HOME="$home"
exec node "$home/node_modules/eslint/bin/eslint.js" --max-warnings 0 "$@"
