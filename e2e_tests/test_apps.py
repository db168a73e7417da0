"""With Odoo's apps installed (issue 12): Discuss (mail), portal, sign-up, website, sales and
CRM each extend res.users, the Preferences form and the login routes. The RPC matrix and
the key-less-than-password tests run again here, on a server of the apps template
(`server` below is `apps_server`), beside what the apps add: website's /web/login,
sign-up and password reset, portal users and their /my pages.

The browser tests with the apps are in test_apps_browser.py."""
import re
import subprocess
import urllib.parse
import uuid
import xmlrpc.client

import pytest

from odoo_servers import (
    APPS_AFTER_TEMPLATE_DB, APPS_TEMPLATE_DB, ARTIFACTS, JsonRpcError, WebClient,
)
# The same tests as on a server without the apps: collected here again, with `server` below.
from test_key_less_than_password import (  # noqa: F401
    test_a_key_does_not_confirm_the_password_dialog, test_a_portal_user_rotates_and_revokes_their_key,
    test_a_stolen_key_cannot_become_the_password, test_an_administrators_key_cannot_set_its_own_users_password,
    test_methods_that_test_a_password_cannot_be_called_remotely, test_the_web_clients_change_password_refuses_a_key,
)
from test_rpc_authentication import (  # noqa: F401
    test_archived_users_key_is_refused, test_deleted_key_is_refused_on_the_next_call,
    test_key_authenticates_and_calls_models, test_key_does_not_log_in_to_the_web_client,
    test_password_still_works_everywhere, test_wrong_truncated_and_other_users_keys_are_refused,
)

APPS = ["mail", "portal", "auth_signup", "website", "sale_management", "crm"]
REFUSED = (xmlrpc.client.Fault, JsonRpcError)


@pytest.fixture
def server(apps_server):
    return apps_server


@pytest.fixture
def any_server(apps_server):
    """test_key_less_than_password's threaded-and-prefork fixture: here the apps server only."""
    return apps_server


def psql(db, query):
    return subprocess.run(["psql", "-tAc", query, db], check=True, capture_output=True, text=True).stdout.split()


@pytest.mark.parametrize("order", ["apps-first", "addon-first"])
def test_the_apps_and_the_addon_install_in_either_order(order):
    template = APPS_TEMPLATE_DB if order == "apps-first" else APPS_AFTER_TEMPLATE_DB
    if not template:
        pytest.skip("no apps template: the apps are tested in the Python 3.11 leg, unless AUTH_APIKEYS_APPS=0")
    names = ",".join("'%s'" % name for name in APPS + ["auth_apikeys"])
    assert psql(template, "SELECT name FROM ir_module_module WHERE state = 'installed' AND name IN (%s) "
                          "ORDER BY name" % names) == sorted(APPS + ["auth_apikeys"])
    assert psql(template, "SELECT name FROM ir_module_module WHERE state LIKE 'to %'") == []
    log = (ARTIFACTS / ("install-%s.log" % template)).read_text()
    assert not re.findall(r"^.* (ERROR|CRITICAL) .*$", log, re.M), log


def test_preferences_form_keeps_account_security(server, user):
    """mail adds its fields to the Preferences form; the Account Security page stays."""
    view_id = server.admin("ir.model.data", "xmlid_to_res_id", "base.view_users_form_simple_modif")
    arch = server.execute_kw(user.uid, user.password, "res.users", "fields_view_get", [view_id, "form"])["arch"]
    assert 'string="Account Security"' in arch and 'name="api_key_ids"' in arch, arch
    assert 'name="notification_type"' in arch  # mail's extension is there too


def form_post(web, path, fields):
    """POST a form of the website (with its CSRF token) the way a browser does; the final page."""
    page = web.opener.open(web.server.url + path).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(dict(fields, csrf_token=token)).encode()
    return web.opener.open(web.server.url + path, data).read().decode()


def test_websites_login_page_refuses_a_key(server, user, key):
    web = WebClient(server)
    page = web.form_login(user.login, key)
    assert 'id="wrapwrap"' in page  # website's login page (website overrides /web/login)
    assert "Wrong login/password" in page
    assert not web.session_uid()
    web.form_login(user.login, user.password)
    assert web.session_uid() == user.uid


def test_signup_refuses_a_key_for_an_existing_login(server, user, key):
    """With sign-up open to anyone (b2c), the sign-up form with a user's login and key logs nobody in."""
    server.set_param("auth_signup.allow_uninvited", "True")
    try:
        web = WebClient(server)
        page = form_post(web, "/web/signup", {"login": user.login, "name": "x", "password": key,
                                              "confirm_password": key})
        assert "Another user is already registered" in page
        assert not web.session_uid()
        assert not WebClient(server).authenticate(user.login, key).get("uid")
    finally:
        server.set_param("auth_signup.allow_uninvited", "False")


def make_portal_user(server):
    password = "pw-%s" % uuid.uuid4().hex
    login, uid = server.create_user(password, groups=["base.group_portal"])
    partner_id = server.admin("res.users", "read", [uid], ["partner_id"])[0]["partner_id"][0]
    return login, uid, password, partner_id


def sale_order(server, partner_id):
    pricelist_id = server.admin("product.pricelist", "search", [], limit=1)[0]
    order_id = server.admin("sale.order", "create", {
        "partner_id": partner_id, "partner_invoice_id": partner_id, "partner_shipping_id": partner_id,
        "pricelist_id": pricelist_id})
    # A customer sees the orders they follow (sale's portal rule), as once the order is sent to them.
    server.admin("sale.order", "message_subscribe", [order_id], partner_ids=[partner_id])
    return order_id


def final_url(web, path):
    """Where GET `path` ends after the redirects, without the query."""
    with web.opener.open(web.server.url + path) as response:
        return response.geturl().split("?")[0][len(web.server.url):]


def test_a_portal_users_key_has_the_portal_users_rights_and_never_opens_a_page(server):
    login, uid, password, partner_id = make_portal_user(server)
    admin = WebClient(server)
    admin.authenticate("admin", "admin")
    key = admin.new_api_key(uid, "admin", "customer's integration")
    mine = sale_order(server, partner_id)
    others = server.admin("sale.order", "search", [("partner_id", "!=", partner_id)], limit=1)
    assert others

    # Over XML-RPC: the portal user's rights, no more.
    assert server.xmlrpc("common").authenticate(server.db, login, key, {}) == uid
    assert server.execute_kw(uid, key, "sale.order", "search", [[]]) == [mine]
    assert server.execute_kw(uid, key, "sale.order", "read", [[mine], ["name"]])[0]["id"] == mine
    with pytest.raises(xmlrpc.client.Fault) as refused:
        server.execute_kw(uid, key, "sale.order", "read", [others, ["name"]])
    assert "security restrictions" in refused.value.faultString  # a record rule: not theirs
    with pytest.raises(xmlrpc.client.Fault):
        server.execute_kw(uid, key, "sale.order", "write", [[mine], {"note": "changed by the portal key"}])

    # Never a web page: the login form refuses the key, so /my and /web send to the login page.
    web = WebClient(server)
    assert "Wrong login/password" in web.form_login(login, key)
    assert not web.session_uid()
    assert final_url(web, "/my") == "/web/login"
    assert final_url(web, "/my/orders") == "/web/login"
    assert final_url(web, "/web") == "/web/login"
    # The password opens the portal, as before.
    web.form_login(login, password)
    assert web.session_uid() == uid
    assert final_url(web, "/my") == "/my"


def signup_token_from_the_url(server, uid, key):
    """What a key holder reads over RPC: the sign-up URL of their own partner (auth_signup)."""
    partner_id = server.execute_kw(uid, key, "res.users", "read", [[uid], ["partner_id"]])[0]["partner_id"][0]
    url = server.execute_kw(uid, key, "res.partner", "read", [[partner_id], ["signup_url"]])[0]["signup_url"]
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url or "").query)
    return query.get("token", [None])[0]


def test_a_key_cannot_pick_up_a_password_reset_token(server):
    """A user invited by email (an integration user, a new portal customer) keeps a sign-up
    token until they sign up; with "password reset from the login page" on, anyone starts one
    for any login. The key must not lead to it: with the token, /web/reset_password sets a
    new password and opens a web session."""
    login = "invited-%s@example.com" % uuid.uuid4().hex[:8]
    uid = server.admin("res.users", "create", {"name": "Invited integration", "login": login},
                       context={"no_reset_password": True})
    partner_id = server.admin("res.users", "read", [uid], ["partner_id"])[0]["partner_id"][0]
    server.admin("res.partner", "signup_prepare", [partner_id])  # what the invitation email does, without the email
    admin = WebClient(server)
    admin.authenticate("admin", "admin")
    for access in ("read", "full"):
        api_key = admin.new_api_key(uid, "admin", "sync", access=access)
        token = signup_token_from_the_url(server, uid, api_key)
        if token:  # what it would lead to: the key's holder sets a password and opens the web client
            web = WebClient(server)
            form_post(web, "/web/reset_password?token=%s" % token,
                      {"token": token, "login": login, "password": "taken-over", "confirm_password": "taken-over"})
            assert web.session_uid() != uid, "a key read the sign-up token, and set the password with it"
        with pytest.raises(xmlrpc.client.Fault):  # nor can it bisect the token with a domain
            server.execute_kw(uid, api_key, "res.users", "search_count", [[("partner_id.signup_token", "=like", "a%")]])
        if access == "full":  # export_data is not for read-only keys
            exported = server.execute_kw(uid, api_key, "res.partner", "export_data", [[partner_id], ["signup_url"]])
            assert "token=" not in str(exported)
    # The invitation itself still works: the token is there, for the e-mail that carries it.
    assert server.admin("res.partner", "read", [partner_id], ["signup_token"])[0]["signup_token"]
