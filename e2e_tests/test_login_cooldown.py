"""After too many failures from one address, that address waits; nobody else does."""
import time
import xmlrpc.client

import pytest

from odoo_servers import JsonRpcError, OdooServer, copy_template

AFTER, WINDOW, DURATION = 3, 60, 4


class FromAddress(xmlrpc.client.Transport):
    """An XML-RPC transport whose connections leave from a chosen loopback address."""

    def __init__(self, address):
        super().__init__()
        self.address = address

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.source_address = (self.address, 0)
        return connection


def common(server, address):
    return xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/common", transport=FromAddress(address))


def obj(server, address):
    return xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/object", transport=FromAddress(address))


@pytest.fixture
def cooling_server():
    odoo = OdooServer(copy_template("cooldown"), name="cooldown")
    odoo.set_param("auth_apikeys.login_cooldown_after", AFTER)
    odoo.set_param("auth_apikeys.login_cooldown_window", WINDOW)
    odoo.set_param("auth_apikeys.login_cooldown_duration", DURATION)
    yield odoo
    odoo.stop()


def test_cooldown_refuses_one_address_then_lifts(cooling_server):
    server = cooling_server
    user = server.logged_in_user()
    login, uid, password, web = user.login, user.uid, user.password, user.web
    key = web.new_api_key(uid, password, "used before the attack")
    attacker, bystander = "127.0.0.3", "127.0.0.4"
    assert obj(server, attacker).execute_kw(server.db, uid, key, "res.partner", "search_count", [[]]) > 0

    for guess in range(AFTER):
        assert common(server, attacker).authenticate(server.db, login, "guess-%s" % guess, {}) is False

    # Even the right password is refused now, with a clear message, without being checked.
    with pytest.raises(xmlrpc.client.Fault) as fault:
        common(server, attacker).authenticate(server.db, login, password, {})
    assert "Too many failed logins" in fault.value.faultString
    with pytest.raises(xmlrpc.client.Fault):
        obj(server, attacker).execute_kw(server.db, uid, password, "res.partner", "search_count", [[]])
    assert "Login cooldown: 127.0.0.3 failed %s times" % AFTER in server.log()

    # A key this server already verified keeps working; other addresses and web sessions are unaffected.
    assert obj(server, attacker).execute_kw(server.db, uid, key, "res.partner", "search_count", [[]]) > 0
    assert common(server, bystander).authenticate(server.db, login, password, {}) == uid
    assert web.call_kw("res.partner", "search_count", [[]]) > 0

    time.sleep(DURATION + 1)
    assert common(server, attacker).authenticate(server.db, login, password, {}) == uid


def test_cooldown_counts_failed_rpc_calls_too(cooling_server):
    server = cooling_server
    address = "127.0.0.5"
    for _ in range(AFTER):
        with pytest.raises(xmlrpc.client.Fault):
            obj(server, address).execute_kw(server.db, 1, "wrong", "res.partner", "search_count", [[]])
    with pytest.raises(xmlrpc.client.Fault) as fault:
        obj(server, address).execute_kw(server.db, 1, "admin", "res.partner", "search_count", [[]])
    assert "Too many failed logins" in fault.value.faultString
    with pytest.raises(JsonRpcError):  # JSON-RPC from 127.0.0.1 is another address: refused only for the bad password
        server.jsonrpc("object", "execute_kw", server.db, 1, "wrong", "res.partner", "search_count", [[]])
    assert server.jsonrpc("object", "execute_kw", server.db, 1, "admin", "res.partner", "search_count", [[]]) > 0


def test_wrong_passwords_in_the_security_control_dialog_count_too(cooling_server):
    user = cooling_server.logged_in_user()
    action = user.web.call_button("res.users", "api_key_wizard", [user.uid])
    for guess in range(AFTER):
        with pytest.raises(JsonRpcError) as refused:
            user.web.confirm_password(action, "guess-%s" % guess)
        assert "Incorrect password" in str(refused.value)
    with pytest.raises(JsonRpcError) as refused:
        user.web.confirm_password(action, user.password)
    assert "Too many failed attempts" in str(refused.value)
    assert user.web.call_kw("res.users.apikeys", "search_count", [[]]) == 0
