"""Whatever a client sends as the password, it gets a plain refusal: no 500, no traceback."""
import contextlib
import json
import urllib.request
import xmlrpc.client

import pytest

from odoo_servers import JsonRpcError

HOSTILE = {
    "empty": "",
    "1 MB": "a" * (1024 * 1024),
    "non-ASCII": "clé-секрет-鍵-🔑",
    "NUL byte": "abc\x00def",
    "SQL": "' OR 1=1; DROP TABLE res_users_apikeys; --",
    "40 hex, no such key": "0123456789abcdef0123456789abcdef01234567",
    "int": 12345,
    "list": ["admin"],
    "dict": {"password": "admin"},
}


def xmlrpc_raw(server, path, method, params):
    """POST an XML-RPC call and return (HTTP status, body): even what xmlrpc.client refuses to parse."""
    body = xmlrpc.client.dumps(tuple(params), method, allow_none=True).encode()
    request = urllib.request.Request(server.url + path, body, {"Content-Type": "text/xml"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def jsonrpc_raw(server, service, method, args):
    body = {"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}}
    request = urllib.request.Request(server.url + "/jsonrpc", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.load(response)


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("path", ["/xmlrpc/2/", "/xmlrpc/"])
def test_xmlrpc_refuses_cleanly(server, name, path):
    secret = HOSTILE[name]
    status, body = xmlrpc_raw(server, path + "common", "authenticate", [server.db, "admin", secret, {}])
    assert status == 200
    assert "Traceback" not in body
    assert "<boolean>0</boolean>" in body or "<fault>" in body
    status, body = xmlrpc_raw(server, path + "object", "execute_kw",
                              [server.db, 1, secret, "res.partner", "search_count", [[]]])
    assert status == 200
    assert "<fault>" in body and "Traceback" not in body


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_jsonrpc_refuses_cleanly(server, name):
    secret = HOSTILE[name]
    status, reply = jsonrpc_raw(server, "common", "login", [server.db, "admin", secret])
    assert status == 200 and reply.get("result") is False, reply
    status, reply = jsonrpc_raw(server, "object", "execute_kw",
                                [server.db, 1, secret, "res.partner", "search_count", [[]]])
    assert status == 200
    assert reply["error"]["data"]["name"] == "odoo.exceptions.AccessDenied"
    assert "Traceback" not in json.dumps(reply)


def test_server_still_answers_after_hostile_input(server):
    for secret in HOSTILE.values():
        with contextlib.suppress(xmlrpc.client.Fault):  # a refusal is what we expect
            server.xmlrpc("common").authenticate(server.db, "admin", secret, {})
    assert server.xmlrpc("common").authenticate(server.db, "admin", "admin", {}) == 1
    assert server.jsonrpc("common", "login", server.db, "admin", "admin") == 1
    with pytest.raises(JsonRpcError):
        server.jsonrpc("object", "execute_kw", server.db, 1, "wrong", "res.partner", "search_count", [[]])
