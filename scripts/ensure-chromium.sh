#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (/usr/bin/chromium) with Playwright; no browser is downloaded.
# Installs it when missing (as root, or with sudo). In CI a missing browser is an error;
# elsewhere the browser tests are skipped with a message saying why.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "Chromium is not installed and this user cannot install it: browser tests will be skipped." >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
echo "Installing Debian's chromium for the browser tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version
