#!/usr/bin/env bash
# Installs a real pretix from PyPI into its own venv, .venv-pretix/ at the repository root, for the tests that sync
# with a central pretix (tests/central/pretix_server.py runs it on SQLite, Celery eager, no Redis, behind waitress),
# then migrates a template database once, which each test server copies.
# Idempotent: a venv that already holds this pretix version and its template is left as it is.
set -euo pipefail
cd "$(dirname "$0")/../.."

PRETIX_VERSION="2026.8.0"
VENV=".venv-pretix"
PYTHON="${PYTHON:-python3}"

installed() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$PRETIX_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version

import waitress

sys.exit(0 if version("pretix") == sys.argv[1] else 1)
PY
}

if installed; then
  echo "pretix $PRETIX_VERSION already in $VENV"
else
  start=$(date +%s)
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q "pretix==$PRETIX_VERSION" "waitress>=3.0.2,<4"
  installed || { echo "pretix $PRETIX_VERSION did not install in $VENV" >&2; exit 1; }
  echo "pretix $PRETIX_VERSION installed in $VENV in $(( $(date +%s) - start )) s"
fi

# The migrated template database of this version (a no-op when it is there).
"$VENV/bin/python" tests/central/pretix_server.py template
