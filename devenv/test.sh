#!/usr/bin/env bash
# `make test`: a fresh test database with the addon and demo data, then the whole suite.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
DB=${TEST_DB:-apikeys_test}

echo "[test] creating test database $DB"
dropdb --if-exists "$DB"
"$VENV/bin/odoo" -d "$DB" -i auth_apikeys --stop-after-init --log-level=warn

cd "$VENV/addons/auth_apikeys"  # pytest-odoo names test modules after the addon folder
exec "$VENV/bin/python" -m pytest --odoo-database="$DB" "$@"
