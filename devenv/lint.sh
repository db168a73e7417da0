#!/usr/bin/env bash
# `make lint`: the OCA's linters (pylint-odoo, flake8, the OCA addon and PO checks,
# generic pre-commit checks) through pre-commit, as configured in
# .pre-commit-config.yaml. Installs the pinned tools of devenv/requirements-lint.txt
# into .venv the first time (and when that file changes); quick afterwards.
# pre-commit lints the files git knows: add new files before linting them.
# Extra arguments go to `pre-commit run`, e.g. `bash devenv/lint.sh flake8`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=$ROOT/.venv
REQUIREMENTS=$ROOT/devenv/requirements-lint.txt
cd "$ROOT"

[ -x "$VENV/bin/python" ] || { echo "[lint] creating $VENV"; "${PYTHON:-python3}" -m venv "$VENV"; }
stamp=$VENV/.requirements-lint.sha256
want=$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "[lint] installing the lint tools (devenv/requirements-lint.txt)"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQUIREMENTS" >"$VENV/pip-lint.log" 2>&1 || {
        grep -v 'is ignored' "$VENV/pip-lint.log" >&2
        exit 1
    }
    echo "$want" >"$stamp"
fi

# Keep pre-commit's cache and logs inside .venv; none of the hooks needs the network.
export PRE_COMMIT_HOME=$VENV/pre-commit
export PYTHONWARNINGS=ignore::DeprecationWarning
exec "$VENV/bin/pre-commit" run --all-files --color="${PRE_COMMIT_COLOR:-auto}" "$@"
