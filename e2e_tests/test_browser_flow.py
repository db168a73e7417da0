"""The key lifecycle in a real browser: headless Chromium clicks through the
Odoo 11 web client the way the Odoo 15 book describes native API keys.

With AUTH_APIKEYS_SCREENSHOTS set to a folder (devenv/screenshots.sh), the
same steps save the documentation's screenshots there, 01- to 09-."""
import json
import os
import re
import subprocess
import urllib.error
import uuid
import xmlrpc.client
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from browser import KEY_RE, FailureRecorder, checked_page, warmed_up_chromium
from key_events import admin_web, user_with_address
from odoo_servers import ADMIN_UID, OdooServer, WebClient, copy_template
from smtp_server import point_odoo_at


@pytest.fixture(scope="module")
def server(request):
    """Its own server and database: what the browser does stays out of the other tests' way."""
    FailureRecorder.register(request.config)
    odoo = OdooServer(copy_template("e2e_browser"))  # its log: artifacts/server-<db>-<port>.log
    yield odoo
    odoo.stop()


@pytest.fixture(scope="module")
def browser(server):
    with warmed_up_chromium(server) as chromium:
        yield chromium


@pytest.fixture
def web(request, browser, server):
    """A fresh browser session, checked for console errors (browser.checked_page)."""
    yield from checked_page(request, browser, server)


@pytest.fixture
def owner(server):
    """A fresh internal user with a known password and a readable name for the screenshots."""
    password = "pw-%s" % uuid.uuid4().hex
    login, uid = server.create_user(password)
    server.admin("res.users", "write", [uid], {"name": "Alex Integrator"})
    return type("Owner", (), {"login": login, "uid": uid, "password": password})


@pytest.fixture
def integration_user(server):
    """A user for a service to log in as: made by the administrator, with no password."""
    login = "webshop-%s" % uuid.uuid4().hex[:8]
    uid = server.admin("res.users", "create", {"name": "Webshop Connector", "login": login})
    return type("IntegrationUser", (), {"login": login, "uid": uid})


def authenticate(server, login, secret):
    """What a script does: XML-RPC common.authenticate; the uid, or False."""
    common = xmlrpc.client.ServerProxy("%s/xmlrpc/2/common" % server.url)
    return common.authenticate(server.db, login, secret, {})


def key_count(server, uid):
    return server.admin("res.users.apikeys", "search_count", [("user_id", "=", uid)])


def make_key(server, owner, description):
    """A key made as the web client does, without the browser (odoo_servers.WebClient)."""
    client = WebClient(server)
    client.authenticate(owner.login, owner.password)
    return client.new_api_key(owner.uid, owner.password, description)


def test_browser_key_lifecycle_from_preferences(server, web, owner):
    description = "Invoice sync script"
    web.login(owner.login, owner.password)

    # User menu > Preferences > Account Security.
    preferences = web.open_account_security()
    expect(web.key_rows(preferences)).to_have_count(0)
    new_key = preferences.locator("button[name=api_key_wizard]")
    expect(new_key).to_have_text("New API Key")
    web.shot("01-preferences")

    # New API Key asks for the password: a wrong one is refused and makes no key.
    new_key.click()
    security = web.dialog("Security Control")
    expect(security.locator("input[name=password]")).to_be_visible()
    web.allow_console_error("Incorrect password, try again.")  # Odoo logs the UserError it shows
    web.confirm_password("not-" + owner.password)
    expect(web.error_dialog()).to_contain_text("Incorrect password")
    web.dismiss_error()
    expect(security).to_be_visible()  # still asking, nothing else happened
    assert key_count(server, owner.uid) == 0

    # The right password leads on to the description: for the user, full access, a month by default.
    security.locator("input[name=password]").fill(owner.password)
    web.shot("02-password")
    web.confirm_password(owner.password)
    describe = web.dialog("New API Key")
    expect(describe.locator("[name=user_id]")).to_have_text("Alex Integrator")
    expect(describe.get_by_label("Full access")).to_be_checked()
    duration = describe.locator("select[name=duration]")
    expect(duration.locator("option:checked")).to_have_text("1 month")
    describe.locator("input[name=name]").fill(description)

    # "Custom date" asks for the date, the other durations do not.
    expires_on = describe.locator("input[name=expiration_date]")
    expect(expires_on).to_be_hidden()
    duration.select_option(label="Custom date")
    expect(expires_on).to_be_visible()

    # "No expiry" is for administrators: refused with a clear message, no key made, the dialog stays.
    web.allow_console_error("Only administrators can make API keys that never expire.")
    duration.select_option(label="No expiry (administrators only)")
    expect(expires_on).to_be_hidden()
    describe.locator("button[name=make_key]").click()
    expect(web.error_dialog()).to_contain_text("Only administrators can make API keys that never expire")
    web.dismiss_error()
    expect(describe).to_be_visible()
    assert key_count(server, owner.uid) == 0

    # A read-only key for a week.
    describe.get_by_label("Read only").check()
    duration.select_option(label="1 week")
    web.shot("03-description")
    describe.locator("button[name=make_key]").click()

    # The key is shown once: select and copy it, then use it as a script would.
    ready = web.dialog("API Key Ready")
    key = web.read_key(ready)
    assert KEY_RE.fullmatch(key)
    web.shot("04-key")
    assert key_count(server, owner.uid) == 1
    assert authenticate(server, owner.login, key) == owner.uid
    # It reads, and cannot write.
    assert server.execute_kw(owner.uid, key, "res.partner", "search_count", [[]]) > 0
    with pytest.raises(xmlrpc.client.Fault) as refused:
        server.execute_kw(owner.uid, key, "res.partner", "create", [{"name": "made by a read-only key"}])
    assert "read-only" in refused.value.faultString
    # "Done" leads back to Account Security, which lists the key by its description, never the key itself: read only,
    # expiring a week after it was made, last used from this machine. "Created by" is for administrators.
    ready.locator("button", has_text="Done").click()
    expect(ready).to_have_count(0)
    preferences = web.account_security()
    expect(web.key_rows(preferences)).to_have_count(1)
    expect(web.key_rows(preferences, description)).to_have_count(1)
    expect(preferences).not_to_contain_text(key)
    expect(web.key_cell(preferences, description, "Scope")).to_have_text("Read only")
    created = web.key_datetime(preferences, description, "Created on")
    expires = web.key_datetime(preferences, description, "Expires on")
    assert abs(expires - created - timedelta(days=7)) <= timedelta(hours=1), (created, expires)  # an hour: DST
    # Shown in the browser's time zone: a day either side covers any offset from this machine's.
    assert abs(expires - (datetime.now() + timedelta(days=7))) < timedelta(days=1), expires
    expect(web.key_cell(preferences, description, "Last used")).not_to_be_empty()
    expect(web.key_cell(preferences, description, "Last used from")).to_have_text("127.0.0.1")
    expect(preferences.locator("[name=api_key_ids] thead")).not_to_contain_text("Created by")
    web.shot("05-key-listed")

    # The trash button deletes it (the password was confirmed moments ago in
    # this session, so it is not asked again); Account Security stays open, without the key.
    asked = web.delete_key(preferences, description, owner.password)
    assert not asked
    preferences = web.account_security()
    expect(preferences.locator("button[name=api_key_wizard]")).to_be_visible()
    expect(web.key_rows(preferences)).to_have_count(0)
    assert key_count(server, owner.uid) == 0
    assert authenticate(server, owner.login, key) is False


def test_browser_delete_asks_the_password_then_returns_to_the_list(server, web, owner):
    key = make_key(server, owner, "old script")
    web.login(owner.login, owner.password)  # a session of its own: the password was not confirmed in it
    preferences = web.open_account_security()
    assert web.delete_key(preferences, "old script", owner.password)
    preferences = web.account_security()
    expect(web.key_rows(preferences)).to_have_count(0)
    assert authenticate(server, owner.login, key) is False


def test_browser_key_does_not_log_in_to_the_web_client(server, web, owner):
    key = make_key(server, owner, "not for the web client")
    web.submit_login(owner.login, key)
    expect(web.page.locator(".alert-danger")).to_contain_text("Wrong login/password")
    assert web.page.url.split("?")[0].endswith("/web/login")
    expect(web.page.locator("input[name=password]")).to_be_visible()
    expect(web.page.locator(".o_user_menu")).to_have_count(0)
    assert authenticate(server, owner.login, key) == owner.uid  # the key itself is valid
    web.login(owner.login, owner.password)  # and so is the password, in the same browser


def test_browser_admin_deletes_a_users_key_from_the_user_form(server, web, owner):
    description = "Nightly export"
    key = make_key(server, owner, description)
    assert authenticate(server, owner.login, key) == owner.uid

    # Settings > Users > the user > Account Security.
    web.login("admin", "admin")
    form = web.open_user_form(owner.login)
    expect(form.locator(".oe_title")).to_contain_text("Alex Integrator")
    security = web.open_tab(form, "Account Security")
    expect(web.key_rows(security)).to_have_count(1)
    expect(web.key_rows(security, description)).to_have_count(1)
    web.shot("06-admin-user-keys")

    # The admin's own password is asked (a fresh session), then the form reloads without the key.
    asked = web.delete_key(security, description, "admin")
    assert asked
    expect(form.locator(".oe_title")).to_contain_text("Alex Integrator")
    assert key_count(server, owner.uid) == 0
    assert authenticate(server, owner.login, key) is False


def test_browser_admin_makes_a_key_for_an_integration_user(server, web, integration_user):
    description = "Webshop order sync"
    robot = integration_user

    # Settings > Users > the integration user > Account Security > New API Key.
    web.login("admin", "admin")
    form = web.open_user_form(robot.login)
    expect(form.locator(".oe_title")).to_contain_text("Webshop Connector")
    security = web.open_tab(form, "Account Security")
    expect(web.key_rows(security)).to_have_count(0)
    security.locator("button[name=api_key_wizard]").click()

    # The administrator confirms their own password, then describes the user's key: it never expires.
    web.confirm_password("admin")
    describe = web.dialog("New API Key")
    expect(describe.locator("[name=user_id]")).to_have_text("Webshop Connector")
    describe.locator("input[name=name]").fill(description)
    describe.locator("select[name=duration]").select_option(label="No expiry (administrators only)")
    web.shot("07-service-account")
    describe.locator("button[name=make_key]").click()

    # The key is the integration user's: it logs in as that user over XML-RPC.
    ready = web.dialog("API Key Ready")
    key = web.read_key(ready)
    assert authenticate(server, robot.login, key) == robot.uid
    assert server.execute_kw(robot.uid, key, "res.partner", "search_count", [[]]) > 0
    assert key_count(server, robot.uid) == 1
    assert key_count(server, ADMIN_UID) == 0  # none for the administrator
    ready.locator("button", has_text="Done").click()
    web.expect_no_dialog()

    # Back on the user's form, which lists it: made by the administrator, no expiry, used from this machine.
    expect(form.locator(".oe_title")).to_contain_text("Webshop Connector")
    security = web.open_tab(form, "Account Security")
    expect(web.key_rows(security, description)).to_have_count(1)
    expect(web.key_cell(security, description, "Created by")).to_have_text("Administrator")
    expect(web.key_cell(security, description, "Scope")).to_have_text("Full access")
    expect(web.key_cell(security, description, "Expires on")).to_be_empty()
    expect(web.key_cell(security, description, "Last used from")).to_have_text("127.0.0.1")


def test_browser_the_json2_documentation_gives_curl_commands_that_work(server, web):
    """/doc, for Settings users: a model's methods, each with a curl command to copy; run as shown, with a key
    of one's own, the command answers."""
    web.login("admin", "admin")
    web.page.goto(server.url + "/doc")
    expect(web.page.locator("h1")).to_have_text("JSON-2 API")
    web.page.click(".o_apikeys_doc_models a:has-text('res.partner')")
    expect(web.page.locator("h1 code")).to_have_text("res.partner")
    curl = web.page.locator("#search_read .o_apikeys_doc_curl")
    expect(curl).to_contain_text('-H "Authorization: bearer $ODOO_API_KEY"')
    web.shot("08-json2-doc")
    key = make_key(server, type("Admin", (), {"login": "admin", "uid": ADMIN_UID, "password": "admin"}),
                   "the documentation's example")
    environment = dict(os.environ, ODOO_URL=server.url, ODOO_DB=server.db, ODOO_API_KEY=key)
    answer = subprocess.run(["bash", "-c", curl.inner_text()], env=environment, capture_output=True, text=True,
                            check=True, timeout=60)
    assert json.loads(answer.stdout) == server.admin("res.partner", "search_read", [], fields=["display_name"])


def test_the_json2_documentation_is_for_settings_users_only(server, owner):
    client = WebClient(server)
    client.authenticate(owner.login, owner.password)
    with pytest.raises(urllib.error.HTTPError) as refused:
        client.opener.open(server.url + "/doc")
    assert refused.value.code == 403


def test_browser_users_and_administrators_read_the_key_events(server, web, owner):
    """Preferences lists the latest events of one's own keys; Settings > Users & Companies > API Key Events
    lists everyone's, for administrators, with its filters."""
    description = "Nightly export %s" % uuid.uuid4().hex[:4]
    key = make_key(server, owner, description)
    server.execute_kw(owner.uid, key, "res.partner", "search_count", [[]])
    key_id = server.admin("res.users.apikeys", "search", [("user_id", "=", owner.uid)])[0]
    admin = WebClient(server)
    admin.authenticate("admin", "admin")
    admin.delete_api_key(key_id, "admin")

    web.login(owner.login, owner.password)
    events = web.open_account_security().locator("[name=api_key_event_ids] .o_data_row")
    expect(events.filter(has_text=description)).to_have_count(3)
    expect(events.filter(has_text="By an administrator")).to_have_count(1)

    web.login("admin", "admin")
    web.page.click("a[data-menu-xmlid='base.menu_administration']")
    web.page.click("a[data-menu-xmlid='auth_apikeys.menu_res_users_apikeys_event']")
    rows = web.page.locator(".o_list_view .o_data_row", has_text=description)
    expect(rows).to_have_count(3)
    for event in ("Made", "Used from an address", "Deleted"):
        expect(rows.filter(has_text=event)).to_have_count(1)
    web.shot("09-api-key-events")


def opened_from_email(web, message):
    """Open the link a security e-mail gives, as a click in a mail reader does: a page load in
    a browser already logged in (on the test server: web.base.url may name another port)."""
    link = re.search(r"\S+/web#\S+", message.text).group(0)
    web.page.goto("about:blank")
    web.page.goto("%s/web#%s" % (web.server.url, link.split("#", 1)[1]))


def test_browser_a_security_emails_link_opens_the_keys_it_tells_about(server, web, smtp):
    """The user's e-mail opens their Preferences on Account Security; the administrators' copy,
    about a user without an address, opens that user's form."""
    point_odoo_at(server, smtp)
    user, description = user_with_address(server), "Told by e-mail %s" % uuid.uuid4().hex[:4]
    make_key(server, user, description)
    web.login(user.login, user.password)
    opened_from_email(web, smtp.wait_for(lambda m: user.email in m.rcpt_tos and description in m.text))
    expect(web.key_rows(web.account_security(), description)).to_have_count(1)

    robot, description = server.logged_in_user(), "Robot's key %s" % uuid.uuid4().hex[:4]
    admin_web(server).new_api_key(robot.uid, "admin", description)
    web.login("admin", "admin")
    opened_from_email(web, smtp.wait_for(lambda m: description in m.text))
    form = web.page.locator(".o_form_view")
    expect(form.locator(".oe_title")).to_contain_text(robot.login)
    expect(web.key_rows(web.open_tab(form, "Account Security"), description)).to_have_count(1)
