"""The browser tests with Odoo's apps installed (issue 12): the key lifecycle of
test_browser_flow.py through the Preferences form as mail extends it, on a server of
the apps template; the Preferences form when the apps came after the addon; and, on
both, the web client and the website's home page load with no error in the server's
log (Odoo 11's report templates in `web` refer to portal and website assets)."""
import re
import uuid

import pytest
from playwright.sync_api import expect, sync_playwright

from browser import FailureRecorder, WebPage, launch, warm_up
from odoo_servers import APPS_AFTER_TEMPLATE_DB, APPS_TEMPLATE_DB, OdooServer, copy_template
# Collected here again, with `server` and `browser` below.
from test_browser_flow import (  # noqa: F401
    integration_user, owner, test_browser_admin_makes_a_key_for_an_integration_user,
    test_browser_key_does_not_log_in_to_the_web_client, test_browser_key_lifecycle_from_preferences, web,
)


def apps_server(request, template, name):
    if not template:
        pytest.skip("no apps template: the apps are tested in the Python 3.11 leg, unless AUTH_APIKEYS_APPS=0")
    FailureRecorder.register(request.config)
    return OdooServer(copy_template(name, template))


@pytest.fixture(scope="module")
def server(request):
    """The apps first, then the addon; a server of its own, as in test_browser_flow.py."""
    odoo = apps_server(request, APPS_TEMPLATE_DB, "e2e_browser")
    yield odoo
    odoo.stop()


@pytest.fixture(scope="module")
def addon_first_server(request):
    """The addon first, then the apps on top."""
    odoo = apps_server(request, APPS_AFTER_TEMPLATE_DB, "e2e_browser")
    yield odoo
    odoo.stop()


@pytest.fixture(scope="module")
def chromium():
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser(chromium, server):
    warm_up(chromium, server)  # the login page and the web client, as admin: every asset loads
    return chromium


def error_lines(server):
    return re.findall(r"^\S+ \S+ \d+ (?:ERROR|CRITICAL) .*$", server.log(), re.M)


def load_website_home(chromium, server):
    page = WebPage(chromium, server)
    try:
        page.page.goto(server.url + "/", wait_until="load")
        expect(page.page.locator("#wrapwrap")).to_be_visible()
        assert not page.errors, page.errors
    finally:
        page.close()


def test_the_web_client_and_the_website_load_without_an_error_in_the_log(browser, server):
    load_website_home(browser, server)
    assert not error_lines(server), "\n".join(error_lines(server))


def test_preferences_when_the_apps_came_after_the_addon(request, chromium, addon_first_server):
    server = addon_first_server
    warm_up(chromium, server)
    load_website_home(chromium, server)
    password = "pw-%s" % uuid.uuid4().hex
    login, uid = server.create_user(password)
    view_id = server.admin("ir.model.data", "xmlid_to_res_id", "base.view_users_form_simple_modif")
    arch = server.execute_kw(uid, password, "res.users", "fields_view_get", [view_id, "form"])["arch"]
    assert 'string="Account Security"' in arch and 'name="api_key_ids"' in arch, arch
    assert 'name="notification_type"' in arch  # mail's extension

    page = WebPage(chromium, server)
    try:
        page.login(login, password)
        preferences = page.open_account_security()
        expect(preferences.locator("button[name=api_key_wizard]")).to_have_text("New API Key")
        expect(page.key_rows(preferences)).to_have_count(0)
        page.settle()
        assert not page.unexpected_errors(), page.unexpected_errors()
    except Exception:
        page.save_failure_artifacts(request.node.name, server.log_path.parent)
        raise
    finally:
        page.close()
    assert not error_lines(server), "\n".join(error_lines(server))
