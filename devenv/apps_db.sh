#!/usr/bin/env bash
# A database with Odoo's apps and auth_apikeys, with demo data (issue 12):
#   apps_db.sh DB apps-first    the apps, then auth_apikeys (two -i steps, as a real server adds the addon)
#   apps_db.sh DB addon-first   a copy of $AUTH_APIKEYS_TEMPLATE_DB (auth_apikeys), then the apps on top
# The installs' log goes to artifacts/install-DB.log (the tests read it: no ERROR line).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODOO=$ROOT/.venv/bin/odoo
DB=$1
ORDER=$2
# Discuss, portal, sign-up, website and the business apps; the rest follows from their manifests.
APPS=mail,portal,auth_signup,website,sale_management,crm
LOG=$ROOT/artifacts/install-$DB.log
mkdir -p "$ROOT/artifacts"
: >"$LOG"

install() {
    "$ODOO" -d "$DB" -i "$1" --stop-after-init --log-level=warn >>"$LOG" 2>&1 || {
        tail -n 40 "$LOG" >&2
        echo "[apps_db] installing $1 in $DB failed, see $LOG" >&2
        exit 1
    }
}

dropdb --if-exists "$DB"
case $ORDER in
apps-first)
    install "$APPS"
    install auth_apikeys
    ;;
addon-first)
    createdb -T "${AUTH_APIKEYS_TEMPLATE_DB:-apikeys_template}" "$DB"
    install "$APPS"
    ;;
*)
    echo "usage: $0 DB apps-first|addon-first" >&2
    exit 2
    ;;
esac
