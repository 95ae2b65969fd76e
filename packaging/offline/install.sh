#!/bin/sh
# Installs kiosk-tickets into a virtual environment from the wheels beside this script, without any network.
#
#   sh install.sh [VENV]     VENV defaults to /opt/kiosk-tickets/.venv, where the systemd unit looks for it.
#
# PYTHON chooses the interpreter (default python3); it must be the Python the bundle was made for.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
venv=${1:-/opt/kiosk-tickets/.venv}
python=${PYTHON:-python3}

# A bundle copied on a stick can arrive damaged: check every wheel against the checksums written with it.
(cd "$here/wheels" && sha256sum --quiet --check SHA256SUMS)

"$python" -m venv "$venv"
# --no-index: PyPI is never asked, only the bundle's wheels are installed. --upgrade: a newer bundle replaces
# an older installation in the same place.
PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/pip" install --quiet --no-index --find-links "$here/wheels" \
  --upgrade kiosk-tickets
"$venv/bin/kiosk-tickets" --version
echo "Installed into $venv. Next steps: see README.md beside this script."
