"""The master password (Odoo's `db` service: drop, dump, restore any database)
as an attacker meets it: guesses from one address are counted and meet a
cooldown, even in a burst; the servers the tests start have a master password
of their own, not Odoo's default `admin`; a server that keeps the default says
so in its log."""
import urllib.parse
import uuid
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from odoo_servers import MASTER_PASSWORD, OdooServer, copy_template, opener_from

AFTER = 10  # failures before a cooldown: the login cooldown's default (models/res_users_login_cooldown.py)
DEFAULT_WARNING = "This server's master password is Odoo's default"


@pytest.fixture(scope="module", params=[0, 2], ids=["workers=0", "workers=2"])
def any_server(request):
    odoo = OdooServer(copy_template("master"), workers=request.param, name="master-%s" % request.param)
    yield odoo
    odoo.stop()


def new_address():
    """A loopback address of its own for each test: a cooldown holds for its address only."""
    return "127.%d.%d.%d" % (uuid.uuid4().bytes[0], uuid.uuid4().bytes[0], 1 + uuid.uuid4().bytes[0] % 250)


def drop_missing_db(server, master_password, address):
    """db.drop of a database that does not exist: False for the right master password."""
    return server.xmlrpc("db", address=address).drop(master_password, "%s_no_such_db" % server.db)


def refusal(call):
    with pytest.raises(xmlrpc.client.Fault) as refused:
        call()
    return refused.value.faultString


def test_guesses_meet_a_cooldown_that_refuses_the_right_password(any_server):
    address = new_address()
    guesses = ["guess-%s" % uuid.uuid4().hex for _ in range(AFTER)]
    for guess in guesses:
        assert refusal(lambda: drop_missing_db(any_server, guess, address)) == "Access denied"
    assert "Too many failed master password attempts" in refusal(
        lambda: drop_missing_db(any_server, MASTER_PASSWORD, address))
    assert drop_missing_db(any_server, MASTER_PASSWORD, new_address()) is False  # other addresses are not held
    log = any_server.log()
    started = [line for line in log.splitlines() if "Master password: %s failures from %s " % (AFTER, address) in line]
    assert len(started) == 1, started
    assert not any(secret in log for secret in guesses + [MASTER_PASSWORD])


def test_a_burst_of_guesses_is_judged_only_up_to_the_limit(any_server):
    address = new_address()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda guess: refusal(lambda: drop_missing_db(any_server, guess, address)),
                                ["burst-%s" % n for n in range(3 * AFTER)]))
    assert answers.count("Access denied") <= AFTER
    assert all(answer == "Access denied" or "Too many failed master password attempts" in answer
               for answer in answers), set(answers)
    assert "Too many failed" in refusal(lambda: drop_missing_db(any_server, MASTER_PASSWORD, address))


def test_odoo_default_master_password_dumps_nothing(any_server):
    address = new_address()
    assert refusal(lambda: any_server.xmlrpc("db", address=address).dump("admin", any_server.db, "zip")) \
        == "Access denied"
    form = urllib.parse.urlencode({"master_pwd": "admin", "name": any_server.db, "backup_format": "zip"})
    with opener_from(address).open(any_server.url + "/web/database/backup", form.encode()) as page:
        assert page.headers["Content-Type"].startswith("text/html")
        assert "Database backup error: Access denied" in page.read().decode()
    assert DEFAULT_WARNING not in any_server.log()


def test_a_server_with_the_default_master_password_warns_once():
    odoo = OdooServer(copy_template("default_master"), master_password=None, name="default-master")
    try:
        assert drop_missing_db(odoo, "admin", new_address()) is False  # it is the default indeed
        warnings = [line for line in odoo.log().splitlines() if DEFAULT_WARNING in line]
        assert len(warnings) == 1 and "WARNING" in warnings[0], warnings
    finally:
        odoo.stop()
