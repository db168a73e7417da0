"""JSON-2 calls as a client sends them over HTTP, and the answer as the server gives it (status, headers, body)."""
import http.client
import json
import types
import urllib.parse

ERROR_KEYS = ["name", "message", "arguments", "context", "debug"]  # 19.0's error object, in its order


def key_holder(server, description, read_only=False):
    """A fresh internal user with a full-access key (`.key`), and with `read_only` a read-only one
    (`.read_only`), made through the Preferences dialogs."""
    user = server.logged_in_user()
    user.key = user.web.new_api_key(user.uid, user.password, description)
    if read_only:
        user.read_only = user.web.new_api_key(user.uid, user.password, description + ", read only", access="read")
    return user


def request(server, path, body=None, key=None, database=None, headers=None, method="POST", raw=None,
            address=None):
    """Send one request to `server`; `body` is JSON-encoded unless `raw` (bytes) is given.
    By default the bearer `key` and the server's database are sent, as odoo-client-lib does."""
    parts = urllib.parse.urlsplit(server.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120,
                                            source_address=(address, 0) if address else None)
    sent = {"Content-Type": "application/json; charset=utf-8"}
    if key is not None:
        sent["Authorization"] = "bearer %s" % key
    if database is not False:
        sent["X-Odoo-Database"] = database or server.db
    sent.update(headers or {})
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
    try:
        connection.request(method, path, data, {name: value for name, value in sent.items() if value is not None})
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return types.SimpleNamespace(status=response.status, headers=response.headers, text=text,
                                     json=_json_or_none(text))
    finally:
        connection.close()


def call(server, key, model, method, body=None, **options):
    """POST /json/2/<model>/<method>."""
    path = "/json/2/%s/%s" % (urllib.parse.quote(model, safe=""), urllib.parse.quote(method, safe=""))
    return request(server, path, {} if body is None else body, key=key, **options)


def ok(server, key, model, method, body=None, **options):
    """The result of a call that must succeed."""
    answer = call(server, key, model, method, body, **options)
    assert answer.status == 200, (answer.status, answer.text)
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    return answer.json


def _json_or_none(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def assert_error(answer, status, name=None):
    """A JSON error object shaped as 19.0's, without a traceback; returns its message."""
    assert answer.status == status, (answer.status, answer.text)
    assert answer.headers["Content-Type"].startswith("application/json"), answer.headers
    assert isinstance(answer.json, dict) and list(answer.json) == ERROR_KEYS, answer.text
    assert answer.json["debug"] == "" and "Traceback" not in answer.text
    if name:
        assert answer.json["name"] == name, answer.json
    assert "Set-Cookie" not in answer.headers
    return answer.json["message"]
