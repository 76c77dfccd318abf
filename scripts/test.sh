#!/usr/bin/env bash
# The whole test suite, from a clean clone: system packages, virtualenv, test binaries (cached), lint, types,
# then pytest against real PostgreSQL, Redis, MinIO and Kubernetes. Extra arguments go to pytest.
# Usage: scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

step() {  # step NAME COMMAND...
  local name=$1 start; shift
  start=$(date +%s)
  echo "== $name"
  "$@"
  echo "== $name: $(( $(date +%s) - start ))s"
}

step "system packages" scripts/install-system-deps.sh
step "python environment" scripts/bootstrap.sh
step "test binaries (cached in ${ZGW_TEST_CACHE:-$HOME/.cache/zgw-cloud})" scripts/build-test-binaries.sh
step "ruff" .venv/bin/ruff check .
step "ruff format" .venv/bin/ruff format --check .
step "mypy" .venv/bin/mypy controlplane tenant_runtime
# Browser screenshots (and other artifacts tests keep) land here, outside the per-test temporary directories.
export ZGW_TEST_ARTIFACTS="${ZGW_TEST_ARTIFACTS:-$PWD/test-artifacts}"
mkdir -p "$ZGW_TEST_ARTIFACTS"
set +e
start=$(date +%s)
echo "== pytest"
.venv/bin/python -m pytest --durations=15 "$@"
status=$?
echo "== pytest: $(( $(date +%s) - start ))s"
echo "== test artifacts (screenshots): $ZGW_TEST_ARTIFACTS"
set -e
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: treated as a failure" >&2
  exit 1
fi
exit "$status"
