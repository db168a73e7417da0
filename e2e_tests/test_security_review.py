"""Holes a security review of the "key < password" work found, attacking a
running server from outside; each test states what must hold.

Attackers: (a) a stolen full-access key, (b) a stolen read-only key,
(c) a stolen web session, (d) nothing but network access."""
import json
import urllib.error
import urllib.parse
import urllib.request
import xmlrpc.client

import pytest
from passlib.context import CryptContext

from odoo_servers import ADMIN_UID, JsonRpcError, WebClient

REFUSED = (xmlrpc.client.Fault, JsonRpcError)
HASHER = CryptContext(["pbkdf2_sha512"])


def get(url):
    """GET `url`: (HTTP status, body), whatever the status."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_json_raw(server, path, params):
    body = json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}).encode()
    request = urllib.request.Request(server.url + path, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def web_login_uid(server, login, password):
    return WebClient(server).authenticate(login, password).get("uid")


def partner_of(server, uid):
    return server.admin("res.users", "read", [uid], ["partner_id"])[0]["partner_id"][0]


# -- JSONP on /jsonrpc: past the malformed-request guard, keys in the log (a, b, d) --


def jsonp_url(server, request_text):
    return server.url + "/jsonrpc?" + urllib.parse.urlencode({"jsonp": "cb", "r": request_text})


def test_a_malformed_jsonp_call_neither_logs_nor_echoes_the_key(server, user):
    """request_layer/malformed_requests.py skips every request with ?jsonp=: Odoo 11 then logs the
    unparsable text verbatim at INFO and echoes it in an HTML 400 page."""
    key = user.web.new_api_key(user.uid, user.password, "jsonp")
    truncated = '{"params": {"service": "common", "method": "login", "args": ["%s", "%s", "%s"' % (
        server.db, user.login, key)
    status, body = get(jsonp_url(server, truncated))
    assert key not in body, "the key is echoed in the error page"
    assert "<html" not in body.lower() and "<!doctype" not in body.lower(), "an HTML error page"
    assert key not in server.log(), "the key is in the server log"


def test_a_jsonp_call_that_is_no_object_gets_a_json_error_not_a_500(server):
    status, body = get(jsonp_url(server, "[1, 2]"))
    assert status != 500 and "Internal Server Error" not in body, (status, body[:200])
    assert "AttributeError: 'list' object has no attribute 'get'" not in server.log()


def test_a_key_is_not_written_to_the_access_log_by_a_jsonp_call(server, user):
    """/jsonrpc answers JSONP GETs: the key travels in the URL, which werkzeug logs at INFO."""
    key = user.web.new_api_key(user.uid, user.password, "jsonp get")
    call = {"jsonrpc": "2.0", "method": "call", "params": {
        "service": "object", "method": "execute_kw",
        "args": [server.db, user.uid, key, "res.partner", "search_count", [[]]]}}
    get(jsonp_url(server, json.dumps(call)))
    assert key not in urllib.parse.unquote_plus(server.log()), "the key is in the access log"


# -- A key of an administrator becomes its user's password (a) --


@pytest.mark.parametrize("group", ["base.group_system", "base.group_erp_manager"])
def test_an_administrators_key_cannot_write_its_own_password_hash(server, group):
    """write() refuses 'password' but not 'password_crypt', a plain field: the
    key writes the hash of a password of its choice, then logs in to the web client."""
    admin = server.logged_in_user(groups=["base.group_user", group])
    key = admin.web.new_api_key(admin.uid, admin.password, "admin script")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        server.execute_kw(admin.uid, key, "res.users", "write",
                          [[admin.uid], {"password_crypt": HASHER.hash("taken-over")}])
    assert "cannot change the password" in refused.value.faultString
    assert not web_login_uid(server, admin.login, "taken-over"), "the key set its user's password"
    assert web_login_uid(server, admin.login, admin.password) == admin.uid


def test_the_superusers_key_cannot_write_its_own_password_with_ids_as_strings(server):
    """`current_api_key_user_id() in self.ids` compares 1 with '1'; PostgreSQL casts it back."""
    web = WebClient(server)
    assert web.authenticate("admin", "admin")["uid"] == ADMIN_UID
    key = web.new_api_key(ADMIN_UID, "admin", "superuser script")
    try:
        with pytest.raises(xmlrpc.client.Fault) as refused:
            server.execute_kw(ADMIN_UID, key, "res.users", "write", [[str(ADMIN_UID)], {"password": "taken-over"}])
        assert "cannot change the password" in refused.value.faultString
        assert not web_login_uid(server, "admin", "taken-over"), "the key set its user's password"
    finally:
        for password in ("taken-over", "admin"):  # leave admin/admin to the other tests
            try:
                server.execute_kw(ADMIN_UID, password, "res.users", "write", [[ADMIN_UID], {"password": "admin"}])
                break
            except xmlrpc.client.Fault:
                continue


# -- Any key (read-only too) obtains password hashes: offline guessing, no cooldown (b, c) --

HASH_ALPHABET = "$./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-"


def extract_password_hash(search_count, partner_id):
    """Odoo 11 resolves `user_ids.password_crypt` in SQL, past res.users' guard on
    private fields: a prefix oracle on any user's hash. ~800 calls."""
    field = "user_ids.password_crypt"

    def any_prefix(prefix, chars):
        leaves = [(field, "=like", prefix + char + "%") for char in chars]
        return search_count(["|"] * (len(leaves) - 1) + leaves + [("id", "=", partner_id)]) > 0

    found = ""
    for _length in range(200):
        if search_count([(field, "=", found), ("id", "=", partner_id)]):
            return found
        if not any_prefix(found, HASH_ALPHABET):
            return None
        chars = HASH_ALPHABET
        while len(chars) > 1:
            half = chars[: len(chars) // 2]
            chars = half if any_prefix(found, half) else chars[len(half):]
        found += chars
    return None


def test_a_read_only_key_cannot_extract_a_password_hash(server, user):
    key = user.web.new_api_key(user.uid, user.password, "reporting", access="read")
    victim = server.logged_in_user()  # any employee, or admin (partner of uid 1)

    def search_count(domain):
        try:
            return server.execute_kw(user.uid, key, "res.partner", "search_count", [domain])
        except xmlrpc.client.Fault:
            return 0

    with pytest.raises(xmlrpc.client.Fault) as refused:
        server.execute_kw(user.uid, key, "res.partner", "search_count", [[("user_ids.password_crypt", "!=", False)]])
    assert "Invalid search criterion" in refused.value.faultString
    extracted = extract_password_hash(search_count, partner_of(server, victim.uid))
    assert not (extracted and HASHER.verify(victim.password, extracted)), (
        "a read-only key extracted %s's password hash: %s" % (victim.login, extracted))


# -- Malformed requests answered with a traceback (d, a) --


def test_a_nul_byte_in_the_login_is_a_failed_login(server):
    for method, args in (("login", [server.db, "admin\x00", "admin"]),
                         ("authenticate", [server.db, "admin\x00", "admin", {}])):
        assert server.jsonrpc("common", method, *args) is False
    status, body = post_json_raw(server, "/web/session/authenticate",
                                 {"db": server.db, "login": "admin\x00", "password": "admin"})
    assert status == 200 and "Traceback" not in body and json.loads(body)["result"]["uid"] is False


@pytest.mark.parametrize("model,method,args,kwargs", [
    ("res.users.apikeys", "rotate", [], {"name": {"not": "a string"}}),  # the addon's own method
])
def test_malformed_arguments_get_a_fault_without_traceback(server, user, model, method, args, kwargs):
    key = user.web.new_api_key(user.uid, user.password, "malformed")
    with pytest.raises(xmlrpc.client.Fault) as refused:
        server.execute_kw(user.uid, key, model, method, args, kwargs)
    assert "Traceback" not in refused.value.faultString
    with pytest.raises(JsonRpcError) as refused:
        server.jsonrpc("object", "execute_kw", server.db, user.uid, key, model, method, args, kwargs)
    assert "Traceback" not in refused.value.error["data"]["debug"]
