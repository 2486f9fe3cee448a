#!/usr/bin/env bash
# Run a development command (`make run`, `make train`, ...) with a secret key: scripts/dev-env.sh CMD
#
# Outside DJANGO_DEBUG=true Hippo refuses to start without DJANGO_SECRET_KEY, as production must.
# For development, unless the environment or .env sets one, a key generated once into
# $HIPPO_DATA_DIR/dev-secret-key (default var/, git-ignored, mode 600) is used, so admin sessions
# survive restarts. Production never runs through this script: it sets DJANGO_SECRET_KEY itself.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${DJANGO_SECRET_KEY:-}" ] \
  && ! grep -Eq '^[[:space:]]*DJANGO_SECRET_KEY=[^[:space:]#]' .env 2>/dev/null; then
  dir=${HIPPO_DATA_DIR:-var}
  file="$dir/dev-secret-key"
  if [ ! -s "$file" ]; then
    mkdir -p "$dir"
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n=' >"$file")
  fi
  DJANGO_SECRET_KEY=$(cat "$file")
  export DJANGO_SECRET_KEY
fi
exec "$@"
