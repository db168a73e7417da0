"""A mail alias never routes incoming mail as another user on an employee's say (issue 15:
safe_eval paths). Odoo 11's gateway (`mail.thread.message_process`, public) creates a record
for each mail sent to an alias, as the alias's owner, with its default values (a dict evaluated
server-side); every employee may write aliases. The holder of an employee's key or web session
tries to make one create a Settings user for them."""
import uuid

import pytest

from odoo_servers import ADMIN_UID, WebClient
from both_modes import apps_server_in_both_modes
from test_template_rendering import CALLERS

server = apps_server_in_both_modes("aliases")


@pytest.fixture(params=["internal key", "internal web session"])
def employee(request, server):
    return CALLERS[request.param](server)


def mail_to(alias_name, subject="Hello"):
    return ("From: someone@attacker.example\r\nTo: %s@example.com\r\nSubject: %s\r\nMessage-Id: <%s@attacker.example>"
            "\r\n\r\nHello\r\n" % (alias_name, subject, uuid.uuid4().hex))


def alias_values(server, owner, defaults):
    partners = server.admin("ir.model", "search", [("model", "=", "res.partner")])[0]
    return {"alias_name": "a%s" % uuid.uuid4().hex[:10], "alias_model_id": partners, "alias_user_id": owner,
            "alias_defaults": defaults}


def test_an_alias_creates_no_settings_user_for_an_employee(server, employee):  # noqa: F811
    settings_group = server.admin("ir.model.data", "xmlid_to_res_id", "base.group_system")
    login = "evil-%s" % uuid.uuid4().hex[:8]
    defaults = repr({"user_ids": [(0, 0, {"login": login, "name": login, "password": "evil-pw",
                                          "groups_id": [(6, 0, [settings_group])]})]})
    answers = []
    for owner in (ADMIN_UID, False):  # the superuser, or nobody: the user who runs the gateway
        values = alias_values(server, owner, defaults)
        answers.append(employee.answer("mail.alias", "create", [values]))
        answers.append(employee.answer("mail.thread", "message_process", [False, mail_to(values["alias_name"])]))
    mine = alias_values(server, employee.uid, "{}")
    alias_id = int(employee.answer("mail.alias", "create", [mine]))
    for changes in ({"alias_defaults": defaults, "alias_user_id": ADMIN_UID}, {"alias_user_id": False}):
        answers.append(employee.answer("mail.alias", "write", [[alias_id], dict(changes, alias_defaults=defaults)]))
        answers.append(employee.answer("mail.thread", "message_process", [False, mail_to(mine["alias_name"])]))
    assert not WebClient(server).authenticate(login, "evil-pw").get("uid"), answers
    assert not server.admin("res.users", "search", [("login", "=", login)], context={"active_test": False})
    assert not server.admin("mail.alias", "search_count", [("alias_defaults", "like", login)]), answers


def test_an_employees_own_alias_still_routes_mail_with_their_rights(server, employee):  # noqa: F811
    subject = "Lead %s" % uuid.uuid4().hex[:8]
    values = alias_values(server, employee.uid, repr({"comment": "from my alias"}))
    assert employee.answer("mail.alias", "create", [values]).isdigit()
    partner_id = employee.call("mail.thread", "message_process", [False, mail_to(values["alias_name"], subject)])
    partner = server.admin("res.partner", "read", [partner_id], ["name", "comment", "create_uid"])[0]
    assert (partner["name"], partner["comment"], partner["create_uid"][0]) == (subject, "from my alias", employee.uid)
