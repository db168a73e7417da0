"""The Odoo 11 web client in headless Chromium (Playwright), driven the way a
person clicks through it: log in, user menu > Preferences > Account Security,
the key wizards, the user form in Settings.

Every helper waits on what the page shows (a dialog's title, a row, a text),
never on a fixed delay."""
import contextlib
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from odoo_servers import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"  # Debian's Chromium: Playwright never downloads a browser here
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 30000  # the first page of a fresh database compiles the asset bundles
# Set to a folder to save the documentation's screenshots there (devenv/screenshots.sh).
SCREENSHOTS = os.environ.get("AUTH_APIKEYS_SCREENSHOTS")
KEY_RE = re.compile(r"[0-9a-f]{40}")
DATETIME_FORMAT = "%m/%d/%Y %H:%M:%S"  # how Odoo 11 shows a datetime in English (US)

expect.set_options(timeout=TIMEOUT_MS)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


class FailureRecorder:
    """Pytest plugin: keeps each phase's report on the test item, so that a
    fixture can tell in its teardown whether the test failed."""

    name = "auth_apikeys_browser_failures"

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        setattr(item, "report_" + report.when, report)

    @classmethod
    def register(cls, config):
        if not config.pluginmanager.has_plugin(cls.name):
            config.pluginmanager.register(cls(), cls.name)

    @staticmethod
    def failed(item):
        return any(getattr(getattr(item, "report_" + when, None), "failed", False) for when in ("setup", "call"))


class WebPage:
    """One browser session (a Playwright context and its page) on an Odoo server."""

    def __init__(self, browser, server):
        self.server = server
        self.context = browser.new_context(viewport=VIEWPORT)
        self.context.set_default_timeout(TIMEOUT_MS)
        # "Copy" is checked through the real clipboard.
        self.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        self.page = self.context.new_page()
        self.console = []  # every console message and page error, for the failure artifacts
        self.errors = []  # console errors and uncaught exceptions
        self.allowed_errors = []  # substrings of errors a test provokes on purpose
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_pageerror)
        self.page.on("response", self._on_response)

    def _on_console(self, message):
        self.console.append("%s: %s" % (message.type, message.text))
        if message.type == "error":
            self.errors.append(message.text)

    def _on_pageerror(self, error):
        self.console.append("pageerror: %s" % error)
        self.errors.append("uncaught: %s" % error)

    def _on_response(self, response):
        if response.status >= 400:  # the console says "Failed to load resource", without the address
            self.console.append("HTTP %s: %s %s" % (response.status, response.request.method, response.url))
            self.errors.append("HTTP %s: %s" % (response.status, response.url))

    def allow_console_error(self, text):
        """Odoo logs every RPC error to the console, the ones a test provokes too."""
        self.allowed_errors.append(text)

    def unexpected_errors(self):
        return [e for e in self.errors if not any(text in e for text in self.allowed_errors)]

    def close(self):
        self.context.close()

    def save_failure_artifacts(self, name, artifacts):
        artifacts.mkdir(exist_ok=True)
        stem = "%s-%s" % (self.server.db, re.sub(r"[^\w.-]+", "_", name))  # two checkouts may run at once
        try:
            self.page.screenshot(path=str(artifacts / (stem + ".png")), full_page=True)
        except Exception as error:  # a crashed page must not hide the test's own failure
            self.console.append("screenshot failed: %s" % error)
        (artifacts / (stem + "-console.log")).write_text("\n".join(self.console) + "\n")
        self.server.log_file.flush()
        shutil.copyfile(str(self.server.log_path), str(artifacts / (stem + "-server.log")))

    def shot(self, name):
        """A documentation screenshot, when AUTH_APIKEYS_SCREENSHOTS names a folder."""
        if SCREENSHOTS:
            self.settle()
            Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SCREENSHOTS) / (name + ".png")), animations="disabled")

    def settle(self):
        """No call to the server under way: the "Loading" badge is gone (it fades out)."""
        expect(self.page.locator(".o_loading")).to_be_hidden()

    # --- pages and dialogs -------------------------------------------------

    def dialog(self, title):
        """The open dialog (`.modal`) whose title is `title`."""
        return self.page.locator(".modal.in", has=self.page.locator(".modal-title", has_text=title))

    def expect_no_dialog(self):
        expect(self.page.locator(".modal")).to_have_count(0)

    def submit_login(self, login, password):
        self.page.goto("%s/web/login?db=%s" % (self.server.url, self.server.db))
        self.page.fill("input[name=login]", login)
        self.page.fill("input[name=password]", password)
        self.page.click("form button[type=submit]")

    def login(self, login, password):
        self.submit_login(login, password)
        expect(self.page.locator(".o_user_menu")).to_be_visible()

    def open_account_security(self):
        """User menu (top right) > Preferences > tab "Account Security"; returns the dialog."""
        self.page.click(".o_user_menu > a")
        self.page.click(".o_user_menu a[data-menu=settings]")
        return self.account_security()

    def account_security(self):
        """The Preferences dialog, open on its "Account Security" tab, in sight
        without scrolling (above the signature editor)."""
        dialog = self.dialog("Change My Preferences")
        tab = dialog.locator(".o_notebook .nav-tabs a[role=tab]", has_text="Account Security")
        expect(tab).to_be_in_viewport()
        self.open_tab(dialog, "Account Security")
        return dialog

    def open_tab(self, scope, name):
        tab = scope.locator(".o_notebook .nav-tabs a[role=tab]", has_text=name)
        tab.click()
        tab.blur()  # no focus ring on the tab in the screenshots
        page = scope.locator(".o_notebook .tab-pane.active")
        expect(page.locator("[name=api_key_ids]")).to_be_visible()
        return page

    def key_rows(self, scope, description=None):
        rows = scope.locator("[name=api_key_ids] .o_data_row")
        return rows.filter(has_text=description) if description else rows

    def key_cell(self, scope, description, column):
        """The cell of the key's row under the column headed `column` ("Scope", "Expires on" ...)."""
        row = self.key_rows(scope, description)
        expect(row).to_have_count(1)
        headers = [text.strip() for text in scope.locator("[name=api_key_ids] thead th").all_inner_texts()]
        assert column in headers, headers
        return row.locator("td").nth(headers.index(column))

    def key_datetime(self, scope, description, column):
        """The datetime in a key's cell, in the browser's time zone (naive)."""
        return datetime.strptime(self.key_cell(scope, description, column).inner_text().strip(), DATETIME_FORMAT)

    def open_user_form(self, login):
        """Settings > Users > the user's row; returns the form."""
        self.page.click("a[data-menu-xmlid='base.menu_administration']")
        self.page.click("a[data-menu-xmlid='base.menu_action_res_users']")
        self.page.locator(".o_list_view .o_data_row", has_text=login).click()
        return self.page.locator(".o_form_view")

    def confirm_password(self, password):
        """Type the password in the "Security Control" dialog and confirm it."""
        dialog = self.dialog("Security Control")
        dialog.locator("input[name=password]").fill(password)
        dialog.locator("button[name=run_check]").click()
        return dialog

    def error_dialog(self):
        """Odoo's warning or error dialog (a UserError, an AccessError ...)."""
        return self.page.locator(".modal.in", has=self.page.locator(".o_dialog_warning, .o_dialog_error"))

    def dismiss_error(self):
        dialog = self.error_dialog()
        dialog.locator(".modal-footer button", has_text="Ok").click()
        expect(dialog).to_have_count(0)

    def delete_key(self, scope, description, password):
        """The trash button on a key's row, confirming the password if asked.
        Returns whether the password was asked. Once the key is deleted the
        Preferences dialog shows the list again, or the user form (Settings > Users) reloads."""
        button = self.key_rows(scope, description).locator("button[title='Delete API Key']")
        with self.page.expect_response(lambda r: r.url.endswith("/web/dataset/call_button")) as response:
            button.click()
        asked = response.value.json()["result"].get("res_model") == "res.users.identitycheck"
        if asked:
            self.confirm_password(password)
            expect(self.dialog("Security Control")).to_have_count(0)
        expect(self.key_rows(scope, description)).to_have_count(0)
        return asked

    def read_key(self, dialog):
        """Select the key shown in the "API Key Ready" dialog and copy it, as a person would."""
        value = dialog.locator(".o_apikey_value")
        expect(value).to_have_text(KEY_RE)
        value.dblclick()
        selected = self.page.evaluate("window.getSelection().toString()").strip()
        self.page.keyboard.press("Control+C")
        copied = self.page.evaluate("navigator.clipboard.readText()").strip()
        shown = value.inner_text().strip()
        assert selected == shown and copied == shown, (shown, selected, copied)
        return copied


def checked_page(request, browser, server):
    """A fresh browser session for a test (a generator, for its fixture). On
    failure: screenshot, console and server log in artifacts/. Any console
    error or uncaught exception the test did not provoke on purpose fails it."""
    page = WebPage(browser, server)
    yield page
    try:
        if FailureRecorder.failed(request.node):
            page.save_failure_artifacts(request.node.name, ARTIFACTS)
        else:
            unexpected = page.unexpected_errors()
            if unexpected:
                page.save_failure_artifacts(request.node.name, ARTIFACTS)
            assert not unexpected, "errors in the browser console:\n%s" % "\n".join(unexpected)
    finally:
        page.close()


def warm_up(browser, server, attempts=3):
    """Load the login page, then the web client as admin, until every asset loads.

    Odoo 11 builds its asset bundles on the first pages it serves. When
    requests overlap then (OdooServer's start-up probe retries while the first
    page is still being built), one request can drop the bundle another one
    just linked, and that page gets a 404 on its CSS. Loading the pages once
    before the tests keeps that start-up race out of their console checks;
    an asset that still fails after `attempts` loads is a real failure."""
    errors = []
    for _attempt in range(attempts):
        web = WebPage(browser, server)
        try:
            web.page.goto("%s/web/login?db=%s" % (server.url, server.db), wait_until="load")
            if not web.errors:
                web.login("admin", "admin")
                web.page.wait_for_load_state("load")
                web.settle()
            errors = web.errors
            if not errors:
                return
        finally:
            web.close()
    raise AssertionError("the web client does not load cleanly:\n%s" % "\n".join(errors))


@contextlib.contextmanager
def warmed_up_chromium(server):
    """Debian's Chromium, once `server` served its assets cleanly (warm_up)."""
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            warm_up(chromium, server)
            yield chromium
        finally:
            chromium.close()
