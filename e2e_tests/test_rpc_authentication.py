"""A key works in place of the password over XML-RPC and JSON-RPC, and nowhere else."""
import subprocess
import sys
import textwrap
import xmlrpc.client

import pytest

from odoo_servers import JsonRpcError, WebClient

ENTRY_POINTS = ["xmlrpc/2", "xmlrpc", "jsonrpc"]


def authenticate(server, entry_point, login, secret):
    if entry_point == "jsonrpc":
        return server.jsonrpc("common", "login", server.db, login, secret)
    common = server.xmlrpc("common", versioned=entry_point == "xmlrpc/2")
    return common.authenticate(server.db, login, secret, {})


def login_method(server, entry_point, login, secret):
    if entry_point == "jsonrpc":
        return server.jsonrpc("common", "authenticate", server.db, login, secret, {})
    return server.xmlrpc("common", versioned=entry_point == "xmlrpc/2").login(server.db, login, secret)


def count_partners(server, entry_point, uid, secret, method="execute_kw"):
    args = [server.db, uid, secret, "res.partner", "search_count"]
    args += [[[]], {}] if method == "execute_kw" else [[]]
    if entry_point == "jsonrpc":
        return server.jsonrpc("object", method, *args)
    return getattr(server.xmlrpc("object", versioned=entry_point == "xmlrpc/2"), method)(*args)


def refused(call, *args):
    """True if the server refused the call (XML-RPC fault or JSON-RPC error)."""
    try:
        result = call(*args)
    except (xmlrpc.client.Fault, JsonRpcError):
        return True
    return result is False


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_key_authenticates_and_calls_models(server, user, key, entry_point):
    assert authenticate(server, entry_point, user.login, key) == user.uid
    assert login_method(server, entry_point, user.login, key) == user.uid
    expected = server.admin("res.partner", "search_count", [])
    assert count_partners(server, entry_point, user.uid, key) == expected
    assert count_partners(server, entry_point, user.uid, key, method="execute") == expected


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_password_still_works_everywhere(server, user, key, entry_point):
    assert authenticate(server, entry_point, user.login, user.password) == user.uid
    assert count_partners(server, entry_point, user.uid, user.password) > 0


@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
def test_wrong_truncated_and_other_users_keys_are_refused(server, user, key, entry_point):
    other_login, other_uid = server.create_user("other-password")
    for bad in (key[:-1], key[:8], key[:-1] + ("1" if key[-1] == "0" else "0"), key.upper()):
        assert not authenticate(server, entry_point, user.login, bad)
        assert refused(count_partners, server, entry_point, user.uid, bad)
    # The right key, but for another user.
    assert not authenticate(server, entry_point, other_login, key)
    assert refused(count_partners, server, entry_point, other_uid, key)


def test_key_does_not_log_in_to_the_web_client(server, user, key):
    web = WebClient(server)
    page = web.form_login(user.login, key)
    assert "Wrong login/password" in page
    assert not web.session_uid()
    session = web.authenticate(user.login, key)
    assert not session.get("uid")
    assert not web.session_uid()
    # ... while the password does.
    assert web.authenticate(user.login, user.password)["uid"] == user.uid


def test_deleted_key_is_refused_on_the_next_call(server, user, key):
    assert count_partners(server, "xmlrpc/2", user.uid, key) > 0
    key_id = user.web.call_kw("res.users.apikeys", "search", [[("user_id", "=", user.uid)]])[0]
    user.web.delete_api_key(key_id, user.password)
    for entry_point in ENTRY_POINTS:
        assert refused(count_partners, server, entry_point, user.uid, key)
        assert not authenticate(server, entry_point, user.login, key)


def test_archived_users_key_is_refused(server, user, key):
    assert count_partners(server, "xmlrpc/2", user.uid, key) > 0
    server.admin("res.users", "write", [user.uid], {"active": False})
    for entry_point in ENTRY_POINTS:
        assert refused(count_partners, server, entry_point, user.uid, key)
        assert not authenticate(server, entry_point, user.login, key)


def test_the_books_script_authenticates_with_a_generated_key(server, user, key):
    script = textwrap.dedent(
        """
        import xmlrpc.client
        url = {url!r}
        database = {db!r}
        user = {login!r}
        password = {key!r}
        common = xmlrpc.client.ServerProxy('{{}}/xmlrpc/2/common'.format(url))
        version_db = common.version()
        user = common.authenticate(database, user, password, {{}})
        if user:
            print("User is authenticated....")
        else:
            print("Authentication Failed. Please check the credentials")
        """
    ).format(url=server.url, db=server.db, login=user.login, key=key)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "User is authenticated...."


@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc"])
def test_client_library_works_with_a_key(server, user, key, protocol):
    import odoolib

    connection = odoolib.get_connection(
        hostname="127.0.0.1", port=server.port, protocol=protocol,
        database=server.db, login=user.login, password=key,
    )
    connection.check_login()
    assert connection.user_id == user.uid
    assert connection.get_model("res.partner").search_count([]) == server.admin("res.partner", "search_count", [])
