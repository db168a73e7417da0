"""The server under sustained load, and when PostgreSQL goes away and comes back.

PostgreSQL is restarted in a cluster of the test's own: restarting the
machine's would drop every other connection to every other database."""
import threading
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from odoo_servers import OdooServer, copy_template
from private_postgres import PrivatePostgres

SOAK_SECONDS, SOAK_CLIENTS = 60, 32


@pytest.fixture(scope="module")
def prefork():
    odoo = OdooServer(copy_template("faults"), workers=2, name="faults")
    yield odoo
    odoo.stop()


def new_key_user(server):
    """(uid, password, key) of a new user with an API key."""
    user = server.logged_in_user()
    return user.uid, user.password, user.web.new_api_key(user.uid, user.password, "faults")


@pytest.fixture(scope="module")
def key_user(prefork):
    return new_key_user(prefork)


@pytest.fixture
def postgres(request):
    """A PostgreSQL cluster of its own, stopped and removed even if the test fails."""
    cluster = PrivatePostgres("pgrestart")
    request.addfinalizer(cluster.stop)
    cluster.start()
    return cluster


@pytest.fixture
def private_prefork(request, postgres):
    """A prefork server on the test's own cluster, stopped before the cluster is."""
    db = postgres.copy_database(copy_template("pgrestart"))
    odoo = OdooServer(db, workers=2, name="pgrestart", db_host=postgres.folder, db_port=postgres.port)
    request.addfinalizer(odoo.stop)
    return odoo


def test_32_clients_for_60_seconds_get_only_correct_answers(prefork, key_user):
    uid, password, key = key_user
    expected = prefork.admin("res.partner", "search_count", [])
    stop_at = time.time() + SOAK_SECONDS
    errors, answers = [], []

    def client(number):
        secret = key if number % 2 else password  # keys and passwords side by side
        proxy = xmlrpc.client.ServerProxy(prefork.url + "/xmlrpc/2/object")
        count = 0
        while time.time() < stop_at:
            try:
                result = proxy.execute_kw(prefork.db, uid, secret, "res.partner", "search_count", [[]])
                if result != expected:
                    errors.append("wrong answer %r" % result)
            except Exception as error:  # every failure counts, whatever its kind
                errors.append(repr(error))
            count += 1
        answers.append(count)

    with ThreadPoolExecutor(SOAK_CLIENTS) as pool:
        list(pool.map(client, range(SOAK_CLIENTS)))
    assert errors == [], errors[:5]
    assert len(answers) == SOAK_CLIENTS and min(answers) > 0


def test_postgresql_restart_fails_calls_cleanly_then_recovers(private_prefork, postgres):
    uid, password, key = new_key_user(private_prefork)
    expected = private_prefork.admin("res.partner", "search_count", [])
    outcomes = []
    stop = threading.Event()

    def client():
        proxy = xmlrpc.client.ServerProxy(private_prefork.url + "/xmlrpc/2/object")
        while not stop.is_set():
            started = time.time()
            try:
                result = proxy.execute_kw(private_prefork.db, uid, key, "res.partner", "search_count", [[]])
                outcomes.append(("ok", result))
            except (xmlrpc.client.Fault, xmlrpc.client.ProtocolError, ConnectionError) as error:
                outcomes.append(("failed", type(error).__name__))
            assert time.time() - started < 30, "a call hung while PostgreSQL restarted"

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(client) for _ in range(2)]
        time.sleep(1)
        postgres.restart()
        time.sleep(3)
        stop.set()
        for future in futures:
            future.result()

    assert all(result == expected for kind, result in outcomes if kind == "ok")
    # Back to normal: the same key and the password work again, with the right answers.
    deadline = time.time() + 30
    while True:
        try:
            assert private_prefork.execute_kw(uid, key, "res.partner", "search_count", [[]]) == expected
            break
        except (xmlrpc.client.Fault, xmlrpc.client.ProtocolError):
            assert time.time() < deadline, "the server did not recover after PostgreSQL came back"
            time.sleep(0.5)
    assert private_prefork.execute_kw(uid, password, "res.partner", "search_count", [[]]) == expected
    assert private_prefork.process.poll() is None, "the server must stay up"
