"""A deleted key is refused on the very next call by every worker of every server."""
import re
import subprocess
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from odoo_servers import ODOO, OdooServer, copy_template, loop_while_deleting


@pytest.fixture(scope="module")
def servers():
    db = copy_template("workers")
    prefork = OdooServer(db, workers=2, name="prefork")
    threaded = OdooServer(db, workers=0, name="threaded")
    yield prefork, threaded
    prefork.stop()
    threaded.stop()


def calls(server, uid, key, count, threads=8):
    """`count` concurrent search_count calls; returns how many were accepted."""

    def one(_):
        try:
            server.execute_kw(uid, key, "res.partner", "search_count", [[]])
            return True
        except xmlrpc.client.Fault:
            return False

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(one, range(count)))


def worker_pids_serving(server, path="/xmlrpc/2/object"):
    return {int(pid) for pid in re.findall(r"^\S+ \S+ (\d+) INFO .*POST %s" % re.escape(path), server.log(), re.M)}


def test_deleted_key_is_refused_by_every_worker_and_process(servers):
    prefork, threaded = servers
    user = threaded.logged_in_user()  # the servers share one database
    uid, password, web = user.uid, user.password, user.web
    key = web.new_api_key(uid, password, "worker test")

    # Every worker and both processes have accepted (and cached) the key.
    assert calls(prefork, uid, key, 40) == 40
    assert calls(threaded, uid, key, 10) == 10
    assert len(worker_pids_serving(prefork)) == 2, "both prefork workers must have served the key"

    key_id = web.call_kw("res.users.apikeys", "search", [[]])[0]
    web.delete_api_key(key_id, password)

    assert calls(prefork, uid, key, 40) == 0
    assert calls(threaded, uid, key, 10) == 0
    # The password is unaffected.
    assert calls(prefork, uid, password, 8) == 8


@pytest.mark.parametrize("which", ["prefork", "threaded"])
def test_a_key_deleted_under_load_is_refused_at_the_next_call(servers, which):
    """Clients loop on the key while it is deleted: no call sent after the
    deletion's answer is accepted, whichever thread or worker serves it."""
    server = dict(zip(["prefork", "threaded"], servers))[which]
    user = server.logged_in_user()  # the servers share one database
    uid, password, web = user.uid, user.password, user.web
    key = web.new_api_key(uid, password, "under load")
    key_id = web.call_kw("res.users.apikeys", "search", [[]])[0]
    accepted, refused, _delay = loop_while_deleting(server, uid, key, lambda: web.delete_api_key(key_id, password))
    assert accepted == 0, "%d calls accepted after the deletion" % accepted
    assert refused == 4, "every client is refused"


ROW_TRUST_SECONDS = 10  # models/res_users_apikeys.py: how long a process trusts a key's row it read


def test_a_key_deleted_in_sql_is_refused_within_the_trust_bound(servers):
    """A change made in SQL signals nothing to Odoo: each process trusts the
    row it read for ROW_TRUST_SECONDS at most, then reads it again."""
    prefork, threaded = servers
    user = threaded.logged_in_user()  # the servers share one database
    uid, password, web = user.uid, user.password, user.web
    key = web.new_api_key(uid, password, "deleted in SQL")
    assert calls(prefork, uid, key, 40) == 40 and calls(threaded, uid, key, 10) == 10

    psql(prefork.db, "DELETE FROM res_users_apikeys WHERE user_id = %d" % uid)
    deleted_at = time.time()
    while calls(prefork, uid, key, 8) + calls(threaded, uid, key, 4):
        assert time.time() - deleted_at < ROW_TRUST_SECONDS + 2, "still accepted past the bound"
        time.sleep(0.2)
    for _ in range(3):  # and it stays refused, in every worker
        assert calls(prefork, uid, key, 16) == 0 and calls(threaded, uid, key, 4) == 0


def test_uninstall_drops_the_keys_and_reinstall_starts_clean():
    db = copy_template("uninstall")
    odoo = OdooServer(db)
    try:
        user = odoo.logged_in_user()
        user.web.new_api_key(user.uid, user.password, "before uninstall")
        module = odoo.admin("ir.module.module", "search", [("name", "=", "auth_apikeys")])
        odoo.admin("ir.module.module", "button_immediate_uninstall", module)
    finally:
        odoo.stop()
    assert psql(db, "SELECT to_regclass('res_users_apikeys')") == ""
    subprocess.run([ODOO, "-d", db, "-i", "auth_apikeys", "--stop-after-init", "--log-level=warn"], check=True)
    assert psql(db, "SELECT count(*) FROM res_users_apikeys") == "0"


def psql(db, query):
    return subprocess.run(["psql", "-tAc", query, db], capture_output=True, text=True, check=True).stdout.strip()
