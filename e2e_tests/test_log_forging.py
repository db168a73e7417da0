"""A client cannot write a line of its choosing into the server's log.

Odoo 11 logs the login of every attempt, werkzeug the request line, the addon
the path of a malformed JSON request: each as the client sent it, so a login
holding a newline wrote a fake "Login successful with API key" line. Every
line that mentions what the client sent must be one line, the client's
control characters escaped, and the forged text never starts a line."""
import socket
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest

from both_modes import server_in_both_modes
from odoo_servers import WebClient
from raw_http import jsonrpc_body, post

any_server = server_in_both_modes("forging")

# What starts a new line for a log reader (Python's splitlines, less, a terminal), or hides one.
BREAKS = {"newline": "\n", "carriage return": "\r", "CRLF": "\r\n", "escape": "\x1b[2K\r", "U+2028": "\u2028",
          "NEL": "\x85", "vertical tab": "\x0b", "form feed": "\x0c", "U+2029": "\u2029"}
XML_BREAKS = ["newline", "U+2028", "NEL"]  # what XML 1.0 carries as it is


def forged(name):
    """(marker, text): the text starts with the marker, then a break, then a fake log line."""
    marker = "forge%s" % uuid.uuid4().hex[:12]
    fake = "2026-01-01 00:00:00,000 1 INFO db odoo.addons.auth_apikeys.models.res_users: Login successful " \
           "with API key #1 for db:db login:admin from 10.0.0.1 FORGED%s" % marker
    return marker, marker + BREAKS[name] + fake


def assert_one_line(server, marker, logged=True):
    """Every log line with the forged text holds the marker before it: nothing started a line."""
    lines = server.log().splitlines()
    assert not logged or [line for line in lines if marker in line], "the server did not log %s" % marker
    started = [line for line in lines if "FORGED" + marker in line and marker not in line.split("FORGED")[0]]
    assert not started, started


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_login_writes_no_line_over_json_rpc(any_server, name):
    marker, login = forged(name)
    assert any_server.jsonrpc("common", "login", any_server.db, login, "wrong") is False
    assert_one_line(any_server, marker)


@pytest.mark.parametrize("name", XML_BREAKS)
def test_a_login_writes_no_line_over_xml_rpc(any_server, name):
    marker, login = forged(name)
    assert any_server.xmlrpc("common").authenticate(any_server.db, login, "wrong", {}) is False
    assert_one_line(any_server, marker)


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_login_writes_no_line_in_the_web_client(any_server, name):
    marker, login = forged(name)
    assert WebClient(any_server).authenticate(login, "wrong")["uid"] is False
    assert_one_line(any_server, marker)
    marker, login = forged(name)
    WebClient(any_server).form_login(login, "wrong")
    assert_one_line(any_server, marker)


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_path_writes_no_line(any_server, name):
    """The addon logs the path of a malformed JSON request; werkzeug logs the request line."""
    marker, text = forged(name)
    status, _ = post(any_server.url + "/web/dataset/" + urllib.parse.quote(text), b"{not json")
    assert status == 400
    assert_one_line(any_server, marker)


@pytest.mark.parametrize("name", ["escape", "NEL", "vertical tab", "form feed"])
def test_a_raw_request_line_writes_no_line(any_server, name):
    """Bytes a request line may carry as they are (HTTP ends it at CR LF only)."""
    marker, text = forged(name)
    with socket.create_connection(("127.0.0.1", any_server.port), timeout=60) as connection:
        connection.sendall(b"GET /" + text.replace(" ", "_").encode("latin-1") + b" HTTP/1.0\r\n\r\n")
        assert connection.recv(100)  # answered (404)
    assert_one_line(any_server, marker)


@pytest.mark.parametrize("name", ["escape", "NEL"])
def test_a_user_agent_writes_no_line(any_server, name):
    marker, text = forged(name)
    request = urllib.request.Request(any_server.url + "/web/login?db=%s" % any_server.db,
                                     headers={"User-Agent": text.replace("\r", "").replace(" ", "_")})
    urllib.request.urlopen(request, timeout=60).read()
    assert_one_line(any_server, marker, logged=False)  # Odoo 11 logs no user agent: none may start a line


def test_a_traceback_keeps_its_lines_and_leaves_the_client_text_out(any_server):
    """A domain on a field named by the client's text: its traceback keeps its lines, without the text."""
    marker, text = forged("newline")
    body = jsonrpc_body({"model": "res.partner", "method": "search", "args": [[[text, "=", 1]]], "kwargs": {}})
    web = any_server.logged_in_user().web
    try:
        web.opener.open(urllib.request.Request(any_server.url + "/web/dataset/call_kw", body,
                                               {"Content-Type": "application/json"}), timeout=60).read()
    except urllib.error.HTTPError:
        pass
    assert_one_line(any_server, marker, logged=False)
    lines = any_server.log().splitlines()
    logged = max(number for number, line in enumerate(lines) if "Invalid arguments for /web/dataset/call_kw" in line)
    assert lines[logged + 1] == "Traceback (most recent call last):" and lines[logged + 2].startswith("  File ")
