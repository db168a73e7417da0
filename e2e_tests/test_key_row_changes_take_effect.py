"""A key row changed in place (scope narrowed, owner changed), by the superuser through the ORM
or in SQL, takes effect in every process that already trusted it: at the next call for the
ORM, as a deletion does, within README's 10 s bound for SQL."""
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from odoo_servers import OdooServer, copy_template
from test_revocation_across_processes import ROW_TRUST_SECONDS, psql

PARTNER_MANAGER = ["base.group_user", "base.group_partner_manager"]


@pytest.fixture(scope="module")
def servers():
    db = copy_template("row_changes")
    threaded = OdooServer(db, name="row-changes-threaded")
    prefork = OdooServer(db, workers=2, name="row-changes-prefork")
    yield {"threaded": threaded, "prefork": prefork}
    threaded.stop()
    prefork.stop()


def accepted(server, uid, key, model, method, args, count=16):
    """`count` concurrent calls (enough to reach every worker); how many were accepted."""

    def one(_):
        try:
            server.execute_kw(uid, key, model, method, args)
            return True
        except xmlrpc.client.Fault:
            return False

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(one, range(count)))


def writes(server, uid, key):
    return accepted(server, uid, key, "res.partner", "create", [{"name": "written with a key"}])


def reads(server, uid, key):
    return accepted(server, uid, key, "res.partner", "search_count", [[]])


def change_by_orm(server, key_id, values):
    server.admin("res.users.apikeys", "write", [key_id], values)


def change_in_sql(server, key_id, values):
    assignments = ", ".join("%s = %s" % (column, value if isinstance(value, int) else "'%s'" % value)
                            for column, value in values.items())
    psql(server.db, "UPDATE res_users_apikeys SET %s WHERE id = %d" % (assignments, key_id))


def key_in_use(server):
    """A full-access key of a new user, trusted by every worker of `server`: (user, key, key id)."""
    user = server.logged_in_user(groups=PARTNER_MANAGER)
    key = user.web.new_api_key(user.uid, user.password, "in use")
    key_id = user.web.call_kw("res.users.apikeys", "search", [[]])[0]
    assert writes(server, user.uid, key) == 16 and reads(server, user.uid, key) == 16
    return user, key, key_id


def until(condition, how):
    """Poll `condition`: at once for a change through the ORM, within the trust bound for SQL."""
    if how is change_by_orm:
        assert condition(), "not at the next call"
        return
    changed_at = time.time()
    while not condition():
        assert time.time() - changed_at < ROW_TRUST_SECONDS + 3, "not within the trust bound"
        time.sleep(0.2)


HOWS = [change_by_orm, change_in_sql]


@pytest.mark.parametrize("how", HOWS, ids=[how.__name__ for how in HOWS])
@pytest.mark.parametrize("which", ["threaded", "prefork"])
def test_a_key_narrowed_to_read_only_writes_no_more(servers, which, how):
    server = servers[which]
    user, key, key_id = key_in_use(server)
    how(server, key_id, {"scope": "rpc:read"})
    until(lambda: writes(server, user.uid, key) == 0, how)
    until(lambda: reads(server, user.uid, key) == 16, change_in_sql)  # a worker's first call after it may be refused
    for _ in range(3):
        assert writes(server, user.uid, key) == 0 and reads(server, user.uid, key) == 16


@pytest.mark.parametrize("how", HOWS, ids=[how.__name__ for how in HOWS])
@pytest.mark.parametrize("which", ["threaded", "prefork"])
def test_a_key_given_to_another_owner_no_longer_calls_as_the_old_one(servers, which, how):
    server = servers[which]
    user, key, key_id = key_in_use(server)
    _login, other_uid = server.create_user("pw-other")
    how(server, key_id, {"user_id": other_uid})
    until(lambda: reads(server, user.uid, key) + writes(server, user.uid, key) == 0, how)
    for _ in range(3):
        assert reads(server, user.uid, key) + writes(server, user.uid, key) == 0
