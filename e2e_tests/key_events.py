"""Helpers of the security e-mail and audit trail tests (issue 17): a server whose e-mails go
to the tests' SMTP server, users with an e-mail address, the scheduled actions, the database."""
import subprocess
import time
import uuid

import pytest

from odoo_servers import OdooServer, WebClient, copy_template
from smtp_server import point_odoo_at

EVENT_FIELDS = ["event", "how", "key_id", "key_name", "user_id", "actor_id", "address", "scope", "expiration_date",
                "previous_key_id", "previous_key_name", "attempts", "user_login"]


def module_mail_server(name):
    """A module-scoped fixture: a server of the module's own whose e-mails go to the tests' SMTP server."""

    @pytest.fixture(scope="module")
    def odoo(smtp):
        server = mail_server(name, smtp)
        yield server
        server.stop()

    return odoo


def mail_server(name, smtp, template=None):
    """A server on a fresh database (of `template` if given) whose e-mails go to `smtp`."""
    server = OdooServer(copy_template(name, template) if template else copy_template(name))
    point_odoo_at(server, smtp)
    return server


def sql(server, query):
    return subprocess.run(["psql", "-qtAc", query, server.db], check=True, capture_output=True, text=True).stdout


def user_with_address(server, groups=None):
    """A fresh user logged in to the web client, with an e-mail address of its own (`.email`)."""
    user = server.logged_in_user(groups=groups)
    user.email = "%s@example.com" % user.login
    server.admin("res.users", "write", [user.uid], {"email": user.email})
    return user


def admin_web(server):
    web = WebClient(server)
    web.authenticate("admin", "admin")
    return web


def admin_addresses(server):
    users = server.admin("res.users", "search_read", [("groups_id.full_name", "=", "Administration / Settings"),
                                                      ("email", "!=", False)], ["email"])
    return {user["email"] for user in users}


def run_scheduled_action(server, xmlid):
    """Run a scheduled action as Settings > Technical > Scheduled Actions > Run Manually does."""
    cron_id = server.admin("ir.model.data", "xmlid_to_res_id", xmlid)
    server.admin("ir.cron", "method_direct_trigger", [cron_id])


def events(server, **where):
    domain = [(name, "=", value) for name, value in where.items()]
    return server.admin("res.users.apikeys.event", "search_read", domain, EVENT_FIELDS, order="id")


def key_id_of(server, uid, name):
    return server.admin("res.users.apikeys", "search", [("user_id", "=", uid), ("name", "=", name)])[0]


def sent_to(smtp, address):
    return [message for message in smtp.messages if address in message.rcpt_tos]


def settle(seconds=1.5):
    """Give an e-mail that should not be sent the time it would take to arrive."""
    time.sleep(seconds)


def description():
    return "key %s" % uuid.uuid4().hex[:8]
