#!/usr/bin/env bash
# The tests use two programs from Debian's packages, installed here when missing (as root, or with sudo):
# - chromium (/usr/bin/chromium): browser tests drive it with Playwright; no browser is downloaded;
# - haproxy (/usr/sbin/haproxy): the two-replica test runs the app behind it (scripts/replicas.sh).
# In CI a missing package is an error; elsewhere the tests that need it are skipped with a message.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = "0" ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "${missing[*]} not installed and this user cannot install them: the tests that need them will be skipped." >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 0
fi
echo "Installing Debian's ${missing[*]} for the tests..."
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
[ -x /usr/bin/chromium ] && /usr/bin/chromium --version
[ -x /usr/sbin/haproxy ] && /usr/sbin/haproxy -v | head -1
