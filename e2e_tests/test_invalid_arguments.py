"""A call whose arguments trip Odoo's code gets a plain error: no traceback,
nothing of the call echoed back, no ERROR in the log.

Odoo 11 answered each of these with its traceback (and logged it at ERROR):
a lone UTF-16 surrogate in a password (its error's arguments carried the
password back), a domain on an unknown field, extra positional arguments, a
bad read_group spec; arguments nested 2,000 deep sent the addon's own check
into a recursion error; an unknown route under /json... answered a 404 with
a traceback in its `debug`."""
import json
import uuid
import xmlrpc.client

import pytest

from both_modes import server_in_both_modes
from raw_http import Nested, jsonrpc_body, post, xmlrpc_call

any_server = server_in_both_modes("invalid")

INVALID_CALLS = {
    "unknown field in a domain": ("res.partner", "search", [[["no_such_field", "=", 1]]], {}),
    "unknown operator": ("res.partner", "search", [[["name", "no such operator", 1]]], {}),
    "extra positional arguments": ("res.partner", "search_count", [[], 1, 2, 3, 4, 5], {}),
    "unknown keyword argument": ("res.partner", "search", [[]], {"no_such_argument": 1}),
    "bad read_group granularity": ("res.partner", "read_group", [[], ["name"], ["create_date:fortnight"]], {}),
    "read_group on an unknown field": ("res.partner", "read_group", [[], ["name"], ["no_such_field"]], {}),
    "read_group spec not a string": ("res.partner", "read_group", [[], ["name"], [{"a": 1}]], {}),
    "name_search with a bad limit": ("res.partner", "name_search", [], {"limit": "many"}),
    "write of a bad value": ("res.partner", "write", [[1], {"color": "red"}], {}),
    "order by an unknown field": ("res.partner", "search", [[]], {"order": "no_such_field desc"}),
}


@pytest.fixture(scope="module")
def user(any_server):
    user = any_server.logged_in_user(groups=["base.group_user", "base.group_partner_manager"])
    user.key = user.web.new_api_key(user.uid, user.password, "invalid")
    return user


class NewLog:
    """What the server logs from now on."""

    def __init__(self, server):
        self.server, self.start = server, len(server.log())

    def text(self):
        return self.server.log()[self.start:]

    def assert_quiet(self, *secrets):
        text = self.text()
        assert " ERROR " not in text and " CRITICAL " not in text, text[-3000:]
        assert not [secret for secret in secrets if secret in text]


def assert_plain(body):
    assert "Traceback" not in body and "File \\\"" not in body and 'File "' not in body, body[:2000]


@pytest.mark.parametrize("case", sorted(INVALID_CALLS))
@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc", "web"])
def test_invalid_arguments_answer_plainly(any_server, user, protocol, case):
    model, method, args, kwargs = INVALID_CALLS[case]
    log = NewLog(any_server)
    if protocol == "xmlrpc":
        status, body = post(any_server.url + "/xmlrpc/2/object", xmlrpc_call(
            "execute_kw", [any_server.db, user.uid, user.key, model, method, args, kwargs]), "text/xml")
        assert "<fault>" in body
    elif protocol == "jsonrpc":
        status, body = post(any_server.url + "/jsonrpc", jsonrpc_body({
            "service": "object", "method": "execute_kw",
            "args": [any_server.db, user.uid, user.key, model, method, args, kwargs]}))
        assert "error" in json.loads(body)
    else:
        status, body = post(any_server.url + "/web/dataset/call_kw", jsonrpc_body(
            {"model": model, "method": method, "args": args, "kwargs": kwargs}), opener=user.web.opener)
        assert "error" in json.loads(body)
    assert status == 200
    assert_plain(body)
    log.assert_quiet(user.key, user.password)


def surrogate_password():
    """(secret part, JSON text of a password holding it and a lone surrogate)."""
    secret = "secret-%s" % uuid.uuid4().hex
    return secret, json.dumps(secret)[:-1] + '\\ud800"'


def raw_jsonrpc(params_text):
    return ('{"jsonrpc": "2.0", "method": "call", "id": 1, "params": %s}' % params_text).encode()


@pytest.mark.parametrize("route", ["common.login", "object.execute_kw", "/web/session/authenticate"])
def test_a_password_with_a_lone_surrogate_is_refused_plainly(any_server, user, route):
    secret, password = surrogate_password()
    log = NewLog(any_server)
    db, login = json.dumps(any_server.db), json.dumps(user.login)
    if route == "common.login":
        body = raw_jsonrpc('{"service": "common", "method": "login", "args": [%s, %s, %s]}' % (db, login, password))
    elif route == "object.execute_kw":
        body = raw_jsonrpc('{"service": "object", "method": "execute_kw", "args": [%s, %s, %s, "res.partner", '
                           '"search_count", [[]]]}' % (db, user.uid, password))
    else:
        body = raw_jsonrpc('{"db": %s, "login": %s, "password": %s}' % (db, login, password))
    status, reply = post(any_server.url + ("/jsonrpc" if "." in route else route), body)
    assert status == 200
    assert_plain(reply)
    assert secret not in reply
    answer = json.loads(reply)
    assert answer.get("result") in (False, None) or answer["result"].get("uid") is False, answer
    log.assert_quiet(secret, user.password, user.key)


def test_arguments_nested_2000_deep_are_refused_plainly(any_server, user):
    """Over XML-RPC (JSON's parser stops earlier): with a key, the addon walks the call to check it."""
    log = NewLog(any_server)
    for secret in (user.key, user.password):
        status, body = post(any_server.url + "/xmlrpc/2/object", xmlrpc_call(
            "execute_kw", [any_server.db, user.uid, secret, "res.partner", "search_count", [Nested(2000, 1)]]),
            "text/xml")
        assert status == 200 and "<fault>" in body
        assert_plain(body)
    assert "RecursionError" not in log.text()
    log.assert_quiet(user.key, user.password)


@pytest.mark.parametrize("path", ["/jsonrpc/nothing", "/json", "/json_no_such_route", "/web/dataset/no_such_route"])
def test_an_unknown_json_route_answers_without_a_traceback(any_server, path):
    status, body = post(any_server.url + path, jsonrpc_body({}))
    assert status == 404
    assert_plain(body)
    assert json.loads(body)["error"]["data"]["debug"] == ""


def test_a_server_error_faults_without_a_traceback(any_server, user):
    """An error Odoo has no message for (a query the database refuses) answers XML-RPC without its traceback."""
    log = NewLog(any_server)
    with pytest.raises(xmlrpc.client.Fault) as fault:
        any_server.execute_kw(user.uid, user.password, "res.partner", "search", [[["id", "=", "not a number"]]])
    assert "Traceback" not in fault.value.faultString
    assert user.password not in log.text()
