"""Fixtures of the end-to-end tests; the servers and clients are in odoo_servers.py."""
import pytest

from odoo_servers import APPS_TEMPLATE_DB, OdooServer, copy_template, drop_copies
from smtp_server import SmtpServer


@pytest.fixture(scope="session", autouse=True)
def copies_dropped_at_the_end():
    """The databases the tests copied go once every server is stopped: the machine is left as found."""
    yield
    drop_copies()


@pytest.fixture(scope="session")
def server():
    """One server, no workers, on a fresh copy of the test database."""
    odoo = OdooServer(copy_template("e2e"))
    yield odoo
    odoo.stop()


@pytest.fixture(scope="session")
def apps_server():
    """One server, no workers, on a fresh copy of the apps template: mail, portal, website,
    sale, crm ... installed before the addon (devenv/apps_db.sh)."""
    if not APPS_TEMPLATE_DB:
        pytest.skip("no apps template: the apps are tested in the Python 3.11 leg, unless AUTH_APIKEYS_APPS=0")
    odoo = OdooServer(copy_template("e2e", APPS_TEMPLATE_DB))
    yield odoo
    odoo.stop()


@pytest.fixture(scope="session")
def smtp():
    """A real SMTP server on 127.0.0.1 that keeps what it receives (smtp_server.py); send a
    server's e-mails there with smtp_server.point_odoo_at(server, smtp). Shared by the session:
    a test clears it or waits for its own message, and leaves it started and not refusing."""
    with SmtpServer() as smtp_server:
        yield smtp_server


@pytest.fixture
def user(server):
    """A fresh user with a known password, logged in to the web client."""
    return server.logged_in_user()


@pytest.fixture
def key(user):
    """A full-access key of `user`, made through the web client's dialogs."""
    return user.web.new_api_key(user.uid, user.password, "integration")
