#!/usr/bin/env bash
# Print the path of a Python >= 3.12 interpreter, or fail with a hint.
# Order: $HIPPO_PYTHON, python3.13/python3.12 on PATH, pyenv-installed versions, python3.
set -euo pipefail

ok() {  # ok PATH -> true when PATH runs and is Python >= 3.12
  [ -n "$1" ] && [ -x "$1" ] && "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null
}

candidates=()
[ -n "${HIPPO_PYTHON:-}" ] && candidates+=("$HIPPO_PYTHON")
for name in python3.14 python3.13 python3.12; do
  p=$(command -v "$name" 2>/dev/null || true)
  [ -n "$p" ] && candidates+=("$p")
done
pyenv_root=$( (command -v pyenv >/dev/null && pyenv root) 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
if [ -d "$pyenv_root/versions" ]; then
  # Newest first; only plain CPython releases like 3.13.0.
  while read -r v; do
    candidates+=("$pyenv_root/versions/$v/bin/python3")
  done < <(ls "$pyenv_root/versions" | grep -E '^3\.[0-9]+\.[0-9]+$' | sort -t. -k1,1nr -k2,2nr -k3,3nr)
fi
p=$(command -v python3 2>/dev/null || true)
[ -n "$p" ] && candidates+=("$p")

for c in "${candidates[@]}"; do
  # pyenv shims exist for versions that are not selected; resolve them through the real binary check.
  if ok "$c"; then
    echo "$c"
    exit 0
  fi
done
echo "error: Hippo needs Python >= 3.12 (Django 6). Install one (e.g. 'pyenv install 3.13') or set HIPPO_PYTHON=/path/to/python3.12" >&2
exit 1
