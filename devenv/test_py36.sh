#!/usr/bin/env bash
# The second leg of `make test`: the addon on Odoo 11's own Python (3.6), in
# .venv36 (devenv/setup_py36.sh), with no compatibility layer.
#   1. a template database built by the 3.6 Odoo, and the Odoo tests in tests/
#      through pytest-odoo 0.6.1 on 3.6;
#   2. the end-to-end tests in e2e_tests/ run by .venv's pytest (3.11:
#      Playwright needs it) against servers started from .venv36/bin/odoo
#      (AUTH_APIKEYS_ODOO), and README's two install paths into that existing
#      Odoo 11 (e2e_tests/test_install_paths.py, AUTH_APIKEYS_EXISTING_ODOO).
# Its databases are named after the first leg's, with `_py36` appended, so both
# legs (and other checkouts) can run at once. Fails if either part fails.
# Without Python 3.6 on the machine it says so on one line and passes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
VENV36=$ROOT/.venv36
DB36=${TEST_DB:-apikeys_test}_py36
TEMPLATE36=${AUTH_APIKEYS_TEMPLATE_DB:-apikeys_template}_py36
start=$SECONDS

if ! bash "$ROOT/devenv/setup_py36.sh" --check; then
    echo "[test] no Python 3.6 here (\`pyenv prefix 3.6.15\` failed): only the Python 3.11 leg ran"
    exit 0
fi
bash "$ROOT/devenv/setup_py36.sh"

trap 'bash "$ROOT/devenv/drop_databases.sh" "$TEMPLATE36" "$DB36"' EXIT
echo "[test36] creating the template database $TEMPLATE36 with Odoo 11 on $("$VENV36/bin/python" --version 2>&1)"
dropdb --if-exists "$TEMPLATE36"
"$VENV36/bin/odoo" -d "$TEMPLATE36" -i auth_apikeys --stop-after-init --log-level=warn
dropdb --if-exists "$DB36"
createdb -T "$TEMPLATE36" "$DB36"

status=0
echo "[test36] Odoo tests (tests/) on Python 3.6, pytest-odoo 0.6.1"
# pytest-odoo 0.6.1 has no --odoo-addons-path: .venv36/odoo.conf names the addons path.
# It crashes collecting e2e_tests/ (no __init__.py): that folder runs below, apart.
"$VENV36/bin/python" -m pytest --odoo-config="$VENV36/odoo.conf" --odoo-database="$DB36" \
    "$VENV36/addons/auth_apikeys/tests" "$@" || status=$?

echo "[test36] end-to-end tests (e2e_tests/): runner on Python 3.11, Odoo servers on Python 3.6"
AUTH_APIKEYS_ODOO=$VENV36/bin/odoo AUTH_APIKEYS_TEMPLATE_DB=$TEMPLATE36 AUTH_APIKEYS_EXISTING_ODOO=$VENV36 \
    PYTHONWARNINGS=ignore::DeprecationWarning,ignore::ImportWarning \
    "$VENV/bin/python" -m pytest -p no:odoo "$VENV/addons/auth_apikeys/e2e_tests" "$@" || status=$?

echo "[test36] Python 3.6 leg: $((SECONDS - start)) s, $([ "$status" = 0 ] && echo passed || echo FAILED)"
exit "$status"
