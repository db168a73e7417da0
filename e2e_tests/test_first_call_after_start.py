"""Ready means ready: the first calls that reach a freshly started server, the
moment its port accepts a connection and while it still loads its database,
wait for it and succeed, with a key as with a password, threaded and prefork.

Before the addon was loaded server-wide, a threaded server refused a key for
about a second after it started answering: its RPC layer served those calls
before the addon, imported with the database's registry, had wrapped it."""
from concurrent.futures import ThreadPoolExecutor

import pytest

from odoo_servers import OdooServer, copy_template, post_json


@pytest.fixture(scope="module")
def keyed_db():
    """A database in which a user has a key, made by a server that is stopped since."""
    db = copy_template("first_call")
    odoo = OdooServer(db, name="first-call-setup")
    try:
        user = odoo.logged_in_user()
        user.key = user.web.new_api_key(user.uid, user.password, "first call after a restart")
    finally:
        odoo.stop()
    return db, user


def first_calls(server, user):
    """What integrations send the moment a server is back: name -> call."""
    db, read = server.db, ("res.users", "read", [[user.uid], ["login"]])
    return {
        "xmlrpc authenticate, key": lambda: server.xmlrpc("common").authenticate(db, user.login, user.key, {}),
        "xmlrpc execute_kw, key": lambda: server.execute_kw(user.uid, user.key, *read)[0]["login"],
        "jsonrpc login, key": lambda: server.jsonrpc("common", "login", db, user.login, user.key),
        "jsonrpc execute_kw, key": lambda: server.jsonrpc("object", "execute_kw", db, user.uid, user.key,
                                                          *read)[0]["login"],
        "xmlrpc authenticate, password": lambda: server.xmlrpc("common").authenticate(db, user.login,
                                                                                      user.password, {}),
        "version_info": lambda: post_json(server.url + "/web/webclient/version_info",
                                          {"jsonrpc": "2.0", "method": "call", "params": {}})["server_serie"],
    }


@pytest.mark.parametrize("workers", [0, 2])
def test_the_first_key_calls_after_a_start_succeed(keyed_db, workers):
    db, user = keyed_db
    server = OdooServer(db, workers=workers, name="first-call-%s" % workers, wait=False)
    try:
        server.wait_until_accepting()
        calls = first_calls(server, user)
        with ThreadPoolExecutor(len(calls)) as pool:
            sent = {name: pool.submit(call) for name, call in calls.items()}
            answers = {name: future.result() for name, future in sent.items()}
        assert answers == {
            "xmlrpc authenticate, key": user.uid, "xmlrpc execute_kw, key": user.login,
            "jsonrpc login, key": user.uid, "jsonrpc execute_kw, key": user.login,
            "xmlrpc authenticate, password": user.uid, "version_info": "11.0",
        }
        # A call that follows version_info's answer is served too: its "ready" is true.
        assert calls["xmlrpc execute_kw, key"]() == user.login
    finally:
        server.stop()
