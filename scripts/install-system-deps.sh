#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (PostgreSQL, Redis, Chromium) when they are missing.
# Needs root (or sudo) only when something is missing. Usage: scripts/install-system-deps.sh
set -euo pipefail

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v chromium >/dev/null || missing+=(chromium)
command -v runuser >/dev/null || missing+=(util-linux)
command -v go >/dev/null || [ -x /usr/local/go/bin/go ] || missing+=(golang-go)

if [ ${#missing[@]} -eq 0 ]; then
  echo "[system-deps] all present"
  exit 0
fi
echo "[system-deps] installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The Debian packages start system services where an init system exists; the tests start their own.
