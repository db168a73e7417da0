#!/usr/bin/env bash
# drop_databases.sh DB...: what a test leg made, gone at its end: the databases
# (--force: a connection a crashed server left behind does not keep one) and the
# filestores Odoo made for them in its default data folder. A database that cannot
# be dropped is reported; it does not fail the run.
set -uo pipefail
FILESTORE=${XDG_DATA_HOME:-$HOME/.local/share}/Odoo/filestore
for db in "$@"; do
    dropdb --if-exists --force "$db" || echo "[test] could not drop the database $db" >&2
    rm -rf "${FILESTORE:?}/$db"
done
