#!/usr/bin/env bash
# Creates .venv with Python 3.11+ and installs zgw-cloud with its dev extras. Re-runs are no-ops unless
# pyproject.toml changed. Usage: scripts/bootstrap.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)

if [ -f "$stamp" ] && .venv/bin/python -c 'import controlplane, tenant_runtime' 2>/dev/null; then
  exit 0
fi
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is required")'
if [ ! -x .venv/bin/python ]; then
  echo "[bootstrap] creating .venv"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    # Debian ships venv support separately.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      pyver=$("$PYTHON" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${pyver}-venv" >/dev/null
      rm -rf .venv && "$PYTHON" -m venv .venv
    else
      echo "python3 -m venv failed: install the python3-venv package" >&2; exit 1
    fi
  fi
fi
echo "[bootstrap] installing zgw-cloud and its dev dependencies (pip cache is reused)"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev]'
rm -f .venv/.installed-*
touch "$stamp"
