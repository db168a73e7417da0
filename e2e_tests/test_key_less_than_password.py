"""A key is strictly less than a password: what the holder of a stolen key, or
of a stolen web session, tries over real HTTP, and what the server refuses."""
import xmlrpc.client

import pytest

from odoo_servers import ADMIN_UID, JsonRpcError, OdooServer, WebClient, copy_template, post_json

REFUSED = (xmlrpc.client.Fault, JsonRpcError)


@pytest.fixture(scope="module", params=["workers=0", "workers=2"])
def any_server(request, server):
    """The attacks that matter most run against a threaded and a prefork server."""
    if request.param == "workers=0":
        yield server
        return
    odoo = OdooServer(copy_template("attacks"), workers=2, name="attacks")
    yield odoo
    odoo.stop()


def execute_kw(server, protocol, uid, secret, model, method, args, kwargs=None):
    if protocol == "jsonrpc":
        return server.jsonrpc("object", "execute_kw", server.db, uid, secret, model, method, args, kwargs or {})
    return server.execute_kw(uid, secret, model, method, args, kwargs)


def web_login_uid(server, login, password):
    return WebClient(server).authenticate(login, password).get("uid")


@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc"])
def test_a_stolen_key_cannot_become_the_password(any_server, protocol):
    server = any_server
    user = server.logged_in_user()
    key = user.web.new_api_key(user.uid, user.password, "stolen")
    for credential in (key, user.password):  # the key as the old password, whatever authenticates the call
        with pytest.raises(REFUSED):
            execute_kw(server, protocol, user.uid, credential, "res.users", "change_password", [key, "taken-over"])
    assert not web_login_uid(server, user.login, "taken-over")
    assert web_login_uid(server, user.login, user.password) == user.uid
    assert execute_kw(server, protocol, user.uid, key, "res.partner", "search_count", [[]]) > 0


def test_the_web_clients_change_password_refuses_a_key(server, user):
    key = user.web.new_api_key(user.uid, user.password, "stolen")
    answer = user.web.change_password(key, "taken-over")
    assert "error" in answer and "new_password" not in answer
    assert not web_login_uid(server, user.login, "taken-over")
    assert web_login_uid(server, user.login, user.password) == user.uid


def test_an_administrators_key_cannot_set_its_own_users_password(server):
    """Settings' access rights let an administrator write any password; their key may not write their own."""
    admin = server.logged_in_user(groups=["base.group_user", "base.group_system"])
    key = admin.web.new_api_key(admin.uid, admin.password, "admin script")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        server.execute_kw(admin.uid, key, "res.users", "write", [[admin.uid], {"password": "taken-over"}])
    assert "cannot change the password" in refused.value.faultString
    assert web_login_uid(server, admin.login, admin.password) == admin.uid


PASSWORD_TESTS = [
    ("check", lambda user: [[], user.uid, user.password]),
    ("check_credentials", lambda user: [user.password]),
    ("authenticate", lambda user: [[], user.login, user.password, {}]),
    ("check_super", lambda user: [[], "admin"]),
]


@pytest.mark.parametrize("method,args", PASSWORD_TESTS, ids=[name for name, _args in PASSWORD_TESTS])
def test_methods_that_test_a_password_cannot_be_called_remotely(server, user, method, args):
    key = user.web.new_api_key(user.uid, user.password, "oracle")
    for secret in (user.password, key):
        for protocol in ("xmlrpc", "jsonrpc"):
            with pytest.raises(REFUSED) as refused:
                execute_kw(server, protocol, user.uid, secret, "res.users", method, args(user))
            assert "cannot be called remotely" in str(refused.value)
    with pytest.raises(JsonRpcError) as refused:
        user.web.call_kw("res.users", method, args(user))
    assert "cannot be called remotely" in str(refused.value)


def test_a_key_does_not_confirm_the_password_dialog(server, user):
    key = user.web.new_api_key(user.uid, user.password, "first")
    user.web.cookies.clear()
    assert user.web.authenticate(user.login, user.password)["uid"] == user.uid  # a new session: not confirmed yet
    action = user.web.call_button("res.users", "api_key_wizard", [user.uid])
    assert action["res_model"] == "res.users.identitycheck"
    with pytest.raises(JsonRpcError) as refused:
        user.web.confirm_password(action, key)
    assert "Incorrect password" in str(refused.value)
    assert user.web.call_kw("res.users.apikeys", "search_count", [[]]) == 1


@pytest.mark.parametrize("typed", ["", " ", False, None])
def test_an_empty_password_never_confirms(server, user, typed):
    action = user.web.call_button("res.users", "api_key_wizard", [user.uid])
    assert action["res_model"] == "res.users.identitycheck"
    with pytest.raises(JsonRpcError) as refused:
        user.web.confirm_password(action, typed)
    assert "Incorrect password" in str(refused.value)
    # Nor does a dialog confirmed without typing anything.
    again = user.web.call_button("res.users.identitycheck", "run_check", [action["res_id"]])
    assert again["res_model"] == "res.users.identitycheck"


def confirmed_session(server, login, password, uid):
    """A web session in which `login` has just confirmed their password."""
    web = WebClient(server)
    assert web.authenticate(login, password)["uid"] == uid
    action = web.call_button("res.users", "api_key_wizard", [uid])
    assert web.confirm_password(action, password)["res_model"] == "res.users.apikeys.description"
    assert web.call_button("res.users", "api_key_wizard", [uid])["res_model"] == "res.users.apikeys.description"
    return web


def test_a_confirmation_does_not_carry_over_to_another_user_of_the_session(server, user):
    web = confirmed_session(server, user.login, user.password, user.uid)
    other = server.logged_in_user()
    assert web.authenticate(other.login, other.password)["uid"] == other.uid  # same cookie, another user
    assert web.call_button("res.users", "api_key_wizard", [other.uid])["res_model"] == "res.users.identitycheck"


def test_a_confirmation_does_not_carry_over_to_another_database():
    first, second = copy_template("confirm_a"), copy_template("confirm_b")
    odoo = OdooServer(first, db_filter="^(%s|%s)$" % (first, second), name="two-databases")
    try:
        web = confirmed_session(odoo, "admin", "admin", ADMIN_UID)
        session = web.json("/web/session/authenticate", {"db": second, "login": "admin", "password": "admin"})
        assert (session["db"], session["uid"]) == (second, ADMIN_UID)
        assert web.call_button("res.users", "api_key_wizard", [ADMIN_UID])["res_model"] == "res.users.identitycheck"
    finally:
        odoo.stop()


class CookieTransport(xmlrpc.client.Transport):
    def __init__(self, cookie):
        super().__init__(headers=[("Cookie", cookie)])


def test_rpc_calls_never_benefit_from_a_confirmation(server, user):
    key = user.web.new_api_key(user.uid, user.password, "script")
    web = confirmed_session(server, user.login, user.password, user.uid)
    cookie = "; ".join("%s=%s" % (cookie.name, cookie.value) for cookie in web.cookies)
    for secret in (key, user.password):
        body = {"jsonrpc": "2.0", "method": "call", "params": {"service": "object", "method": "execute_kw", "args": [
            server.db, user.uid, secret, "res.users", "api_key_wizard", [[user.uid]]]}}
        action = post_json(server.url + "/jsonrpc", body, web.opener)  # the confirmed session's cookie goes along
        assert action["res_model"] == "res.users.identitycheck"
        proxy = xmlrpc.client.ServerProxy(server.url + "/xmlrpc/2/object", transport=CookieTransport(cookie))
        action = proxy.execute_kw(server.db, user.uid, secret, "res.users", "api_key_wizard", [[user.uid]])
        assert action["res_model"] == "res.users.identitycheck"


def admin_key(server, **choices):
    admin = WebClient(server)
    admin.authenticate("admin", "admin")
    return admin.new_api_key(ADMIN_UID, "admin", "superuser script", **choices)


def test_a_key_login_never_rewrites_web_base_url(server):
    """Odoo 11 sets web.base.url from authenticate's 4th argument when the superuser logs in."""
    keys = admin_key(server, access="read"), admin_key(server)  # the administrator's web login sets it too
    before = server.admin("ir.config_parameter", "get_param", "web.base.url")
    common = server.xmlrpc("common")
    for key in keys:
        assert common.authenticate(server.db, "admin", key, {"base_location": "http://attacker.example"}) == ADMIN_UID
        assert server.jsonrpc("common", "authenticate", server.db, "admin", key,
                              {"base_location": "http://attacker.example"}) == ADMIN_UID
        assert server.admin("ir.config_parameter", "get_param", "web.base.url") == before
    # The password still does what Odoo 11 does (so the check above can see a write).
    common.authenticate(server.db, "admin", "admin", {"base_location": "http://moved.example"})
    assert server.admin("ir.config_parameter", "get_param", "web.base.url") == "http://moved.example"
    server.set_param("web.base.url", before)


@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc"])
def test_a_read_only_key_rotates_into_a_read_only_key_and_revokes_itself(server, user, protocol):
    old = user.web.new_api_key(user.uid, user.password, "reporting", access="read")
    new = execute_kw(server, protocol, user.uid, old, "res.users.apikeys", "rotate", [], {"revoke": True})
    with pytest.raises(REFUSED):
        execute_kw(server, protocol, user.uid, old, "res.partner", "search_count", [[]])
    assert execute_kw(server, protocol, user.uid, new, "res.partner", "search_count", [[]]) > 0
    with pytest.raises(REFUSED) as refused:
        execute_kw(server, protocol, user.uid, new, "res.partner", "create", [{"name": "written by a read-only key"}])
    assert "read-only" in str(refused.value)
    assert execute_kw(server, protocol, user.uid, new, "res.users.apikeys", "revoke_current", []) is True
    with pytest.raises(REFUSED):
        execute_kw(server, protocol, user.uid, new, "res.partner", "search_count", [[]])


def test_a_portal_user_rotates_and_revokes_their_key(server):
    portal_login, portal_uid = server.create_user("portal-password", groups=["base.group_portal"])
    admin = WebClient(server)
    admin.authenticate("admin", "admin")
    key = admin.new_api_key(portal_uid, "admin", "portal integration")
    assert server.xmlrpc("common").authenticate(server.db, portal_login, key, {}) == portal_uid
    with pytest.raises(xmlrpc.client.Fault):  # a portal user's rights, not more
        server.execute_kw(portal_uid, key, "res.partner", "create", [{"name": "made by portal"}])
    new = server.execute_kw(portal_uid, key, "res.users.apikeys", "rotate", [], {"revoke": True})
    assert server.xmlrpc("common").authenticate(server.db, portal_login, key, {}) is False
    assert server.xmlrpc("common").authenticate(server.db, portal_login, new, {}) == portal_uid
    assert server.execute_kw(portal_uid, new, "res.users.apikeys", "revoke_current", []) is True
    assert server.xmlrpc("common").authenticate(server.db, portal_login, new, {}) is False
    assert not web_login_uid(server, portal_login, new)


KEY_HOLDER_DOMAINS = [
    lambda key_id: [("api_key_ids", "!=", False)],
    lambda key_id: [("api_key_ids", "=", key_id)],
    lambda key_id: [("api_key_ids", "in", [key_id])],
    lambda key_id: [("api_key_ids.name", "ilike", "")],
    lambda key_id: ["|", ("id", "=", 0), ("api_key_ids", "!=", False)],
]


def test_a_user_cannot_learn_who_holds_keys(server, user):
    other = server.logged_in_user()
    other.web.new_api_key(other.uid, other.password, "someone else's")
    other_key_id = server.admin("res.users.apikeys", "search", [("user_id", "=", other.uid)])[0]
    for make_domain in KEY_HOLDER_DOMAINS:
        domain = make_domain(other_key_id)
        assert other.uid in server.admin("res.users", "search", domain)  # an administrator may know
        assert server.execute_kw(user.uid, user.password, "res.users", "search", [domain]) == []
        assert server.execute_kw(user.uid, user.password, "res.users", "search_count", [domain]) == 0
    user.web.new_api_key(user.uid, user.password, "mine")
    assert server.execute_kw(user.uid, user.password, "res.users", "search", [[("api_key_ids", "!=", False)]]) == [
        user.uid]
    # Through another model's path too (before that, Odoo 11 reads `user_ids in []` as "has a user").
    partner_id = server.admin("res.users", "read", [user.uid], ["partner_id"])[0]["partner_id"][0]
    through_partners = [("user_ids.api_key_ids", "!=", False)]
    assert server.execute_kw(user.uid, user.password, "res.partner", "search", [through_partners]) == [partner_id]
