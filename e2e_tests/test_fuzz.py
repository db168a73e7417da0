"""Property-based: whatever value a client puts where a credential or an
identity goes, on every entry point, the server refuses (or takes) it plainly.

Properties: no HTTP 500, no traceback in a response, the server stays up, a
generated password is never accepted, and no password (generated, or the
user's real one or key sent beside a generated value) reaches the log; logins
and database names may: Odoo logs them. Values of every type: text of any
script, huge strings, ints beyond 64 bits, floats with nan and infinities,
None, lists, dicts, nesting deeper than Python's recursion limit. They go out
as raw bodies: xmlrpc.client sends neither big ints nor (without allow_none)
None, and json.dumps stops at 1,000 levels. Fixed seed and no example
database: every run tries the same examples.

The arguments of model methods too (domains, field lists, group-bys, orders,
keyword arguments of search, read, read_group, name_search, write on several
models): whatever they hold, no traceback comes back and no credential is logged."""
import json
import re
import xmlrpc.client

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from hypothesis.configuration import set_hypothesis_home_dir

from odoo_servers import ARTIFACTS, OdooServer, WebClient, copy_template
from raw_http import Nested, jsonrpc_body, post, strings_in, xmlrpc_call

# Hypothesis caches what it learns from the source in its home directory: not in the checkout.
set_hypothesis_home_dir(ARTIFACTS / "hypothesis")

FUZZ = settings(
    max_examples=40, deadline=None, derandomize=True, database=None, print_blob=False,
    report_multiple_bugs=False,  # one shrunk failure per test: shrinking sends requests too
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
# XML 1.0 cannot carry most control characters: over XML-RPC such a request is
# merely malformed (test_malformed_requests.py), so generate what XML can carry.
XML_CHARS = st.characters(exclude_categories=["Cs", "Cc"], include_characters="\t\n\r",
                          exclude_characters="\ufffe\uffff")
ANY_CHARS = st.characters()  # lone surrogates too: JSON carries them ("\\ud800")
# Tried first at every position: falsy values (Odoo 11 takes an empty password
# for "no password set"), and ints just beyond PostgreSQL's integer and bigint.
EDGE_VALUES = ["", None, False, 0, [], {}, 2 ** 31, 2 ** 63]


def harmless(position, value):
    """Never an empty database name: libpq then connects to the database named after
    the OS user, and Odoo 11 initializes a database it finds without its tables."""
    return not (position == "db" and value == "")


def values(chars):
    """Values of every type a JSON-RPC or XML-RPC client can send, `chars` in their strings."""
    text = st.text(chars)
    huge = st.builds(lambda head, size: (head * (size // len(head) + 1))[:size],
                     st.text(chars, min_size=1, max_size=12), st.integers(4097, 1_100_000))
    scalars = st.one_of(
        text, huge, st.none(), st.booleans(), st.integers(),
        st.integers(min_value=2 ** 31) | st.integers(max_value=-2 ** 31 - 1),  # beyond XML-RPC's <int>
        st.integers(min_value=2 ** 64, max_value=2 ** 300), st.floats(),
    )
    nested = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(st.text(chars, max_size=10), inner, max_size=4), max_leaves=8)
    deep = st.builds(Nested, st.integers(500, 12_000), scalars)
    return st.one_of(scalars, nested, deep)


XML_VALUES, JSON_VALUES = values(XML_CHARS), values(ANY_CHARS)


def with_edge_values(positions=None):
    """Decorator: the edge values (at each position), before the generated ones."""
    def decorate(test):
        for value in reversed(EDGE_VALUES):  # the last one applied is tried first
            for position in reversed(positions or [None]):
                if harmless(position, value):
                    test = example(value=value, **({"position": position} if position else {}))(test)
        return test
    return decorate


@pytest.fixture(scope="module")
def odoo():
    server = OdooServer(copy_template("fuzz"), name="fuzz")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def victim(odoo):
    user = odoo.logged_in_user()
    user.key = user.web.new_api_key(user.uid, user.password, "fuzz")
    return user


class LogTail:
    """What the server logged since the last call."""

    def __init__(self, server):
        self.path, self.offset = server.log_path, server.log_path.stat().st_size

    def new(self):
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            data = log.read()
        self.offset += len(data)
        return data.decode("utf-8", "replace")


def distinctive(text):
    """Long and varied enough that finding it in the log is no coincidence
    (eight spaces, or "00000000", are in any log)."""
    return len(text) >= 8 and len(set(text.strip())) >= 3


def needles(secret):
    """How a leaked `secret` could read in the log: as is, as Python or JSON quotes it (its start only)."""
    found = set()
    for text in strings_in(secret):
        if distinctive(text):
            for form in (text, repr(text)[1:-1], json.dumps(text)[1:-1]):
                found.add(form[:64])
    return found


def exception_of(reply):
    """What went wrong, by the traceback in `reply`, for the failure message."""
    try:
        data = json.loads(reply)["error"]["data"]
        return "%s: %s" % (data["name"], str(data["message"])[:150])
    except (ValueError, KeyError, TypeError):  # not JSON-RPC: an XML-RPC fault
        lines = reply.replace("\\n", "\n").splitlines()
        found = [line for line in lines if re.match(r"[A-Za-z_][\w.]*: ", line)]
        return (found or [""])[-1][:200]


class Prober:
    """Sends requests and checks, on each, what came back and what the server logged meanwhile."""

    def __init__(self, server, *real_secrets):
        self.server, self.tail, self.real_secrets = server, LogTail(server), real_secrets
        self.start, self.generated = self.tail.offset, []

    def post(self, path, body, content_type="application/json", opener=None, secret=None):
        self.tail.new()  # the log up to now belongs to earlier requests
        if secret is not None:
            self.generated.append(secret)
        status, reply = post(self.server.url + path, body, content_type, opener)
        assert status != 500, "HTTP 500 from %s" % path
        # a flag, not `assert "Traceback" not in reply`: pytest would diff megabytes at each failing example
        traceback = "Traceback" in reply
        assert not traceback, "a traceback in the response of %s: %s" % (path, exception_of(reply))
        self.check_log(self.tail.new(), [secret] if secret is not None else [])
        return reply

    def check_log(self, log, generated):
        real = [secret for secret in self.real_secrets if secret in log]
        assert not real, "a real credential in the log: %s" % line_with(log, real[0])
        found = [needle for needle in set().union(*map(needles, generated)) if needle in log]
        assert not found, "a generated password in the log: %s" % line_with(log, found[0])

    def check_afterwards(self, user):
        """The server answers a correct call, and nothing this run sent as a password is in its log."""
        assert self.server.process.poll() is None, "the server died"
        count = self.server.xmlrpc("object").execute_kw(
            self.server.db, user.uid, user.key, "res.partner", "search_count", [[]])
        assert isinstance(count, int)
        with open(self.server.log_path, "rb") as log:
            log.seek(self.start)
            self.check_log(log.read().decode("utf-8", "replace"), self.generated)


def line_with(log, needle):
    """The start of the log line holding `needle`, and the text just before it."""
    line = next(line for line in log.splitlines() if needle in line)
    where = line.index(needle)
    return line[:120] + (" ... " + line[max(120, where - 100):where] if where > 120 else "") + " >>>" + needle[:64]


def accepted(path, reply):
    """True if an RPC reply is a success: a result other than False."""
    try:
        if path.startswith("/xmlrpc"):
            return xmlrpc.client.loads(reply)[0][0] is not False
        reply = json.loads(reply)
    except (xmlrpc.client.Fault, ValueError):  # a fault; not XML-RPC nor JSON at all
        return False
    return "error" not in reply and reply.get("result") is not False


COMMON = {"authenticate": ["db", "login", "password"], "login": ["db", "login", "password"]}
OBJECT = {"execute": ["db", "uid", "password", "model", "method"],
          "execute_kw": ["db", "uid", "password", "model", "method"]}
ENTRY_POINTS = [(path, service, method) for path in ["/xmlrpc/2/", "/xmlrpc/", "/jsonrpc"]
                for service, methods in [("common", COMMON), ("object", OBJECT)] for method in methods]


def rpc_args(method, call):
    """The arguments of a call of `method`, from the values by position in `call`."""
    if method == "authenticate":
        return [call["db"], call["login"], call["password"], {}]
    if method == "login":
        return [call["db"], call["login"], call["password"]]
    args = [call["db"], call["uid"], call["password"], call["model"], call["method"]]
    return args + ([[]] if method == "execute" else [[[]], {}])


@pytest.mark.parametrize("path,service,method", ENTRY_POINTS, ids=["%s %s.%s" % entry for entry in ENTRY_POINTS])
def test_rpc_refuses_any_value_plainly(odoo, victim, path, service, method):
    """Every position but one holds a valid value (the password position: the user's key)."""
    positions = (COMMON if service == "common" else OBJECT)[method]
    valid = {"db": odoo.db, "login": victim.login, "uid": victim.uid, "password": victim.key,
             "model": "res.partner", "method": "search_count"}
    probe = Prober(odoo, victim.key, victim.password)

    @FUZZ
    @given(position=st.sampled_from(positions), value=JSON_VALUES if path == "/jsonrpc" else XML_VALUES)
    @with_edge_values(positions)
    def run(position, value):
        if not harmless(position, value):
            return
        args = rpc_args(method, dict(valid, **{position: value}))
        secret = value if position == "password" else None
        if path == "/jsonrpc":
            reply = probe.post(path, jsonrpc_body({"service": service, "method": method, "args": args}), secret=secret)
        else:
            reply = probe.post(path + service, xmlrpc_call(method, args), "text/xml", secret=secret)
        assert not (secret is not None and accepted(path, reply)), "a generated password was accepted"

    run()
    probe.check_afterwards(victim)


def test_web_session_authenticate_refuses_any_value_plainly(odoo, victim):
    """db, login, password of the web client's login: the real password in the other positions."""
    valid = {"db": odoo.db, "login": victim.login, "password": victim.password}
    probe = Prober(odoo, victim.key, victim.password)

    @FUZZ
    @given(position=st.sampled_from(sorted(valid)), value=JSON_VALUES)
    @with_edge_values(sorted(valid))
    def run(position, value):
        if not harmless(position, value):
            return
        secret = value if position == "password" else None
        reply = probe.post("/web/session/authenticate", jsonrpc_body(dict(valid, **{position: value})), secret=secret)
        result = json.loads(reply).get("result")
        logged_in = isinstance(result, dict) and result.get("uid")
        assert not (secret is not None and logged_in), "a generated password opened a web session"

    run()
    probe.check_afterwards(victim)


def call_kw_body(model, method, args, kwargs=None):
    return jsonrpc_body({"model": model, "method": method, "args": args, "kwargs": kwargs or {}})


def call_button_body(model, method, ids):
    return jsonrpc_body({"model": model, "method": method, "args": [ids]})


def test_password_dialog_refuses_any_value_plainly(odoo, victim):
    """New API Key asks for the password: whatever is typed there, then Confirm Password.
    Each example in a new web session, so that one confirmation cannot leak into the next."""
    user = odoo.logged_in_user()
    probe = Prober(odoo, victim.key, victim.password, user.password)

    @FUZZ
    @given(value=JSON_VALUES)
    @with_edge_values()
    def run(value):
        web = WebClient(odoo)
        web.authenticate(user.login, user.password)
        action = web.call_button("res.users", "api_key_wizard", [user.uid])
        assert action["res_model"] == "res.users.identitycheck", action
        wizard = action["res_id"]
        probe.post("/web/dataset/call_kw/res.users.identitycheck/write",
                   call_kw_body("res.users.identitycheck", "write", [[wizard], {"password": value}]),
                   opener=web.opener, secret=value)
        probe.post("/web/dataset/call_button", call_button_body("res.users.identitycheck", "run_check", [wizard]),
                   opener=web.opener)
        again = web.call_button("res.users", "api_key_wizard", [user.uid])
        assert again["res_model"] == "res.users.identitycheck", "a generated password confirmed the identity"

    run()
    probe.check_afterwards(victim)


def test_key_description_takes_any_value_plainly(odoo, victim):
    """The description of a new key: whatever is typed, then Generate Key."""
    user = odoo.logged_in_user()
    action = user.web.confirm_password(user.web.call_button("res.users", "api_key_wizard", [user.uid]), user.password)
    assert action["res_model"] == "res.users.apikeys.description", action
    probe = Prober(odoo, victim.key, victim.password, user.password)

    @FUZZ
    @given(value=JSON_VALUES)
    def run(value):
        reply = json.loads(probe.post(
            "/web/dataset/call_kw/res.users.apikeys.description/create",
            call_kw_body("res.users.apikeys.description", "create", [{"name": value}], {"context": action["context"]}),
            opener=user.web.opener))
        if "result" in reply:
            shown = json.loads(probe.post(
                "/web/dataset/call_button",
                call_button_body("res.users.apikeys.description", "make_key", [reply["result"]]),
                opener=user.web.opener))
            if "result" in shown:  # a new key is shown once, and never logged
                probe.real_secrets += (shown["result"]["context"]["default_key"],)

    run()
    probe.check_afterwards(victim)


# Fields that exist, fields that hold secrets, paths, and names that do not exist.
FIELD_NAMES = st.sampled_from([
    "id", "name", "email", "parent_id", "child_ids", "user_ids", "create_date", "write_date", "active", "login",
    "groups_id", "partner_id", "scope", "user_id", "password", "password_crypt", "signup_token", "key",
    "parent_id.name", "user_ids.login", "no_such_field", "name.id", "create_date:month", "create_date:fortnight",
    "",
]) | st.text(ANY_CHARS, max_size=12)
OPERATORS = st.sampled_from(["=", "!=", "<", ">=", "like", "ilike", "=like", "in", "not in", "child_of", "=?",
                             "no such operator"]) | st.text(ANY_CHARS, max_size=4)
SMALL_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2 ** 31), st.floats(),
    st.text(ANY_CHARS, max_size=16), st.lists(st.integers(-3, 2 ** 31) | st.text(ANY_CHARS, max_size=4), max_size=3),
    st.builds(Nested, st.integers(50, 3000), st.integers()),
)
LEAVES = st.tuples(FIELD_NAMES, OPERATORS, SMALL_VALUES).map(list)
DOMAINS = st.lists(LEAVES | st.sampled_from(["&", "|", "!"]) | SMALL_VALUES, max_size=4) | SMALL_VALUES
FIELD_LISTS = st.lists(FIELD_NAMES, max_size=4) | SMALL_VALUES
KWARGS = st.dictionaries(
    st.sampled_from(["limit", "offset", "order", "orderby", "lazy", "fields", "domain", "groupby", "context",
                     "count", "name", "operator", "args", "no_such_argument"]) | st.text(ANY_CHARS, max_size=8),
    SMALL_VALUES | FIELD_LISTS | DOMAINS | st.dictionaries(st.text(ANY_CHARS, max_size=8), SMALL_VALUES, max_size=2),
    max_size=3)
MODELS = st.sampled_from(["res.partner", "res.users", "res.groups", "res.users.apikeys", "ir.model", "ir.ui.menu"])
IDS = st.lists(st.integers(-2, 50), max_size=3) | SMALL_VALUES
METHOD_CALLS = st.one_of(
    st.tuples(st.just("search"), st.tuples(DOMAINS).map(list), KWARGS),
    st.tuples(st.just("search_read"), st.tuples(DOMAINS, FIELD_LISTS).map(list), KWARGS),
    st.tuples(st.just("read"), st.tuples(IDS, FIELD_LISTS).map(list), KWARGS),
    st.tuples(st.just("read_group"), st.tuples(DOMAINS, FIELD_LISTS, FIELD_LISTS).map(list), KWARGS),
    st.tuples(st.just("name_search"), st.lists(SMALL_VALUES, max_size=3), KWARGS),
    st.tuples(st.just("write"), st.tuples(IDS, st.dictionaries(FIELD_NAMES, SMALL_VALUES, max_size=3)).map(list),
              KWARGS),
    st.tuples(st.sampled_from(["search_count", "name_get", "fields_get"]),
              st.lists(SMALL_VALUES | DOMAINS, max_size=5), KWARGS),
)
MODEL_FUZZ = settings(FUZZ, max_examples=60)


@pytest.mark.parametrize("path", ["/jsonrpc", "/xmlrpc/2/object", "/web/dataset/call_kw"])
def test_model_methods_take_any_arguments_plainly(odoo, victim, path):
    """Calls of model methods with the victim's key (its web session for the web client's route)."""
    probe = Prober(odoo, victim.key, victim.password)

    @MODEL_FUZZ
    @given(model=MODELS, call=METHOD_CALLS)
    def run(model, call):
        method, args, kwargs = call
        if path == "/web/dataset/call_kw":
            probe.post(path, call_kw_body(model, method, args, kwargs), opener=victim.web.opener)
            return
        params = [odoo.db, victim.uid, victim.key, model, method, args, kwargs]
        if path == "/jsonrpc":
            probe.post(path, jsonrpc_body({"service": "object", "method": "execute_kw", "args": params}))
        elif not any(not all(char == "\t" or char == "\n" or char == "\r" or char >= " " for char in text)
                     for text in strings_in(params)):  # what XML can carry (control characters: malformed)
            probe.post(path, xmlrpc_call("execute_kw", params), "text/xml")

    run()
    probe.check_afterwards(victim)
    with open(odoo.log_path, "rb") as log:
        log.seek(probe.start)
        errors = [line for line in log.read().decode("utf-8", "replace").splitlines()
                  if " ERROR " in line and " odoo.sql_db: bad query: " not in line]  # its literals: not logged
    assert not errors, errors[:3]
