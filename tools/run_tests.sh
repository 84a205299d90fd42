#!/usr/bin/env bash
# Runs the test suite with the environment of tools/setup.sh (the active venv, else <repo>/.venv).
#   bash tools/run_tests.sh              # everything but the tests marked slow (pyproject.toml's addopts)
#   bash tools/run_tests.sh -m slow      # only the slow ones; any other pytest arguments pass through
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
PY="${VIRTUAL_ENV:-$REPO/.venv}/bin/python"
if [[ ! -x "$PY" ]]; then
    echo "run_tests.sh: no environment at ${VIRTUAL_ENV:-$REPO/.venv}; set it up first with: bash tools/setup.sh" >&2
    exit 1
fi
exec "$PY" -m pytest "$@"
