#!/usr/bin/env bash
# `make wheel`: build the addon's wheel into dist/ the way the Odoo Community
# Association packages addons, with setuptools-odoo: the package is named
# odoo11-addon-auth_apikeys, its version is the manifest's (plus .99.devN when
# commits or uncommitted changes follow the last version bump) and it requires
# odoo>=11.0a,<11.1dev. It installs the addon as odoo/addons/auth_apikeys.
#
# setup/auth_apikeys/ is the OCA layout: setup.py, MANIFEST.in (what stays out)
# and odoo/addons/auth_apikeys, a link back to the repository root, which is the
# addon. setuptools-odoo packs the files that git tracks, so a new file goes in
# the wheel once it is committed (or at least added).
#
# The tools live in their own virtual environment, .venv/wheel-build, pinned
# below, so that Odoo's .venv keeps its own setuptools.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_VENV=$ROOT/.venv/wheel-build
SETUP_DIR=$ROOT/setup/auth_apikeys
TOOLS=(setuptools==81.0.0 setuptools-odoo==3.3.2 setuptools-scm==10.3.4 vcs-versioning==2.6.0 packaging==26.4)
DIST=${DIST:-$ROOT/dist}

command -v git >/dev/null || { echo "[wheel] git is needed: setuptools-odoo packs the files git tracks" >&2; exit 1; }
git -C "$ROOT" rev-parse --git-dir >/dev/null

stamp=$BUILD_VENV/.tools
if [ "$(cat "$stamp" 2>/dev/null)" != "${TOOLS[*]}" ]; then
    echo "[wheel] installing ${TOOLS[*]} into ${BUILD_VENV#"$ROOT"/}"
    [ -x "$BUILD_VENV/bin/python" ] || "${PYTHON:-python3}" -m venv "$BUILD_VENV"
    "$BUILD_VENV/bin/pip" install -q --disable-pip-version-check "${TOOLS[@]}" >"$BUILD_VENV/pip.log" 2>&1 || {
        grep -v 'is ignored' "$BUILD_VENV/pip.log" >&2
        exit 1
    }
    echo "${TOOLS[*]}" >"$stamp"
fi

cleanup() { rm -rf "$SETUP_DIR/build" "$SETUP_DIR"/*.egg-info; }
trap cleanup EXIT
cleanup
mkdir -p "$DIST"
cd "$SETUP_DIR"
# No build isolation: setup_requires=['setuptools-odoo'] is met by the build
# environment, so nothing is fetched at build time.
"$BUILD_VENV/bin/python" -m pip wheel --disable-pip-version-check --no-deps --no-build-isolation \
    --wheel-dir "$DIST" . >"$BUILD_VENV/build.log" 2>&1 || {
    grep -v 'is ignored' "$BUILD_VENV/build.log" >&2
    exit 1
}
wheel=$DIST/$(sed -n 's/.*filename=\(odoo11_addon_auth_apikeys-[^ ]*\.whl\).*/\1/p' "$BUILD_VENV/build.log" | tail -n 1)
# Check the wheel: the addon is there, the development side of the repository is not.
"$BUILD_VENV/bin/python" - "$wheel" <<'PY' || { rm -f "$wheel"; exit 1; }
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
addon = [n for n in names if n.startswith("odoo/addons/auth_apikeys/")]
assert "odoo/addons/auth_apikeys/__manifest__.py" in names, (
    "no manifest in the wheel: setuptools-odoo packs only files that git tracks;"
    " are setup/auth_apikeys and the addon's files committed or added?")
stray = [n for n in addon if n.split("/")[3] in {".venv", "setup", "devenv", "e2e_tests", "artifacts", "dist", "build"}]
assert not stray, "development files in the wheel: %s" % stray[:5]
print("[wheel] %s: %d files of the addon" % (sys.argv[1], len(addon)))
PY
