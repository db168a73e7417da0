"""A new password never reaches a log, not even when its change meets a
concurrent update of the user's row.

Odoo 11 wrote the new password in clear into res_users.password (auth_crypt
hashed it just after): when that UPDATE met a concurrent one, it failed with
a serialization error, and both Odoo ("bad query: ...", at ERROR) and
PostgreSQL (the failing statement) logged it with the password, before Odoo
retried. The password changes run here against concurrent writes of the same
row until the log shows such a failure; then no password may be in any log."""
import re
import subprocess
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from both_modes import server_in_both_modes
from odoo_servers import APPS_TEMPLATE_DB, OdooServer, WebClient, copy_template
from private_postgres import PrivatePostgres

SERIALIZATION_FAILURE = "could not serialize access"
# Each round races password changes against other writes of the row, until the log shows enough failures
# that some were password changes' (half the writes are).
FAILURES, MAX_ROUNDS = 12, 150

any_server = server_in_both_modes("pwlog")


def new_password():
    return "pw-%s" % uuid.uuid4().hex


def race_password_changes(server, failures):
    """Change a user's password (admin's write, the user's own change_password) while
    other clients write the same row, round after round, until `failures()` counts
    FAILURES or MAX_ROUNDS. Returns every password sent, and whether they were seen."""
    login, uid = server.create_user(new_password())
    own_password = [new_password()]
    server.admin("res.users", "write", [uid], {"password": own_password[0]})
    sent = list(own_password)

    def admin_sets_password():
        password = new_password()
        sent.append(password)
        server.admin("res.users", "write", [uid], {"password": password})
        own_password[0] = password

    def user_changes_password():
        password = new_password()
        sent.append(password)
        try:
            server.execute_kw(uid, own_password[0], "res.users", "change_password", [own_password[0], password])
            own_password[0] = password
        except Exception:  # the admin changed it meanwhile: the old password is no longer right
            pass

    def other_write():
        server.admin("res.users", "write", [uid], {"signature": "<p>%s</p>" % uuid.uuid4().hex})

    with ThreadPoolExecutor(6) as pool:
        for _ in range(MAX_ROUNDS):
            jobs = [admin_sets_password, other_write, user_changes_password, other_write, admin_sets_password,
                    other_write]
            for future in [pool.submit(job) for job in jobs]:
                future.result()
            if failures() >= FAILURES:
                return sent, True
    return sent, False


def leaked(passwords, log):
    return [password for password in passwords if password in log]


def test_a_password_change_racing_other_writes_logs_no_password(any_server):
    sent, seen = race_password_changes(any_server, lambda: any_server.log().count(SERIALIZATION_FAILURE))
    assert seen, "fewer than %s serialization failures in %s rounds: the race was not met" % (FAILURES, MAX_ROUNDS)
    log = any_server.log()
    assert not leaked(sent, log)
    bad_queries = [line for line in log.splitlines() if "bad query:" in line]
    assert bad_queries and not [line for line in bad_queries if "pbkdf2" in line], bad_queries[:3]


@pytest.fixture(scope="module")
def postgres(request):
    """A cluster of the module's own, with PostgreSQL's default logging: the statement of every error."""
    cluster = PrivatePostgres("pwlog")
    request.addfinalizer(cluster.stop)
    cluster.start()
    return cluster


def postgres_log(cluster):
    with open(cluster.log_path, encoding="utf-8", errors="replace") as log:
        return log.read()


def test_postgres_logs_no_password_of_a_change_racing_other_writes(request, postgres):
    """log_min_error_statement keeps its default: PostgreSQL logs the statement of every error."""
    db = postgres.copy_database(copy_template("pwlog_pg"))
    odoo = OdooServer(db, workers=2, name="pwlog-pg", db_host=postgres.folder, db_port=postgres.port)
    request.addfinalizer(odoo.stop)
    sent, seen = race_password_changes(odoo, lambda: postgres_log(postgres).count(SERIALIZATION_FAILURE))
    assert seen, "fewer than %s serialization failures in %s rounds: the race was not met" % (FAILURES, MAX_ROUNDS)
    log = postgres_log(postgres)
    assert not leaked(sent, log)
    assert "pbkdf2" not in log


def reset_password_by_token(server, uid, password):
    """A reset token, as "Send reset password instructions" makes (without the mail: no SMTP here);
    its link to /web/reset_password, where the user types `password`."""
    partner_id = server.admin("res.users", "read", [uid], ["partner_id"])[0]["partner_id"][0]
    server.admin("res.partner", "signup_prepare", [partner_id], signup_type="reset")
    token = server.admin("res.partner", "read", [partner_id], ["signup_token"])[0]["signup_token"]
    web = WebClient(server)
    url = server.url + "/web/reset_password?" + urllib.parse.urlencode({"db": server.db, "token": token})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.opener.open(url).read().decode()).group(1)
    form = {"csrf_token": csrf, "token": token, "password": password, "confirm_password": password}
    web.opener.open(url, urllib.parse.urlencode(form).encode()).read()


def test_no_password_change_sends_the_password_in_sql(request):
    """With PostgreSQL logging every statement: creating a user with a password, an
    administrator's write, change_password over RPC, the web client's Change
    Password and /web/reset_password (auth_signup) each write the hash only.
    (Checking a password still compares it in SQL: Odoo 11's base does, before auth_crypt.)"""
    if not APPS_TEMPLATE_DB:
        pytest.skip("no apps template: auth_signup is tested in the Python 3.11 leg, unless AUTH_APIKEYS_APPS=0")
    cluster = PrivatePostgres("pwsql")
    request.addfinalizer(cluster.stop)
    cluster.start()
    subprocess.run(["psql", "-qh", cluster.folder, "-p", str(cluster.port), "-d", "postgres", "-c",
                    "ALTER SYSTEM SET log_statement = 'all'", "-c", "SELECT pg_reload_conf()"],
                   check=True, stdout=subprocess.DEVNULL)
    db = cluster.copy_database(copy_template("pwsql", APPS_TEMPLATE_DB))
    odoo = OdooServer(db, name="pwsql", db_host=cluster.folder, db_port=cluster.port)
    request.addfinalizer(odoo.stop)
    passwords = [new_password() for _ in range(5)]
    login, uid = odoo.create_user(passwords[0])
    odoo.admin("res.users", "write", [uid], {"password": passwords[1]})
    odoo.execute_kw(uid, passwords[1], "res.users", "change_password", [passwords[1], passwords[2]])
    web = WebClient(odoo)
    web.authenticate(login, passwords[2])
    assert "new_password" in web.change_password(passwords[2], passwords[3])
    reset_password_by_token(odoo, uid, passwords[4])
    assert odoo.xmlrpc("common").authenticate(odoo.db, login, passwords[4], {}) == uid
    writes = "\n".join(line for line in postgres_log(cluster).splitlines() if re.search(r"\b(UPDATE|INSERT)\b", line))
    assert "password_crypt" in writes  # the statements are there
    assert not leaked(passwords, writes)
    assert not leaked(passwords, odoo.log())
