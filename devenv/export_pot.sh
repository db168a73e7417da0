#!/usr/bin/env bash
# `make pot`: regenerate i18n/auth_apikeys.pot, the translation template, as Odoo
# itself exports it: install the addon in a scratch database (no demo data), export
# every term of the addon without a language (a template), drop the database.
# Run it again whenever a user-facing string changes.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ODOO=$ROOT/.venv/bin/odoo
DB=${POT_DB:-apikeys_pot}
OUT=$ROOT/i18n/auth_apikeys.pot
TMP=$(mktemp -d)
cleanup() { rm -rf "$TMP"; bash "$ROOT/devenv/drop_databases.sh" "$DB"; }
trap cleanup EXIT

[ -x "$ODOO" ] || bash "$ROOT/devenv/setup.sh"
export PYTHONWARNINGS=ignore::DeprecationWarning,ignore::ImportWarning

# Odoo's exporter walks every file under the addon, following symlinks, and counts
# each one as part of the addon. The repository root is the addon and also holds
# .venv (whose addons/auth_apikeys link points back to the root) and setup/ (the
# wheel's link back to the root): exported as it is, it would scan .venv again and
# again and pick up terms from every installed package. So export from a folder of
# links to the addon's own entries only.
ADDON=$TMP/addons/auth_apikeys
mkdir -p "$ADDON"
for entry in "$ROOT"/*; do
    case "$(basename "$entry")" in
    artifacts | build | dist | devenv | e2e_tests | setup | Makefile | pytest.ini | *.egg-info) ;;
    *) ln -s "$entry" "$ADDON/" ;;
    esac
done
ODOO_ADDONS=$("$ROOT/.venv/bin/python" -c 'import odoo.addons; print(odoo.addons.__path__[0])' 2>/dev/null)
PATHS=(--addons-path="$ODOO_ADDONS,$TMP/addons")

echo "[pot] installing auth_apikeys in the scratch database $DB"
dropdb --if-exists "$DB"
"$ODOO" "${PATHS[@]}" -d "$DB" -i auth_apikeys --without-demo=all --stop-after-init --log-level=warn
echo "[pot] exporting the terms of auth_apikeys"
# Odoo 11 picks the format from the extension and knows `po`, not `pot`; with no
# --language the export is a template (empty msgstr).
"$ODOO" "${PATHS[@]}" -d "$DB" --i18n-export="$TMP/auth_apikeys.po" --modules=auth_apikeys --log-level=warn
mkdir -p "$ROOT/i18n"
mv "$TMP/auth_apikeys.po" "$OUT"
echo "[pot] wrote ${OUT#"$ROOT"/}: $(($(grep -c '^msgid "' "$OUT") - 1)) terms"
