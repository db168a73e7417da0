"""Malformed requests get a plain refusal, and no credential reaches the log.

Every request of the battery carries a real API key and the real password of
a user, so that a response or a log line quoting the request shows them."""
import http.client
import json
import re
import time
import types
import xmlrpc.client

import pytest

from odoo_servers import OdooServer, copy_template
from raw_http import Nested, json_text, jsonrpc_body, post, post_chunked, xmlrpc_call

MEGABYTE = "x" * (1024 * 1024)
WRONG_TYPES = {"list": [1, 2], "dict": {"a": 1}, "None": None, "1 MB string": MEGABYTE}
NOT_A_DICT = ("list", "string")


@pytest.fixture(scope="module")
def odoo():
    """A server of its own: its whole log is this file's."""
    server = OdooServer(copy_template("malformed"), name="malformed")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def victim(odoo):
    user = odoo.logged_in_user()
    user.key = user.web.new_api_key(user.uid, user.password, "malformed requests")
    return user


class Case:
    """One request: where it goes, its body, and whether an answer (not only a refusal) is fine."""

    def __init__(self, path, body, content_type=None, chunked=False, may_answer=False):
        self.path, self.body, self.chunked, self.may_answer = path, body, chunked, may_answer
        self.content_type = content_type or ("text/xml" if path.startswith("/xmlrpc") else "application/json")

    def send(self, server):
        if self.chunked:
            return post_chunked(server.url + self.path, self.body, self.content_type)
        return post(server.url + self.path, self.body, self.content_type)


def json_cases(db, user):
    """Bodies of /jsonrpc and /web/session/authenticate that are not (valid) JSON-RPC."""
    key, password = user.key, user.password
    params = {
        "/jsonrpc": {"service": "common", "method": "authenticate", "args": [db, user.login, key, {"note": password}]},
        "/web/session/authenticate": {"db": db, "login": user.login, "password": password, "base_location": key},
    }
    cases = {}
    for path, good in params.items():
        text = '{"jsonrpc": "2.0", "method": "call", "params": %s, "id": 1}' % json_text(good)
        cases.update({
            (path, "trailing comma"): Case(path, (text[:-1] + ",}").encode()),
            (path, "truncated"): Case(path, text[:-12].encode()),
            (path, "invalid UTF-8"): Case(path, text.replace(user.login, user.login + "\udcff").encode(
                "utf-8", "surrogateescape")),
            (path, "a list, not an object"): Case(path, ("[%s]" % text).encode()),
            (path, "params a list"): Case(path, jsonrpc_body([db, user.login, password, key])),
            (path, "params a string"): Case(path, jsonrpc_body("%s %s %s %s" % (db, user.login, password, key))),
            (path, "password nested 10,000 deep"): Case(path, jsonrpc_body(
                dict(good, password=Nested(10000, [key, password])) if "password" in good
                else dict(good, args=[db, user.login, Nested(10000, [key, password]), {}]))),
        })
    return cases


def xmlrpc_cases(db, user):
    """XML-RPC bodies that are not a method call, or that no parser should have to read."""
    key, password = user.key, user.password
    call = xmlrpc_call("authenticate", [db, user.login, key, {"note": password}])
    return {
        ("/xmlrpc/2/common", "a methodResponse"): Case(
            "/xmlrpc/2/common", xmlrpc.client.dumps(([db, user.login, key, password],), methodresponse=True).encode()),
        ("/xmlrpc/2/common", "a fault"): Case(
            "/xmlrpc/2/common", xmlrpc.client.dumps(xmlrpc.client.Fault(1, key + " " + password)).encode()),
        ("/xmlrpc/2/common", "chunked, no Content-Length"): Case("/xmlrpc/2/common", call, chunked=True),
        ("/xmlrpc/2/common", "invalid UTF-8"): Case(
            "/xmlrpc/2/common", call.replace(user.login.encode(), user.login.encode() + b"\xff\xfe")),
        ("/xmlrpc/2/common", "password nested 10,000 deep"): Case("/xmlrpc/2/common", xmlrpc_call(
            "authenticate", [db, user.login, Nested(10000, [key, password]), {}])),
        ("/xmlrpc/2/object", "password nested 10,000 deep"): Case("/xmlrpc/2/object", xmlrpc_call(
            "execute_kw", [db, user.uid, Nested(10000, [key, password]), "res.partner", "search_count", [[]]])),
    }


def rpc_case(path, service, method, args):
    if path == "/jsonrpc":
        return Case(path, jsonrpc_body({"service": service, "method": method, "args": args}))
    return Case(path + service, xmlrpc_call(method, args))


def wrong_type_cases(db, user):
    """db, uid, model, method of execute_kw, and db, login of authenticate and login, of the wrong type.

    The password position holds the key over XML-RPC and the password over
    JSON-RPC; the other one travels in the call's arguments."""
    cases = {}
    for path in ["/xmlrpc/2/", "/jsonrpc"]:
        secret, other = (user.key, user.password) if path != "/jsonrpc" else (user.password, user.key)
        for name, bad in WRONG_TYPES.items():
            good = {"db": db, "uid": user.uid, "model": "res.partner", "method": "search_count"}
            for position in good:
                call = dict(good, **{position: bad})
                args = [call["db"], call["uid"], secret, call["model"], call["method"], [[["name", "=", other]]]]
                cases[(path, "execute_kw", position, name)] = rpc_case(path, "object", "execute_kw", args)
            for position in ["db", "login"]:
                call = dict({"db": db, "login": user.login}, **{position: bad})
                cases[(path, "authenticate", position, name)] = rpc_case(
                    path, "common", "authenticate", [call["db"], call["login"], secret, {"note": other}])
                cases[(path, "login", position, name)] = rpc_case(
                    path, "common", "login", [call["db"], call["login"], secret])
        for name in NOT_A_DICT:
            env = [user.key, user.password] if name == "list" else user.key + " " + user.password
            # as admin: Odoo reads the user agent of an administrator's login only
            case = rpc_case(path, "common", "authenticate", [db, "admin", "admin", env])
            case.may_answer = True  # ignoring it and logging in is fine too
            cases[(path, "authenticate", "user_agent_env", name)] = case
    return cases


def unknown_name_cases(db, user):
    """Names that do not exist: database, service, method of a service, method of a model."""
    key, password = user.key, user.password
    domain = [[["name", "=", password]]]
    count = ["res.partner", "search_count", domain]
    cases = {}
    for path in ["/xmlrpc/2/", "/xmlrpc/", "/jsonrpc"]:
        cases.update({
            (path, "unknown database", "authenticate"): rpc_case(
                path, "common", "authenticate", ["no_such_database", user.login, key, {"note": password}]),
            (path, "unknown database", "execute_kw"): rpc_case(
                path, "object", "execute_kw", ["no_such_database", user.uid, key] + count),
            (path, "unknown service"): rpc_case(
                path, "no_such_service", "authenticate", [db, user.login, key, {"note": password}]),
            (path, "unknown method of common"): rpc_case(
                path, "common", "no_such_method", [db, user.login, key, password]),
            (path, "unknown method of object"): rpc_case(
                path, "object", "no_such_method", [db, user.uid, key] + count),
            (path, "res.partner.no_such_method"): rpc_case(
                path, "object", "execute_kw", [db, user.uid, key, "res.partner", "no_such_method", domain]),
        })
    return cases


def battery(db, user):
    cases = {}
    for make in [json_cases, xmlrpc_cases, wrong_type_cases, unknown_name_cases]:
        cases.update({" ".join(map(str, name)): case for name, case in make(db, user).items()})
    return cases


# The names of the cases, for parametrize (the database, login and key come later).
CASE_NAMES = list(battery("db", types.SimpleNamespace(key="k" * 40, password="pw", login="u", uid=7)))


@pytest.fixture(scope="module")
def replies(odoo, victim):
    """Send the whole battery once, in order: (case, HTTP status, body) by case name."""
    sent = {}
    for name, case in battery(odoo.db, victim).items():
        try:
            sent[name] = (case,) + case.send(odoo)
        except (OSError, http.client.HTTPException) as error:  # no HTTP answer at all (URLError is an OSError)
            sent[name] = (case, None, "no answer: %r" % error)
    return sent


def refused(case, body):
    """True for a fault, a JSON-RPC error or a failed login (False)."""
    if case.path.startswith("/xmlrpc"):
        try:
            result = xmlrpc.client.loads(body)[0][0]
        except xmlrpc.client.Fault:
            return True
        return result is False
    reply = json.loads(body)
    return "error" in reply or reply.get("result") is False


def show(text, limit=300):
    return text if len(text) <= limit else text[:limit] + "..."


def exceptions_in(text):
    """The exception lines of the tracebacks in `text` (raw, or escaped in JSON)."""
    lines = text.replace("\\n", "\n").splitlines()
    return [show(line, 120) for line in lines if re.match(r"[A-Za-z_][\w.]*(: |$)", line)]


def what_the_client_should_not_see(case, status, body, user):
    wrong = []
    if status is None:
        return [body]
    if status not in (200, 400):
        wrong.append("HTTP %s" % status)
    if "Traceback" in body:
        wrong.append("a traceback in the response: %s" % (exceptions_in(body)[-1:] or [""])[0])
    if user.key in body:
        wrong.append("the API key in the response")
    if user.password in body:
        wrong.append("the password in the response")
    if status == 400 and len(body) >= 500:
        # a body that is not JSON-RPC at all: a short refusal, not a page quoting the request
        wrong.append("a 400 page of %d characters" % len(body))
    if status == 200 and not case.may_answer:
        try:
            if not refused(case, body):
                wrong.append("an answer, not a refusal: " + show(body, 200))
        except (ValueError, xmlrpc.client.ResponseError, IndexError):  # expat errors are ValueErrors
            wrong.append("not an XML-RPC or JSON-RPC reply: " + show(body, 200))
    return wrong


@pytest.mark.parametrize("name", CASE_NAMES)
def test_malformed_request_gets_a_plain_refusal(replies, victim, name):
    """HTTP 200 with a fault or an error (or a short 400): no 500, no traceback, no credential."""
    case, status, body = replies[name]
    wrong = what_the_client_should_not_see(case, status, body, victim)
    assert not wrong, "; ".join(wrong)


def what_the_log_should_not_show(log, user):
    lines = log.splitlines()
    wrong = []
    for what, needle in [("the API key", user.key), ("the password", user.password)]:
        found = [line for line in lines if needle in line]
        if found:
            wrong.append("%s in %d lines, first: %s" % (what, len(found), show(found[0], 200)))
    tracebacks = log.count("Traceback")
    if tracebacks:
        wrong.append("%d tracebacks, for: %s" % (tracebacks, sorted(set(exceptions_in(log)))[:8]))
    errors = [line for line in lines if " ERROR " in line]
    if errors:
        wrong.append("%d lines at ERROR, first: %s" % (len(errors), [show(line, 160) for line in errors[:3]]))
    return wrong


def test_after_the_battery_the_server_answers_and_its_log_is_clean(odoo, victim, replies):
    """The whole log of the server that took the battery: no credential, no traceback, no error."""
    count = odoo.xmlrpc("object").execute_kw(odoo.db, victim.uid, victim.key, "res.partner", "search_count", [[]])
    assert isinstance(count, int)
    wrong = what_the_log_should_not_show(odoo.log(), victim)
    assert not wrong, "; ".join(wrong)


def wait_for_line(server, count, needle, timeout=5):
    """Lines of the log after the first `count`, once one of them contains `needle`."""
    deadline = time.time() + timeout
    while True:
        new = server.log().splitlines()[count:]
        if any(needle in line for line in new) or time.time() > deadline:
            return new
        time.sleep(0.05)


@pytest.mark.parametrize("secret", ["wrong key", "wrong password"])
def test_refused_jsonrpc_call_logs_no_traceback_and_no_error(odoo, victim, secret):
    """A wrong credential is routine: one access line, maybe one info line, nothing more."""
    wrong = "0123456789abcdef0123456789abcdef01234567" if secret == "wrong key" else "not-the-password"
    before = len(odoo.log().splitlines())
    args = [odoo.db, victim.uid, wrong, "res.partner", "search_count", [[]]]
    call = {"service": "object", "method": "execute_kw", "args": args}
    status, body = post(odoo.url + "/jsonrpc", jsonrpc_body(call))
    assert status == 200 and json.loads(body)["error"]["data"]["name"] == "odoo.exceptions.AccessDenied", show(body)
    new = wait_for_line(odoo, before, "POST /jsonrpc")
    assert any("POST /jsonrpc" in line for line in new), "the access line never came"
    bad = [line for line in new if "Traceback" in line or " ERROR " in line]
    assert len(new) <= 2 and not bad, "%d new lines: %s" % (len(new), [show(line, 160) for line in new[:4]])
