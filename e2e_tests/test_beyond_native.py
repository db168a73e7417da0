"""What native Odoo 14 keys lack: read-only keys, rotation over RPC, expiry, last use, keys for integration users."""
import time
import xmlrpc.client
from datetime import datetime, timedelta

import pytest

from odoo_servers import ADMIN_UID, JsonRpcError, WebClient

READS = [
    ("search", [[]], {}),
    ("search_read", [[]], {"fields": ["name"], "limit": 2}),
    ("search_count", [[]], {}),
    ("name_search", ["a"], {}),
    ("fields_get", [], {"attributes": ["type"]}),
    ("default_get", [["name"]], {}),
    ("read_group", [[], ["customer"], ["customer"]], {}),
]


def writes(partner_id):
    return [
        ("create", [{"name": "made by a read-only key"}], {}),
        ("write", [[partner_id], {"name": "renamed by a read-only key"}], {}),
        ("unlink", [[partner_id]], {}),
        ("copy", [partner_id], {}),
        ("toggle_active", [[partner_id]], {}),  # a button method
    ]


def call(server, protocol, uid, secret, method, args, kwargs, model="res.partner"):
    if protocol == "jsonrpc":
        return server.jsonrpc("object", "execute_kw", server.db, uid, secret, model, method, args, kwargs)
    return server.execute_kw(uid, secret, model, method, args, kwargs)


@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc"])
def test_read_only_key_reads_but_every_write_path_is_refused(server, user, protocol):
    key = user.web.new_api_key(user.uid, user.password, "reporting", access="read")
    partner_id = server.admin("res.partner", "create", {"name": "Untouchable"})
    for method, args, kwargs in READS:
        call(server, protocol, user.uid, key, method, args, kwargs)
    assert call(server, protocol, user.uid, key, "read", [[partner_id], ["name"]], {})[0]["name"] == "Untouchable"
    for method, args, kwargs in writes(partner_id):
        with pytest.raises((xmlrpc.client.Fault, JsonRpcError)) as refused:
            call(server, protocol, user.uid, key, method, args, kwargs)
        assert "read-only" in str(refused.value)
    # Old-style object.execute is guarded too.
    with pytest.raises((xmlrpc.client.Fault, JsonRpcError)):
        if protocol == "jsonrpc":
            server.jsonrpc("object", "execute", server.db, user.uid, key, "res.partner", "create", {"name": "x"})
        else:
            server.xmlrpc("object").execute(server.db, user.uid, key, "res.partner", "create", {"name": "x"})
    assert server.admin("res.partner", "search_count", [("name", "ilike", "read-only key")]) == 0
    assert server.admin("res.partner", "read", [partner_id], ["name", "active"])[0] == {
        "id": partner_id, "name": "Untouchable", "active": True}
    # The same user's full-access key and password still write.
    assert call(server, protocol, user.uid, user.password, "write", [[partner_id], {"comment": "ok"}], {})


@pytest.mark.parametrize("protocol", ["xmlrpc", "jsonrpc"])
def test_rotation_over_rpc(server, user, protocol):
    old = user.web.new_api_key(user.uid, user.password, "nightly sync", duration="7")
    kept = call(server, protocol, user.uid, old, "rotate", [], {}, model="res.users.apikeys")
    assert len(kept) == 40 and kept != old
    assert call(server, protocol, user.uid, old, "search_count", [[]], {}) > 0, "without revoke the old key stays"

    new = call(server, protocol, user.uid, kept, "rotate", [], {"revoke": True}, model="res.users.apikeys")
    assert call(server, protocol, user.uid, new, "search_count", [[]], {}) > 0
    with pytest.raises((xmlrpc.client.Fault, JsonRpcError)):
        call(server, protocol, user.uid, kept, "search_count", [[]], {})

    rows = user.web.call_kw("res.users.apikeys", "search_read", [[]], {"fields": ["name", "expiration_date"]})
    assert sorted(row["name"] for row in rows) == ["nightly sync", "nightly sync"]
    limit = datetime.utcnow() + timedelta(days=7, minutes=1)
    assert all(datetime.strptime(row["expiration_date"], "%Y-%m-%d %H:%M:%S") < limit for row in rows)

    assert call(server, protocol, user.uid, new, "revoke_current", [], {}, model="res.users.apikeys") is True
    with pytest.raises((xmlrpc.client.Fault, JsonRpcError)):
        call(server, protocol, user.uid, new, "search_count", [[]], {})
    assert "rotated from 127.0.0.1" in server.log()


def test_rotation_needs_a_key_as_credential(server, user):
    with pytest.raises(xmlrpc.client.Fault) as refused:
        server.execute_kw(user.uid, user.password, "res.users.apikeys", "rotate", [], {})
    assert "API key itself" in refused.value.faultString


def test_key_is_refused_at_the_first_call_after_it_expires(server, user):
    expires = datetime.utcnow() + timedelta(seconds=4)
    key = user.web.new_api_key(user.uid, user.password, "short-lived", duration="custom",
                               expiration_date=expires.strftime("%Y-%m-%d %H:%M:%S"))
    assert server.execute_kw(user.uid, key, "res.partner", "search_count", [[]]) > 0
    time.sleep(max(0, (expires - datetime.utcnow()).total_seconds()) + 0.5)
    with pytest.raises(xmlrpc.client.Fault):
        server.execute_kw(user.uid, key, "res.partner", "search_count", [[]])
    assert server.xmlrpc("common").authenticate(server.db, user.login, key, {}) is False


def test_ordinary_user_cannot_choose_no_expiry_or_exceed_the_limit(server, user):
    for choices in ({"duration": "none"}, {"duration": "custom", "expiration_date": "2099-01-01 00:00:00"}):
        with pytest.raises(JsonRpcError) as refused:
            user.web.new_api_key(user.uid, user.password, "too long", **choices)
        assert "administrators" in str(refused.value) or "at most" in str(refused.value)
    assert user.web.call_kw("res.users.apikeys", "search_count", [[]]) == 0


def test_last_use_is_shown_with_the_address(server, user):
    key = user.web.new_api_key(user.uid, user.password, "watched")
    listed = user.web.call_kw("res.users.apikeys", "search_read", [[]], {"fields": ["last_used_at", "last_used_ip"]})
    assert listed[0]["last_used_at"] is False
    server.execute_kw(user.uid, key, "res.partner", "search_count", [[]])
    listed = user.web.call_kw("res.users.apikeys", "search_read", [[]], {"fields": ["last_used_at", "last_used_ip"]})
    assert listed[0]["last_used_at"] and listed[0]["last_used_ip"] == "127.0.0.1"


def test_administrator_makes_a_key_for_an_integration_user_without_password(server):
    robot_uid = server.admin("res.users", "create", {"name": "Integration robot", "login": "robot-%s" % time.time()})
    admin = WebClient(server)
    admin.authenticate("admin", "admin")
    key = admin.new_api_key(robot_uid, "admin", "robot's key", duration="none")
    assert server.execute_kw(robot_uid, key, "res.partner", "search_count", [[]]) > 0
    row = admin.call_kw("res.users.apikeys", "search_read", [[("user_id", "=", robot_uid)]],
                        {"fields": ["user_id", "creator_id", "expiration_date"]})[0]
    assert (row["user_id"][0], row["creator_id"][0], row["expiration_date"]) == (robot_uid, ADMIN_UID, False)


def test_ordinary_user_cannot_make_a_key_for_someone_else(server, user):
    other_login, other_uid = server.create_user("other-password")
    with pytest.raises(JsonRpcError):
        user.web.new_api_key(user.uid, user.password, "sneaky", user_id=other_uid)
    assert server.admin("res.users.apikeys", "search_count", [("user_id", "=", other_uid)]) == 0
