"""Odoo 18's auth='bearer' on an addon's own routes (e2e_tests/addons/test_auth_apikeys_bearer): they run as
the key's user, with every key rule; a web session reaches them only where no other site can send it;
threaded and --workers=2."""
import json
import subprocess
import time
import urllib.parse

import pytest

import json2
from json2 import assert_error
from odoo_servers import OdooServer, copy_template

NAVIGATION = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin",
              "Sec-Fetch-User": "?1"}


@pytest.fixture(scope="module", params=[0, 2], ids=["workers=0", "workers=2"])
def any_server(request):
    odoo = OdooServer(copy_template("bearer_w%s" % request.param), workers=request.param,
                      name="bearer-w%s" % request.param, install=["test_auth_apikeys_bearer"])
    yield odoo
    odoo.stop()


@pytest.fixture(scope="module")
def holder(any_server):
    user = json2.key_holder(any_server, "bearer routes", read_only=True)
    user.cookie = "session_id=%s" % next(c.value for c in user.web.cookies if c.name == "session_id")
    return user


def http_route(server, path, key=None, method="POST", headers=None, form=None, address=None):
    sent = dict(headers or {}, **{"Content-Type": "application/x-www-form-urlencoded" if form is not None else None})
    raw = urllib.parse.urlencode(form).encode() if form is not None else b""
    return json2.request(server, path, key=key, method=method, database=False, headers=sent, raw=raw,
                         address=address)


def json_route(server, path, key=None, headers=None, params=None):
    body = {"jsonrpc": "2.0", "method": "call", "params": params or {}, "id": 1}
    return json2.request(server, path, body, key=key, database=False, headers=headers)


def test_a_key_runs_the_route_as_its_user_and_sets_no_cookie(any_server, holder):
    answer = http_route(any_server, "/test_bearer/whoami", holder.key, method="GET")
    assert answer.status == 200 and answer.json["uid"] == holder.uid, answer.text
    assert "Set-Cookie" not in answer.headers
    answer = http_route(any_server, "/test_bearer/rename", holder.key, form={"name": "by key"})
    assert answer.json == {"uid": holder.uid, "comment": "by key"} and "Set-Cookie" not in answer.headers
    answer = json_route(any_server, "/test_bearer/json/whoami", holder.key)
    assert answer.json["result"]["uid"] == holder.uid and "Set-Cookie" not in answer.headers


def test_no_key_a_wrong_key_or_a_password_is_a_401(any_server, holder):
    for key in [None, "0" * 40, holder.password]:
        for answer in [http_route(any_server, "/test_bearer/whoami", key, method="GET"),
                       json_route(any_server, "/test_bearer/json/whoami", key)]:
            assert answer.status == 401 and answer.headers["WWW-Authenticate"].lower().strip() == "bearer"
            assert "Set-Cookie" not in answer.headers and "Traceback" not in answer.text
        assert answer.json["error"]["code"] == 401, "a json route answers a JSON-RPC error"
        assert list(answer.json["error"]["data"]) == json2.ERROR_KEYS
    assert "Exception during JSON request handling" not in any_server.log()


def test_a_read_only_key_reaches_only_routes_that_say_they_only_read(any_server, holder):
    assert http_route(any_server, "/test_bearer/whoami", holder.read_only, method="GET").json["uid"] == holder.uid
    assert "read-only" in assert_error(http_route(any_server, "/test_bearer/rename", holder.read_only,
                                                  form={"name": "by a read-only key"}), 403)
    answer = json_route(any_server, "/test_bearer/json/rename", holder.read_only, params={"name": "by a read-only key"})
    assert answer.status == 403 and "read-only" in answer.json["error"]["message"]
    [row] = any_server.admin("res.users", "read", [holder.uid], ["comment"])
    assert row["comment"] != "by a read-only key"


def test_a_session_from_another_site_is_refused(any_server, holder):
    """A form or a script on another site sends the cookie, never the Sec-Fetch headers of a same-site
    navigation, nor the session's CSRF token."""
    cross_site = dict(NAVIGATION, **{"Sec-Fetch-Site": "cross-site"})
    for headers in [{"Cookie": holder.cookie}, dict(cross_site, Cookie=holder.cookie),
                    {"Cookie": holder.cookie, "Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "same-origin"}]:
        answer = http_route(any_server, "/test_bearer/rename", headers=headers, form={"name": "by another site"})
        assert_error(answer, 401)
        answer = json_route(any_server, "/test_bearer/json/rename", headers=headers, params={"name": "by another site"})
        assert answer.status == 401 and "Set-Cookie" not in answer.headers
    sid = holder.cookie.split("=", 1)[1]
    assert_error(http_route(any_server, "/test_bearer/whoami?session_id=%s" % sid, method="GET"), 401)
    assert_error(http_route(any_server, "/test_bearer/whoami", method="GET", headers={"X-Openerp-Session-Id": sid}),
                 401)
    [row] = any_server.admin("res.users", "read", [holder.uid], ["comment"])
    assert row["comment"] != "by another site"


def test_a_session_reaches_a_route_by_navigation_or_with_its_csrf_token(any_server, holder):
    answer = http_route(any_server, "/test_bearer/whoami", method="GET", headers=dict(NAVIGATION, Cookie=holder.cookie))
    assert answer.status == 200 and answer.json["uid"] == holder.uid
    page = holder.web.opener.open(any_server.url + "/web").read().decode()  # the web client holds the token
    csrf = json.loads(page.split("csrf_token: ", 1)[1].split(",", 1)[0].replace("'", '"'))
    answer = http_route(any_server, "/test_bearer/rename", headers={"Cookie": holder.cookie, "X-CSRF-Token": csrf},
                        form={"name": "by the session"})
    assert answer.json == {"uid": holder.uid, "comment": "by the session"}


def test_a_key_and_another_users_session_are_refused_together(any_server, holder):
    other = any_server.logged_in_user()
    other_cookie = "session_id=%s" % next(c.value for c in other.web.cookies if c.name == "session_id")
    answer = http_route(any_server, "/test_bearer/whoami", holder.key, method="GET", headers={"Cookie": other_cookie})
    assert_error(answer, 403)


def test_a_deleted_key_is_refused_at_the_next_request_in_every_process(any_server):
    user = any_server.logged_in_user()
    key = user.web.new_api_key(user.uid, user.password, "to delete")
    for _request in range(6):
        assert http_route(any_server, "/test_bearer/whoami", key, method="GET").status == 200
    [key_id] = user.web.call_kw("res.users.apikeys", "search", [[["name", "=", "to delete"]]])
    user.web.delete_api_key(key_id, user.password)
    for _request in range(6):
        assert_error(http_route(any_server, "/test_bearer/whoami", key, method="GET"), 401)


def test_expiry_and_the_login_cooldown_hold_on_bearer_routes(any_server):
    user = json2.key_holder(any_server, "expires")
    assert http_route(any_server, "/test_bearer/whoami", user.key, method="GET").status == 200
    subprocess.run(["psql", "-qc", "UPDATE res_users_apikeys SET expiration_date = now() at time zone 'utc' "
                    "WHERE user_id = %d" % user.uid, any_server.db], check=True)
    deadline = time.time() + 15  # a process trusts a row it read for up to 10 s (a change made in SQL)
    while http_route(any_server, "/test_bearer/whoami", user.key, method="GET", address="127.0.0.31").status != 401:
        assert time.time() < deadline, "an expired key still reaches the route"
        time.sleep(0.5)
    fresh = json2.key_holder(any_server, "not verified yet")
    any_server.set_param("auth_apikeys.login_cooldown_after", 3)
    try:
        for _attempt in range(3):
            wrong = http_route(any_server, "/test_bearer/whoami", "0" * 40, method="GET", address="127.0.0.32")
            assert_error(wrong, 401)
        answer = http_route(any_server, "/test_bearer/whoami", fresh.key, method="GET", address="127.0.0.32")
        assert "Too many failed logins" in assert_error(answer, 429) and int(answer.headers["Retry-After"]) > 0
    finally:
        any_server.set_param("auth_apikeys.login_cooldown_after", 100000)
