"""Template code a caller wrote never runs as anybody else (issue 15, item 2), with mail installed.

Odoo 11's mail renders e-mail templates (jinja, with `${...}` and `% ...` lines) in a sandbox
that lets `object.sudo()`, `.env`, `with_context(...)` and the superuser-bound `user` through,
and `mail.template.render_template` is public. The holder of any internal or portal key, or of
a plain employee's web session, tries it every way mail renders: render_template, a template
of their own (generate_email, send_mail), the composer in mass-mail mode over RPC and in the
web client. No hash comes back or lands in a mail, and admin's password stays."""
import subprocess
import uuid
import xmlrpc.client

import pytest
from playwright.sync_api import expect

from browser import WebPage, warmed_up_chromium
from both_modes import apps_server_in_both_modes
from odoo_servers import ADMIN_UID, JsonRpcError, WebClient

REFUSED = (xmlrpc.client.Fault, JsonRpcError)
TAKEN_OVER = "taken-over"
ADMINS_USERS = "object.sudo().env['res.users'].browse(%d)" % ADMIN_UID
# Rendered on admin's own res.users record: every way to the hash that Odoo 11's sandbox lets through.
HASH_ESCAPES = [
    "${%s.password_crypt}" % ADMINS_USERS,
    "${object.password_crypt}",  # through the record cache, past res.users' masking in read()
    "${user.env['res.users'].browse(%d).password_crypt}" % ADMIN_UID,  # Odoo 11's `user` is the superuser's
    "${user.company_id.user_ids.mapped('password_crypt')}",
    "${object.with_context(active_test=False).sudo().password_crypt}",
    "${object.with_env(object.env(user=%d)).password_crypt}" % ADMIN_UID,
    "${object['password_crypt']}",
    "${object|attr('sudo')}",
    "% set users = user.company_id.user_ids\n${users|map(attribute='password_crypt')|join(',')}",
]
WRITE_ESCAPES = [
    "${%s.write({'password': '%s'})}" % (ADMINS_USERS, TAKEN_OVER),
    "${user.env['res.users'].browse(%d).write({'password': '%s'})}" % (ADMIN_UID, TAKEN_OVER),
    "${(user.company_id.user_ids|selectattr('id', 'equalto', %d)|first).write({'password': '%s'})}"
    % (ADMIN_UID, TAKEN_OVER),
]
ESCAPES = HASH_ESCAPES + WRITE_ESCAPES


server = apps_server_in_both_modes("templates")


def psql(db, query):
    return subprocess.run(["psql", "-tAc", query, db], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def admins_hash(server):
    """Admin's password hash; should an attack set admin's password, the old one is put back for the next tests."""
    saved = psql(server.db, "SELECT password_crypt FROM res_users WHERE id = %d" % ADMIN_UID)
    yield saved
    psql(server.db, "UPDATE res_users SET password_crypt = '%s' WHERE id = %d" % (saved, ADMIN_UID))


class Caller:
    """Someone who calls model methods: with a key over XML-RPC, or with a web session."""

    def __init__(self, server, uid, key=None, web=None):
        self.server, self.uid, self.key, self.web = server, uid, key, web

    def call(self, model, method, args, kwargs=None):
        if self.key:
            return self.server.execute_kw(self.uid, self.key, model, method, args, kwargs)
        return self.web.call_kw(model, method, args, kwargs)

    def answer(self, model, method, args, kwargs=None):
        """What the caller gets back: the result, or the error's text."""
        try:
            return str(self.call(model, method, args, kwargs))
        except REFUSED as error:
            return str(error)


def internal_key(server):
    user = server.logged_in_user()
    return Caller(server, user.uid, key=user.web.new_api_key(user.uid, user.password, "integration"))


def portal_key(server):
    login, uid = server.create_user("pw-%s" % uuid.uuid4().hex, groups=["base.group_portal"])
    admin = WebClient(server)
    admin.authenticate("admin", "admin")
    return Caller(server, uid, key=admin.new_api_key(uid, "admin", "customer's integration"))


def internal_session(server):
    user = server.logged_in_user()
    return Caller(server, user.uid, web=user.web)


CALLERS = {"internal key": internal_key, "portal key": portal_key, "internal web session": internal_session}


@pytest.fixture(params=list(CALLERS))
def caller(request, server):
    return CALLERS[request.param](server)


@pytest.fixture(params=["internal key", "internal web session"])
def employee(request, server):
    """Callers who may write mail.template in Odoo 11 (every internal user may)."""
    return CALLERS[request.param](server)


def assert_no_hash_and_admin_unchanged(server, admins_hash, answers):
    for answer in answers:
        assert "$pbkdf2" not in answer and admins_hash not in answer, answer
    for table, columns in (("mail_mail", "body_html"), ("mail_message", "coalesce(subject, '') || coalesce(body, '')")):
        found = psql(server.db, "SELECT count(*) FROM %s WHERE position('$pbkdf2' in %s) > 0" % (table, columns))
        assert found == "0", "a password hash was rendered into %s" % table
    assert psql(server.db, "SELECT password_crypt FROM res_users WHERE id = %d" % ADMIN_UID) == admins_hash
    assert not WebClient(server).authenticate("admin", TAKEN_OVER).get("uid")
    assert WebClient(server).authenticate("admin", "admin")["uid"] == ADMIN_UID


def test_render_template_runs_no_callers_escape(server, caller, admins_hash):
    answers = []
    for escape in ESCAPES:
        for model in ("mail.template", "mail.compose.message"):
            # one record (a list of them would answer a dict with integer keys, which XML-RPC cannot send)
            answers.append(caller.answer(model, "render_template", [escape, "res.users", ADMIN_UID]))
    answers.append(caller.answer("mail.template", "render_template", [ESCAPES[0], "res.users", ADMIN_UID],
                                 {"post_process": True}))
    assert_no_hash_and_admin_unchanged(server, admins_hash, answers)


def users_model_id(server):
    return server.admin("ir.model", "search", [("model", "=", "res.users")])[0]


def test_a_template_with_an_escape_neither_renders_nor_sends(server, employee, admins_hash):
    """The employee writes a template of their own, and slips an escape into a stored one
    that someone else (here admin) renders later."""
    answers = []
    stored_id = server.admin("mail.template", "create", {
        "name": "Welcome", "model_id": users_model_id(server), "subject": "Welcome ${object.name}"})
    for escape in ESCAPES:
        values = {"name": "mine", "model_id": users_model_id(server), "subject": escape, "body_html": escape,
                  "email_to": escape, "lang": escape}
        template_id = employee.answer("mail.template", "create", [values])
        if template_id.isdigit():
            for method, args in (("generate_email", [[int(template_id)], ADMIN_UID]),
                                 ("send_mail", [[int(template_id)], ADMIN_UID])):
                answers.append(employee.answer("mail.template", method, args))
        answers.append(employee.answer("mail.template", "write", [[stored_id], {"body_html": escape}]))
        answers.append(str(server.admin("mail.template", "generate_email", [stored_id], ADMIN_UID)))
    assert_no_hash_and_admin_unchanged(server, admins_hash, answers)


def test_the_composer_runs_no_callers_escape(server, caller, admins_hash):
    """mail.compose.message in mass-mail mode renders its own subject and body, over RPC."""
    answers = []
    context = {"active_model": "res.users", "active_ids": [ADMIN_UID]}
    for escape in ESCAPES:
        values = {"composition_mode": "mass_mail", "model": "res.users", "subject": escape, "body": escape,
                  "email_from": "someone@example.com", "reply_to": escape}
        wizard_id = caller.answer("mail.compose.message", "create", [values], {"context": context})
        if wizard_id.isdigit():
            ids = [int(wizard_id)]
            for method, args in (("render_message", [ids, ADMIN_UID]), ("get_mail_values", [ids, [ADMIN_UID]]),
                                 ("send_mail", [ids])):
                answers.append(caller.answer("mail.compose.message", method, args, {"context": context}))
    assert_no_hash_and_admin_unchanged(server, admins_hash, answers)


def test_a_settings_user_renders_template_code_but_no_escape(server, admins_hash):
    admin = server.logged_in_user(groups=["base.group_user", "base.group_system"])
    settings = Caller(server, admin.uid, key=admin.web.new_api_key(admin.uid, admin.password, "mailing script"))
    partner_id = server.admin("res.partner", "create", {"name": "Ada Lovelace"})
    rendered = settings.call("mail.template", "render_template", ["Dear ${object.name}", "res.partner", partner_id])
    assert rendered == "Dear Ada Lovelace"
    answers = [settings.answer("mail.template", "render_template", [escape, "res.users", [ADMIN_UID]])
               for escape in ESCAPES]
    assert_no_hash_and_admin_unchanged(server, admins_hash, answers)


def test_stored_templates_keep_working_for_employees(server):
    """The quotation e-mail (sale's template, which calls with_context), and a mass mailing with a
    template that an administrator wrote, sent by an employee with a web session."""
    salesman = server.logged_in_user(groups=["base.group_user", "sales_team.group_sale_salesman"])
    server.admin("res.users", "write", [salesman.uid], {"email": "%s@example.com" % salesman.login})
    partner_id = server.admin("res.partner", "create", {"name": "Grace Hopper", "email": "grace@example.com"})
    order_id = server.admin("sale.order", "create", {"partner_id": partner_id, "user_id": salesman.uid})
    order_name = server.admin("sale.order", "read", [order_id], ["name"])[0]["name"]
    action = salesman.web.call_button("sale.order", "action_quotation_send", [order_id])
    context = action["context"]
    # No wkhtmltopdf on these machines: the quotation goes without its PDF, its text as sale wrote it.
    server.admin("mail.template", "write", [context["default_template_id"]], {"report_template": False})
    wizard_id = salesman.web.call_kw("mail.compose.message", "create", [{}], {"context": context})
    values = salesman.web.call_kw("mail.compose.message", "onchange_template_id", [
        [wizard_id], context["default_template_id"], "comment", "sale.order", order_id])["value"]
    assert order_name in values["subject"] and "Grace Hopper" in values["body"]
    salesman.web.call_kw("mail.compose.message", "write", [[wizard_id], values])
    salesman.web.call_kw("mail.compose.message", "send_mail", [[wizard_id]], {"context": context})
    bodies = [m["body"] for m in server.admin("mail.message", "search_read", [
        ("model", "=", "sale.order"), ("res_id", "=", order_id), ("message_type", "=", "comment")], ["body"])]
    assert any("Grace Hopper" in body for body in bodies), bodies

    template_id = server.admin("mail.template", "create", {
        "name": "News", "model_id": server.admin("ir.model", "search", [("model", "=", "res.partner")])[0],
        "subject": "News for ${object.name}", "body_html": "<p>Hello ${object.name}</p>"})
    context = {"active_model": "res.partner", "active_ids": [partner_id], "default_model": "res.partner",
               "default_composition_mode": "mass_mail", "default_template_id": template_id}
    wizard_id = salesman.web.call_kw("mail.compose.message", "create", [{}], {"context": context})
    values = salesman.web.call_kw("mail.compose.message", "onchange_template_id", [
        [wizard_id], template_id, "mass_mail", "res.partner", False])["value"]
    values["body"] = values["body"].replace("<p>Hello", "<p>Dear reader,</p><p>Hello")  # reworded, same code
    salesman.web.call_kw("mail.compose.message", "write", [[wizard_id], values])
    salesman.web.call_kw("mail.compose.message", "send_mail", [[wizard_id]], {"context": context})
    sent = server.admin("mail.mail", "search_read", [("subject", "=", "News for Grace Hopper")], ["body_html"])
    assert sent and "Dear reader,</p><p>Hello Grace Hopper" in sent[0]["body_html"], sent
    # The employee rewords the template itself: its code stays the administrator's.
    salesman.web.call_kw("mail.template", "write", [[template_id], {"body_html": "<p>Hi ${object.name}!</p>"}])


# --- In the web client -------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser(apps_server):
    with warmed_up_chromium(apps_server) as chromium:
        yield chromium


def test_browser_the_mass_mail_composer_runs_no_escape(request, browser, apps_server):
    """A plain employee selects a contact, opens Action > Partner Mass Mailing, types an escape
    into the subject and sends: nothing of it reaches admin's account."""
    server = apps_server
    admins_hash = psql(server.db, "SELECT password_crypt FROM res_users WHERE id = %d" % ADMIN_UID)
    password = "pw-%s" % uuid.uuid4().hex
    login, uid = server.create_user(password)
    server.admin("res.users", "write", [uid], {"email": "%s@example.com" % login})  # the composer's sender
    partner_id = server.admin("res.partner", "create", {"name": "Target %s" % login, "email": "t@example.com"})
    escape = ("${object.sudo().env['res.users'].browse(%d).write({'password': '%s'})}"
              "${object.sudo().env['res.users'].browse(%d).password_crypt}" % (ADMIN_UID, TAKEN_OVER, ADMIN_UID))
    page = WebPage(browser, server)
    try:
        page.allow_console_error("Only administrators")
        page.login(login, password)
        page.page.goto("%s/web#action=contacts.action_contacts&view_type=list" % server.url)
        row = page.page.locator(".o_list_view .o_data_row", has_text="Target %s" % login)
        row.locator(".o_list_record_selector input").check()
        page.page.locator(".o_cp_sidebar .o_dropdown_toggler_btn", has_text="Action").click()
        page.page.locator(".o_cp_sidebar a", has_text="Partner Mass Mailing").click()
        send = page.page.locator(".modal.in button.o_mail_send")
        page.page.locator(".modal.in input[name=subject]").fill(escape)
        with page.page.expect_response(lambda response: response.url.endswith("/web/dataset/call_button")):
            send.click()
        # Sent (the composer closes), or refused (an error dialog over the composer).
        page.page.wait_for_function("document.querySelector('.o_dialog_warning, .o_dialog_error')"
                                    " || !document.querySelector('.modal.in .o_mail_send')")
        if page.error_dialog().count():
            expect(page.error_dialog()).to_contain_text("Only administrators")
    except Exception:
        page.save_failure_artifacts(request.node.name, server.log_path.parent)
        raise
    finally:
        page.close()
        if psql(server.db, "SELECT password_crypt FROM res_users WHERE id = %d" % ADMIN_UID) != admins_hash:
            psql(server.db, "UPDATE res_users SET password_crypt = '%s' WHERE id = %d" % (admins_hash, ADMIN_UID))
            pytest.fail("the employee's subject set admin's password")
    assert psql(server.db, "SELECT count(*) FROM mail_mail m JOIN mail_message s ON s.id = m.mail_message_id "
                           "WHERE s.res_id = %d AND s.model = 'res.partner' AND position('$pbkdf2' in s.subject) > 0"
                           % partner_id) == "0"


def test_an_employee_cannot_slip_code_into_a_templates_translation(server, employee):
    """mail renders a template's translated subject and body: they are template code too."""
    template_id = server.admin("mail.template", "create", {
        "name": "Translated", "model_id": users_model_id(server), "body_html": "<p>Hello</p>"})
    translation = {"name": "mail.template,body_html", "res_id": template_id, "lang": "en_US", "type": "model",
                   "src": "<p>Hello</p>", "state": "translated"}
    answer = employee.answer("ir.translation", "create", [dict(translation, value=WRITE_ESCAPES[0])])
    assert "Only administrators" in answer, answer
    assert employee.answer("ir.translation", "create", [dict(translation, value="<p>Bonjour</p>")]).isdigit()
