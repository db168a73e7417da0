"""The addon is loaded server-wide (README), so its code sees the calls of every
database a server serves: one server, threaded and prefork, serves a database
with the addon and one without, and the second behaves as plain Odoo 11 while
the first keeps the addon's rules."""
import json
import subprocess
import urllib.request
import xmlrpc.client

import pytest

from odoo_servers import (
    ADMIN_UID, ODOO, TEMPLATE_DB, JsonRpcError, OdooServer, WebClient, copy_template, drop_databases,
)

CANNOT_BE_CALLED = "res.users.check cannot be called remotely"


@pytest.fixture(scope="module")
def plain_db():
    """A database with Odoo 11's base and its demo data, never the addon."""
    name = "%s_plain" % TEMPLATE_DB
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", name], check=True)
    subprocess.run([ODOO, "-d", name, "-i", "base", "--stop-after-init", "--log-level=warn"], check=True)
    yield name
    drop_databases(name)


@pytest.fixture(scope="module", params=[0, 2], ids=["workers=0", "workers=2"])
def both(request, plain_db):
    """(server, database with the addon, database without it)."""
    addon_db = copy_template("server_wide")
    odoo = OdooServer(addon_db, workers=request.param, db_filter="^(%s|%s)$" % (addon_db, plain_db),
                      name="server-wide-%s" % request.param)
    yield odoo, addon_db, plain_db
    odoo.stop()


def jsonrpc_reply(server, service, method, *args):
    """The whole JSON-RPC reply: Odoo leaves out `result` when it is None."""
    body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
    request = urllib.request.Request(server.url + "/jsonrpc", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def jsonrpc_error(server, *args):
    with pytest.raises(JsonRpcError) as error:
        server.jsonrpc(*args)
    return error.value.error["data"]


def xmlrpc_fault(call):
    with pytest.raises(xmlrpc.client.Fault) as fault:
        call()
    return fault.value.faultString


def test_a_database_without_the_addon_is_plain_odoo(both):
    server, _, plain = both
    objects = server.xmlrpc("object")
    assert server.xmlrpc("common").authenticate(plain, "admin", "admin", {}) == ADMIN_UID
    assert objects.execute_kw(plain, ADMIN_UID, "admin", "res.partner", "search_count", [[]]) > 0
    # Odoo 11 lets any client call res.users.check (None: a good password), and answers an unknown
    # method, or a refused password, with its traceback.
    assert "error" not in jsonrpc_reply(server, "object", "execute_kw", plain, ADMIN_UID, "admin", "res.users",
                                        "check", [plain, ADMIN_UID, "admin"])
    unknown = xmlrpc_fault(lambda: objects.execute_kw(plain, ADMIN_UID, "admin", "res.partner", "no_such", []))
    assert "AttributeError" in unknown and "Malformed call" not in unknown
    refused = jsonrpc_error(server, "object", "execute_kw", plain, ADMIN_UID, "wrong", "res.partner",
                            "search_count", [[]])
    assert refused["name"] == "odoo.exceptions.AccessDenied" and "Traceback" in refused["debug"]


def test_the_database_with_the_addon_keeps_its_rules(both):
    server, addon_db, _ = both
    objects = server.xmlrpc("object")
    assert server.xmlrpc("common").authenticate(addon_db, "admin", "admin", {}) == ADMIN_UID
    assert CANNOT_BE_CALLED in jsonrpc_error(server, "object", "execute_kw", addon_db, ADMIN_UID, "admin",
                                             "res.users", "check", [addon_db, ADMIN_UID, "admin"])["message"]
    unknown = xmlrpc_fault(lambda: objects.execute_kw(addon_db, ADMIN_UID, "admin", "res.partner", "no_such", []))
    assert "Malformed call: the model res.partner has no such method." == unknown
    refused = jsonrpc_error(server, "object", "execute_kw", addon_db, ADMIN_UID, "wrong", "res.partner",
                            "search_count", [[]])
    assert refused["name"] == "odoo.exceptions.AccessDenied" and refused["debug"] == ""
    user = server.logged_in_user()
    key = user.web.new_api_key(user.uid, user.password, "server-wide")
    assert server.execute_kw(user.uid, key, "res.users", "read", [[user.uid], ["login"]])[0]["login"] == user.login


def test_the_web_client_of_a_database_without_the_addon_is_plain_odoo(both):
    """call_kw of an unknown method: Odoo 11 answers with its traceback, the addon with a plain message."""
    server, addon_db, plain = both
    for db, plain_odoo in ((plain, True), (addon_db, False)):
        web = WebClient(server)
        assert web.json("/web/session/authenticate", {"db": db, "login": "admin", "password": "admin"})["uid"]
        with pytest.raises(JsonRpcError) as error:
            web.call_kw("res.partner", "no_such", [])
        assert ("Malformed call" in str(error.value)) is not plain_odoo, error.value.error
