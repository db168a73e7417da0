"""After too many failures from one address, that address waits; nobody else does."""
import time
import urllib.request
import xmlrpc.client

import pytest

from odoo_servers import JsonRpcError, OdooServer, WebClient, copy_template

AFTER, WINDOW, DURATION = 3, 60, 4


def common(server, address):
    return server.xmlrpc("common", address=address)


def obj(server, address):
    return server.xmlrpc("object", address=address)


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

    # A key this server already verified keeps working, to log in too; other addresses and web sessions are unaffected.
    assert obj(server, attacker).execute_kw(server.db, uid, key, "res.partner", "search_count", [[]]) > 0
    assert common(server, attacker).authenticate(server.db, login, key, {}) == uid
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


GUESSES = 15  # more than the default threshold of 10 failures a minute


@pytest.fixture(scope="module")
def default_cooldown_server():
    """The default thresholds (10 failures within 60 s, then 60 s of cooldown)."""
    odoo = OdooServer(copy_template("guessing"), name="guessing")
    for name in ("after", "window", "duration"):
        odoo.set_param("auth_apikeys.login_cooldown_%s" % name, {"after": 10, "window": 60, "duration": 60}[name])
    yield odoo
    odoo.stop()


def change_password_over_rpc(server, user, key, address):
    def guess(password):
        obj(server, address).execute_kw(server.db, user.uid, key, "res.users", "change_password",
                                        [password, "changed-by-a-guess"])
    return guess


def change_password_in_the_web_client(server, user, key, address):
    web = WebClient(server, address)
    assert web.authenticate(user.login, user.password)["uid"] == user.uid

    def guess(password):
        answer = web.change_password(password, "changed-by-a-guess")
        if "error" in answer:
            raise JsonRpcError({"message": answer["error"]})
    return guess


def security_control_dialog(server, user, key, address):
    web = WebClient(server, address)
    assert web.authenticate(user.login, user.password)["uid"] == user.uid
    action = web.call_button("res.users", "api_key_wizard", [user.uid])

    def guess(password):
        web.confirm_password(action, password)
    return guess


def rpc_login(server, user, key, address):
    def guess(password):
        if not common(server, address).authenticate(server.db, user.login, password, {}):
            raise JsonRpcError({"message": "login failed"})
    return guess


ROUTES = [change_password_over_rpc, change_password_in_the_web_client, security_control_dialog, rpc_login]


@pytest.mark.parametrize("route", ROUTES, ids=[route.__name__ for route in ROUTES])
def test_every_route_that_checks_a_password_counts_guesses(default_cooldown_server, route):
    """15 wrong guesses from one address, through one route: then the right
    password is refused there too, while the key this server verified still works."""
    server = default_cooldown_server
    address = "127.0.0.%s" % (20 + ROUTES.index(route))
    user = server.logged_in_user()
    key = user.web.new_api_key(user.uid, user.password, "integration")
    assert obj(server, address).execute_kw(server.db, user.uid, key, "res.partner", "search_count", [[]]) > 0
    guess = route(server, user, key, address)
    for number in range(GUESSES):
        with pytest.raises((xmlrpc.client.Fault, JsonRpcError)):
            guess("guess-%s" % number)
    with pytest.raises((xmlrpc.client.Fault, JsonRpcError)):
        guess(user.password)
    assert "Login cooldown: %s failed 10 times" % address in server.log()
    assert WebClient(server).authenticate(user.login, user.password)["uid"] == user.uid  # unchanged
    assert obj(server, address).execute_kw(server.db, user.uid, key, "res.partner", "search_count", [[]]) > 0
    assert common(server, address).authenticate(server.db, user.login, key, {}) == user.uid


def test_in_a_cooldown_no_new_key_is_hashed_and_no_cached_password_passes(default_cooldown_server):
    server = default_cooldown_server
    address = "127.0.0.30"
    user = server.logged_in_user()
    unused_key = user.web.new_api_key(user.uid, user.password, "never used from here")
    assert obj(server, address).execute_kw(server.db, user.uid, user.password, "res.partner", "search_count", [[]])
    for number in range(10):
        common(server, address).authenticate(server.db, user.login, "guess-%s" % number, {})
    for secret in (unused_key, user.password):  # the password is in this process's cache
        with pytest.raises(xmlrpc.client.Fault) as refused:
            obj(server, address).execute_kw(server.db, user.uid, secret, "res.partner", "search_count", [[]])
        assert "Too many failed logins" in refused.value.faultString
        with pytest.raises(xmlrpc.client.Fault):
            common(server, address).authenticate(server.db, user.login, secret, {})


def test_a_forwarded_address_that_odoo_ignores_is_warned_about_once(default_cooldown_server):
    server = default_cooldown_server
    for _ in range(2):
        request = urllib.request.Request(server.url + "/web/webclient/version_info", b'{"params": {}}',
                                         {"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.7"})
        urllib.request.urlopen(request, timeout=30).read()
    assert server.log().count("Requests carry X-Forwarded-For but Odoo ignores it") == 1


def test_one_cooldown_for_every_server_of_the_database_and_it_outlives_a_restart():
    """Failures spread over two servers add up; the cooldown reaches both, lives
    in the database (a restarted server still refuses), and ends on both."""
    db = copy_template("cooldown_shared")
    first, second = OdooServer(db, name="shared-1"), OdooServer(db, name="shared-2")
    try:
        first.set_param("auth_apikeys.login_cooldown_after", 4)
        first.set_param("auth_apikeys.login_cooldown_window", 5)
        first.set_param("auth_apikeys.login_cooldown_duration", 8)
        user = first.logged_in_user()
        attacker = "127.0.0.50"
        for number in range(4):
            server = (first, second)[number % 2]
            assert common(server, attacker).authenticate(db, user.login, "guess-%s" % number, {}) is False
        for server in (first, second):
            with pytest.raises(xmlrpc.client.Fault) as refused:
                common(server, attacker).authenticate(db, user.login, user.password, {})
            assert "Too many failed logins" in refused.value.faultString
        assert common(second, "127.0.0.51").authenticate(db, user.login, user.password, {}) == user.uid
        second.stop()
        second = OdooServer(db, name="shared-2-restarted")
        with pytest.raises(xmlrpc.client.Fault):
            common(second, attacker).authenticate(db, user.login, user.password, {})
        time.sleep(9)
        for server in (first, second):
            assert common(server, attacker).authenticate(db, user.login, user.password, {}) == user.uid
        # The cooldown that ran out is cleaned up at the next failure.
        common(first, "127.0.0.52").authenticate(db, user.login, "one more guess", {})
        rows = first.admin("res.users.login.cooldown", "search_read", [("address", "=", attacker)], ["blocked_until"])
        assert rows == []
    finally:
        first.stop()
        second.stop()
