#!/usr/bin/env bash
# Runs zgw-cloud on its embedded default (SQLite, local driver, in-process tasks): sets up .venv on first
# use, migrates, seeds the demo and starts the control plane (:8000) and the shared tenant runtime (:8001).
# Usage: scripts/run.sh [zgwcloud dev options, e.g. --port 9000]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
exec .venv/bin/zgwcloud dev "$@"
