#!/usr/bin/env bash
# Sets up the environment if needed (tools/setup.sh --if-needed: at once when it matches the lock), then runs the
# test suite in it (the active venv, else <repo>/.venv).
#   bash tools/run_tests.sh              # everything but the tests marked slow (pyproject.toml's addopts)
#   bash tools/run_tests.sh -m slow      # only the slow ones; any other pytest arguments pass through
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
bash "$REPO/tools/setup.sh" --if-needed
exec "${VIRTUAL_ENV:-$REPO/.venv}/bin/python" -m pytest "$@"
