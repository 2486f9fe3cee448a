#!/usr/bin/env bash
# Create .venv with a suitable Python and install the pinned requirements.
# Re-running is cheap: it reinstalls only when a requirements file changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_dev=${1:-dev}
venv=.venv
stamp="$venv/.requirements-$want_dev.sha256"
files="requirements.txt"
[ "$want_dev" = dev ] && files="requirements.txt requirements-dev.txt"
digest=$(cat $files | sha256sum | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  echo "bootstrap: $venv uses Python < 3.12; recreating it"
  rm -rf "$venv"
fi
if [ ! -x "$venv/bin/python" ]; then
  py=$(scripts/find-python.sh)
  echo "bootstrap: creating $venv with $py ($("$py" --version))"
  "$py" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "bootstrap: installing $files"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  if [ "$want_dev" = dev ]; then
    "$venv/bin/python" -m pip install --quiet -r requirements-dev.txt
  else
    "$venv/bin/python" -m pip install --quiet -r requirements.txt
  fi
  echo "$digest" > "$stamp"
fi
