#!/usr/bin/env bash
# `make run`: create or upgrade the demo database with the addon, then serve it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODOO=$ROOT/.venv/bin/odoo
DB=${DB:-apikeys_demo}
PORT=${PORT:-8069}
# The server's configuration: the addon loaded server-wide, a random master password of its own.
CONFIG=$ROOT/.venv/odoo.conf
# shellcheck source=devenv/venv_lib.sh
. "$ROOT/devenv/venv_lib.sh"
write_server_config "$CONFIG"

if [ "${APPS:-0}" != 0 ]; then
    # `make run APPS=1`: Odoo's apps too (Discuss, portal, website, sales, CRM), in a database of their own.
    [ "$DB" != apikeys_demo ] || DB=apikeys_demo_apps
    if ! psql -lqt | cut -d'|' -f1 | grep -qw "$DB"; then
        echo "[run] creating $DB with the apps, then auth_apikeys, and demo data (several minutes)"
        bash "$ROOT/devenv/apps_db.sh" "$DB" apps-first
    fi
fi

if psql -lqt | cut -d'|' -f1 | grep -qw "$DB"; then
    echo "[run] upgrading auth_apikeys in $DB"
    action=(-u auth_apikeys)
else
    echo "[run] creating $DB with auth_apikeys and demo data (about a minute)"
    action=(-i auth_apikeys)
fi
"$ODOO" -d "$DB" "${action[@]}" --stop-after-init --log-level=warn

cat <<MSG

  Odoo 11 with auth_apikeys: http://localhost:$PORT/web/login  (database $DB)
  Log in as admin / admin or demo / demo, then user menu > Preferences > Account Security.
  The master password (database manager) is admin_passwd in $CONFIG.
  Stop with Ctrl+C.

MSG
exec "$ODOO" -c "$CONFIG" -d "$DB" --db-filter="^$DB\$" --http-port="$PORT" --log-level=info
