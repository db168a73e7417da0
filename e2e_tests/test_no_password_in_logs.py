"""A new password never reaches a log, not even when its change meets a
concurrent update of the user's row.

Odoo 11 wrote the new password in clear into res_users.password (auth_crypt
hashed it just after): when that UPDATE met a concurrent one, it failed with
a serialization error, and both Odoo ("bad query: ...", at ERROR) and
PostgreSQL (the failing statement) logged it with the password, before Odoo
retried. The password changes run here against concurrent writes of the same
row until the log shows such a failure; then no password may be in any log."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from both_modes import server_in_both_modes
from odoo_servers import OdooServer, WebClient, copy_template
from private_postgres import PrivatePostgres

SERIALIZATION_FAILURE = "could not serialize access"
MAX_ROUNDS = 60  # each round races password changes against other writes of the row; one failure suffices

any_server = server_in_both_modes("pwlog")


def new_password():
    return "pw-%s" % uuid.uuid4().hex


def race_password_changes(server, failure_seen):
    """Change a user's password (admin's write, the user's own change_password) while
    other clients write the same row, round after round, until `failure_seen()` or
    MAX_ROUNDS. Returns every password sent, and whether a failure was seen."""
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
            if failure_seen():
                return sent, True
    return sent, False


def leaked(passwords, log):
    return [password for password in passwords if password in log]


def test_a_password_change_racing_other_writes_logs_no_password(any_server):
    sent, seen = race_password_changes(any_server, lambda: SERIALIZATION_FAILURE in any_server.log())
    assert seen, "no serialization failure in %s rounds: the race was not met" % MAX_ROUNDS
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
    db = postgres.copy_database(copy_template("pwlog_pg"))
    odoo = OdooServer(db, workers=2, name="pwlog-pg", db_host=postgres.folder, db_port=postgres.port)
    request.addfinalizer(odoo.stop)
    sent, seen = race_password_changes(odoo, lambda: SERIALIZATION_FAILURE in postgres_log(postgres))
    assert seen, "no serialization failure in %s rounds: the race was not met" % MAX_ROUNDS
    log = postgres_log(postgres)
    assert not leaked(sent, log)
    assert "pbkdf2" not in log
