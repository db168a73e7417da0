"""The server under sustained load, and when PostgreSQL goes away and comes back.

Runs last (file order): the PostgreSQL restart drops every open connection."""
import subprocess
import threading
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from odoo_servers import OdooServer, copy_template

SOAK_SECONDS, SOAK_CLIENTS = 60, 32


@pytest.fixture(scope="module")
def prefork():
    odoo = OdooServer(copy_template("faults"), workers=2, name="faults")
    yield odoo
    odoo.stop()


@pytest.fixture(scope="module")
def key_user(prefork):
    user = prefork.logged_in_user()
    return user.uid, user.password, user.web.new_api_key(user.uid, user.password, "soak")


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


def postgresql_cluster():
    """(version, name) of the running cluster, from Debian's pg_lsclusters."""
    line = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout.split("\n")[0]
    version, name = line.split()[:2]
    return version, name


def test_postgresql_restart_fails_calls_cleanly_then_recovers(prefork, key_user):
    uid, password, key = key_user
    expected = prefork.admin("res.partner", "search_count", [])
    outcomes = []
    stop = threading.Event()

    def client():
        proxy = xmlrpc.client.ServerProxy(prefork.url + "/xmlrpc/2/object")
        while not stop.is_set():
            started = time.time()
            try:
                outcomes.append(("ok", proxy.execute_kw(prefork.db, uid, key, "res.partner", "search_count", [[]])))
            except (xmlrpc.client.Fault, xmlrpc.client.ProtocolError, ConnectionError) as error:
                outcomes.append(("failed", type(error).__name__))
            assert time.time() - started < 30, "a call hung while PostgreSQL restarted"

    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(client) for _ in range(2)]
        time.sleep(1)
        subprocess.run(["pg_ctlcluster", *postgresql_cluster(), "restart"], check=True)
        time.sleep(3)
        stop.set()
        for future in futures:
            future.result()

    assert all(result == expected for kind, result in outcomes if kind == "ok")
    # Back to normal: the same key and the password work again, with the right answers.
    deadline = time.time() + 30
    while True:
        try:
            assert prefork.execute_kw(uid, key, "res.partner", "search_count", [[]]) == expected
            break
        except (xmlrpc.client.Fault, xmlrpc.client.ProtocolError):
            assert time.time() < deadline, "the server did not recover after PostgreSQL came back"
            time.sleep(0.5)
    assert prefork.execute_kw(uid, password, "res.partner", "search_count", [[]]) == expected
    assert prefork.process.poll() is None, "the server must stay up"
