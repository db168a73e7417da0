#!/usr/bin/env bash
# `make test`: a fresh test database with the addon and demo data, then the whole suite.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
DB=${TEST_DB:-apikeys_test}
# End-to-end tests copy their databases from this one (e2e_tests/conftest.py).
export AUTH_APIKEYS_TEMPLATE_DB=${AUTH_APIKEYS_TEMPLATE_DB:-apikeys_template}

# The leg's own databases go at its end, whatever its outcome (devenv/drop_databases.sh).
TEMPLATES=("$AUTH_APIKEYS_TEMPLATE_DB" "$DB")
trap 'bash "$ROOT/devenv/drop_databases.sh" "${TEMPLATES[@]}"' EXIT

echo "[test] creating the template database $AUTH_APIKEYS_TEMPLATE_DB with auth_apikeys and demo data"
dropdb --if-exists "$AUTH_APIKEYS_TEMPLATE_DB"
"$VENV/bin/odoo" -d "$AUTH_APIKEYS_TEMPLATE_DB" -i auth_apikeys --stop-after-init --log-level=warn
dropdb --if-exists "$DB"
createdb -T "$AUTH_APIKEYS_TEMPLATE_DB" "$DB"

# With Odoo's apps (issue 12): the apps first then the addon, and the addon first then the apps,
# built side by side (a few minutes). AUTH_APIKEYS_APPS=0 skips them and the tests that use them.
if [ "${AUTH_APIKEYS_APPS:-1}" != 0 ]; then
    export AUTH_APIKEYS_APPS_TEMPLATE_DB=${AUTH_APIKEYS_TEMPLATE_DB}_apps
    export AUTH_APIKEYS_APPS_AFTER_TEMPLATE_DB=${AUTH_APIKEYS_TEMPLATE_DB}_apps_after
    TEMPLATES+=("$AUTH_APIKEYS_APPS_TEMPLATE_DB" "$AUTH_APIKEYS_APPS_AFTER_TEMPLATE_DB")
    echo "[test] creating $AUTH_APIKEYS_APPS_TEMPLATE_DB and $AUTH_APIKEYS_APPS_AFTER_TEMPLATE_DB with the apps"
    start=$SECONDS
    bash "$ROOT/devenv/apps_db.sh" "$AUTH_APIKEYS_APPS_TEMPLATE_DB" apps-first & apps_first=$!
    bash "$ROOT/devenv/apps_db.sh" "$AUTH_APIKEYS_APPS_AFTER_TEMPLATE_DB" addon-first & addon_first=$!
    wait $apps_first
    wait $addon_first
    echo "[test] apps templates built in $((SECONDS - start)) s"
fi

ODOO_ADDONS=$("$VENV/bin/python" -c 'import odoo.addons; print(odoo.addons.__path__[0])')
# pytest-odoo names test modules after the addon folder: go through the auth_apikeys link.
# Odoo 11 on 3.11 warns about deprecated stdlib calls at every import: keep the output readable.
export PYTHONWARNINGS=ignore::DeprecationWarning,ignore::ImportWarning
"$VENV/bin/python" -m pytest --odoo-database="$DB" --odoo-addons-path="$ODOO_ADDONS,$VENV/addons" \
    "$VENV/addons/auth_apikeys/tests" "$VENV/addons/auth_apikeys/e2e_tests" "$@"
