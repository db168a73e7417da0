"""Fixtures of the end-to-end tests; the servers and clients are in odoo_servers.py."""
import types
import uuid

import pytest

from odoo_servers import OdooServer, WebClient, copy_template


@pytest.fixture(scope="session")
def server():
    """One server, no workers, on a fresh copy of the test database."""
    odoo = OdooServer(copy_template("e2e"))
    yield odoo
    odoo.stop()


@pytest.fixture
def user(server):
    """A fresh user with a known password, logged in to the web client."""
    password = "pw-%s" % uuid.uuid4().hex
    login, uid = server.create_user(password)
    web = WebClient(server)
    assert web.authenticate(login, password)["uid"] == uid
    return types.SimpleNamespace(login=login, uid=uid, password=password, web=web)
