#!/usr/bin/env bash
# Make sure Debian's Chromium is present for the browser tests (Playwright drives /usr/bin/chromium;
# it never downloads a browser of its own). Installs it with apt when we are root and it is missing.
set -euo pipefail
browser=${HIPPO_CHROMIUM:-/usr/bin/chromium}
if [ -x "$browser" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "ensure-chromium: installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
else
  echo "ensure-chromium: $browser is missing; install Debian's 'chromium' package (sudo apt-get install chromium)" >&2
  exit 1
fi
