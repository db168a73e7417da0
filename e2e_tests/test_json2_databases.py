"""JSON-2's database: X-Odoo-Database (an empty one counts as absent), else the one database the server
serves; with several and none named, a 404 that says to send the header. Threaded and --workers=2."""
import pytest

import json2
from json2 import assert_error, ok
from odoo_servers import OdooServer, WebClient, copy_template


@pytest.fixture(scope="module", params=[0, 2], ids=["workers=0", "workers=2"])
def two_databases(request):
    first, second = copy_template("json2_db1_w%s" % request.param), copy_template("json2_db2_w%s" % request.param)
    odoo = OdooServer(first, workers=request.param, db_filter="^(%s|%s)$" % (first, second),
                      name="json2-dbs-w%s" % request.param)
    yield odoo, first, second
    odoo.stop()


def key_on(server, db):
    web = WebClient(server)
    web.json("/web/session/authenticate", {"db": db, "login": "admin", "password": "admin"})
    return web.new_api_key(1, "admin", "for %s" % db)


def test_the_header_picks_the_database_and_a_key_works_on_its_own_only(two_databases):
    server, first, second = two_databases
    key = key_on(server, first)
    assert ok(server, key, "res.users", "context_get", database=first)["uid"] == 1
    assert_error(json2.call(server, key, "res.users", "context_get", database=second), 401)


def test_several_databases_and_none_named_is_a_404_that_says_to_send_the_header(two_databases):
    server, first, _second = two_databases
    key = key_on(server, first)
    for headers in [{}, {"X-Odoo-Database": ""}]:
        answer = json2.call(server, key, "res.users", "context_get", database=False, headers=headers)
        assert "X-Odoo-Database" in assert_error(answer, 404)
    answer = json2.call(server, key, "res.users", "context_get", database="postgres")
    assert "X-Odoo-Database" in assert_error(answer, 404), "a database the server does not serve is none"
