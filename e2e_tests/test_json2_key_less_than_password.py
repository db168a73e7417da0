"""On the JSON-2 door too, a key is strictly less than a password: tried as an attacker holding a stolen key,
a stolen session or a password would, over real HTTP; threaded and --workers=2."""
import subprocess
import time
import xmlrpc.client

import pytest

import json2
from both_modes import server_in_both_modes
from json2 import assert_error, ok
from odoo_servers import ADMIN_UID, JsonRpcError, WebClient

any_server = server_in_both_modes("json2_invariant")
AFTER, DURATION = 3, 30  # the login cooldown of this module's servers


@pytest.fixture(scope="module", autouse=True)
def short_cooldown(any_server):
    any_server.set_param("auth_apikeys.login_cooldown_after", AFTER)
    any_server.set_param("auth_apikeys.login_cooldown_duration", DURATION)


@pytest.fixture
def holder(any_server):
    return json2.key_holder(any_server, "stolen")


def sql(server, query):
    return subprocess.run(["psql", "-qtAc", query, server.db], check=True, capture_output=True, text=True).stdout


def test_a_password_is_no_bearer_key_and_counts_as_a_failure(any_server, holder):
    address = "127.0.0.21"
    for _attempt in range(AFTER):
        answer = json2.call(any_server, holder.password, "res.partner", "search_count", {"domain": []},
                            address=address)
        assert assert_error(answer, 401) == "Invalid apikey"
    # In the cooldown, a key not verified from there yet is not even checked.
    fresh = holder.web.new_api_key(holder.uid, holder.password, "unused")
    answer = json2.call(any_server, fresh, "res.partner", "search_count", {"domain": []}, address=address)
    assert "Too many failed logins" in assert_error(answer, 429, "werkzeug.exceptions.TooManyRequests")
    assert 0 < int(answer.headers["Retry-After"]) <= DURATION
    # The same cooldown holds over XML-RPC: one count per address, whichever the door.
    with pytest.raises(xmlrpc.client.Fault) as fault:
        any_server.xmlrpc("common", address=address).authenticate(any_server.db, holder.login, holder.password, {})
    assert "Too many failed logins" in fault.value.faultString


def test_keys_verified_before_a_cooldown_still_pass(any_server, holder):
    address = "127.0.0.22"
    # Verified by every process: a worker may serve any call.
    for _call in range(6):
        ok(any_server, holder.key, "res.partner", "search_count", {"domain": []}, address=address)
    for _attempt in range(AFTER):
        json2.call(any_server, "f" * 40, "res.partner", "search_count", {"domain": []}, address=address)
    statuses = {json2.call(any_server, holder.key, "res.partner", "search_count", {"domain": []},
                           address=address).status for _call in range(6)}
    # Each process passes the keys it verified: with workers, a call may reach one that did not.
    assert statuses == {200} if any_server.longpolling_port is None else statuses <= {200, 429}


def test_a_web_session_never_authenticates_a_call_and_no_answer_sets_one(any_server, holder):
    cookie = "session_id=%s" % next(c.value for c in holder.web.cookies if c.name == "session_id")
    navigation = {"Sec-Fetch-Dest": "document", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "same-origin",
                  "Sec-Fetch-User": "?1"}
    for headers in [{"Cookie": cookie}, dict(navigation, Cookie=cookie), {"X-Openerp-Session-Id": cookie[11:]}]:
        answer = json2.call(any_server, None, "res.partner", "search_count", {"domain": []}, headers=headers)
        assert_error(answer, 401)
    answer = json2.request(any_server, "/json/2/res.partner/search_count?session_id=%s" % cookie[11:],
                           {"domain": []})
    assert_error(answer, 401)
    answer = json2.call(any_server, holder.key, "res.partner", "search_count", {"domain": []},
                        headers={"Cookie": cookie})
    assert answer.status == 200 and "Set-Cookie" not in answer.headers
    assert holder.web.session_uid() == holder.uid, "the web session is untouched"


def test_a_key_cannot_set_confirm_or_change_the_password(any_server, holder):
    address = "127.0.0.24"  # the password checks below fail: their own address, for the cooldown
    answer = json2.call(any_server, holder.key, "res.users", "write",
                        {"ids": [holder.uid], "vals": {"password": "chosen-by-the-thief"}})
    assert_error(answer, 403)
    answer = json2.call(any_server, holder.key, "res.users", "change_password",
                        {"old_passwd": holder.key, "new_passwd": "chosen-by-the-thief"}, address=address)
    assert_error(answer, 403, "odoo.exceptions.AccessDenied")
    # The password dialog asks for the password and takes no key.
    action = ok(any_server, holder.key, "res.users", "api_key_wizard", {"ids": [holder.uid]})
    assert action["res_model"] == "res.users.identitycheck"
    answer = json2.call(any_server, holder.key, "res.users.identitycheck", "write",
                        {"ids": [action["res_id"]], "vals": {"password": holder.key}}, address=address)
    assert "Incorrect password" in assert_error(answer, 422)
    [wizard] = ok(any_server, holder.key, "res.users.apikeys.description", "create",
                  {"vals_list": {"name": "persistence"}})
    action = ok(any_server, holder.key, "res.users.apikeys.description", "make_key", {"ids": [wizard]})
    assert action["res_model"] == "res.users.identitycheck", "no key is made without the password"
    assert [key["name"] for key in ok(any_server, holder.key, "res.users.apikeys", "search_read",
                                      {"domain": [], "fields": ["name"]})] == ["stolen"]
    assert WebClient(any_server).authenticate(holder.login, holder.password)["uid"] == holder.uid
    assert any_server.xmlrpc("common").authenticate(any_server.db, holder.login, "chosen-by-the-thief", {}) is False


def test_a_read_only_key_only_reads(any_server, holder):
    read_only = holder.web.new_api_key(holder.uid, holder.password, "reports", access="read")
    assert ok(any_server, read_only, "res.partner", "search_read", {"domain": [], "fields": ["name"], "limit": 1})
    assert ok(any_server, read_only, "res.users", "context_get")["uid"] == holder.uid
    partner = ok(any_server, read_only, "res.partner", "search", {"domain": [], "limit": 1})
    for model, method, body in [("res.partner", "create", {"vals_list": {"name": "x"}}),
                                ("res.partner", "write", {"ids": partner, "vals": {"comment": "x"}}),
                                ("res.partner", "unlink", {"ids": partner}),
                                ("res.partner", "copy", {"ids": partner}),
                                ("res.users", "api_key_wizard", {"ids": [holder.uid]}),
                                ("res.partner", "toggle_active", {"ids": partner})]:
        message = assert_error(json2.call(any_server, read_only, model, method, body), 403)
        assert "read-only" in message
    assert ok(any_server, read_only, "res.partner", "search_count", {"domain": [["name", "=", "x"]]}) == 0


def test_a_deleted_key_is_refused_at_the_next_call_in_every_process(any_server, holder):
    for _call in range(6):  # trusted by every process
        ok(any_server, holder.key, "res.partner", "search_count", {"domain": []})
    [key_id] = ok(any_server, holder.key, "res.users.apikeys", "search", {"domain": []})
    holder.web.delete_api_key(key_id, holder.password)
    for address in ["127.0.0.25", "127.0.0.28"]:  # as many refusals from each as the cooldown allows
        for _call in range(AFTER):
            answer = json2.call(any_server, holder.key, "res.partner", "search_count", {"domain": []},
                                address=address)
            assert assert_error(answer, 401) == "Invalid apikey"


def test_expired_keys_and_archived_users_are_refused(any_server, holder):
    ok(any_server, holder.key, "res.partner", "search_count", {"domain": []})
    sql(any_server, "UPDATE res_users_apikeys SET expiration_date = now() at time zone 'utc' - interval '1 second' "
                    "WHERE user_id = %d" % holder.uid)
    time.sleep(0.1)
    # An expired key is refused as soon as a process reads its row again (at most ROW_TRUST_SECONDS).
    deadline = time.time() + 15
    while json2.call(any_server, holder.key, "res.partner", "search_count", {"domain": []},
                     address="127.0.0.26").status == 200:
        assert time.time() < deadline, "an expired key still works"
        time.sleep(0.5)
    other = any_server.logged_in_user()
    other.key = other.web.new_api_key(other.uid, other.password, "for an archived user")
    ok(any_server, other.key, "res.partner", "search_count", {"domain": []})
    any_server.admin("res.users", "write", [other.uid], {"active": False})
    assert_error(json2.call(any_server, other.key, "res.partner", "search_count", {"domain": []},
                            address="127.0.0.27"), 401)


def test_a_call_records_the_keys_last_use_and_logs_no_key(any_server, holder):
    ok(any_server, holder.key, "res.partner", "search_count", {"domain": []}, address="127.0.0.23")
    [row] = any_server.admin("res.users.apikeys", "search_read", [["user_id", "=", holder.uid]],
                             fields=["last_used_at", "last_used_ip"])
    assert row["last_used_at"] and row["last_used_ip"] == "127.0.0.23"
    assert holder.key not in any_server.log() and holder.password not in any_server.log()


def test_the_superuser_key_is_held_to_the_same_rules(any_server):
    admin = WebClient(any_server)
    admin.authenticate("admin", "admin")
    key = admin.new_api_key(ADMIN_UID, "admin", "admin's script")
    assert_error(json2.call(any_server, key, "res.users", "write",
                            {"ids": [ADMIN_UID], "vals": {"password": "chosen-by-the-thief"}}), 403)
    assert_error(json2.call(any_server, key, "res.users", "_login", {}), 403)


def test_a_key_cannot_change_where_a_password_reset_goes(any_server, holder):
    """A reset link goes to the user's e-mail address: a key that set it would send itself the link, and
    then the password (auth_signup's reset, found by a review). Refused over JSON-2 and XML-RPC alike."""
    [partner_id] = any_server.admin("res.users", "read", [holder.uid], ["partner_id"])[0]["partner_id"][:1]
    quiet = {"tracking_disable": True}
    for model, ids, vals in [("res.users", [holder.uid], {"email": "thief@example.com"}),
                             ("res.users", [holder.uid], {"login": "thief"}),
                             ("res.partner", [partner_id], {"email": "thief@example.com"})]:
        answer = json2.call(any_server, holder.key, model, "write", {"ids": ids, "vals": vals, "context": quiet})
        assert "password reset" in assert_error(answer, 403, "odoo.exceptions.AccessError")
        with pytest.raises(xmlrpc.client.Fault) as refused:
            any_server.execute_kw(holder.uid, holder.key, model, "write", [ids, vals], {"context": quiet})
        assert "password reset" in refused.value.faultString
    [user] = any_server.admin("res.users", "read", [holder.uid], ["email", "login"])
    assert user["email"] != "thief@example.com" and user["login"] == holder.login
    # Another partner's address is the key's to change, as its user may.
    [other] = ok(any_server, holder.key, "res.partner", "create", {"vals_list": {"name": "a customer"}})
    assert ok(any_server, holder.key, "res.partner", "write", {"ids": [other], "vals": {"email": "c@example.com"}})


def test_no_key_reads_the_passwords_typed_in_the_change_password_wizard(any_server):
    """base's wizard keeps the typed passwords in its lines until its button succeeds (found by a review):
    an administrator's read-only key reads them as empty, whatever the path."""
    admin = WebClient(any_server)
    admin.authenticate("admin", "admin")
    demo_uid = any_server.admin("res.users", "search", [["login", "=", "demo"]])[0]
    wizard = admin.call_kw("change.password.wizard", "create", [{"user_ids": [
        (0, 0, {"user_id": demo_uid, "user_login": "demo", "new_passwd": "Typed-New-Password-42"}),
        (0, 0, {"user_id": ADMIN_UID, "user_login": "admin", "new_passwd": ""})]}])
    with pytest.raises(JsonRpcError):
        admin.call_button("change.password.wizard", "change_password_button", [wizard])  # a line is empty
    read_only = admin.new_api_key(ADMIN_UID, "admin", "admin's reports", access="read")
    found = ok(any_server, read_only, "change.password.user", "search_read",
               {"domain": [], "fields": ["user_login", "new_passwd"]})
    assert found and all(not line["new_passwd"] for line in found)
    answer = json2.call(any_server, read_only, "change.password.user", "search",
                        {"domain": [["new_passwd", "like", "Typed"]]})
    assert_error(answer, 403)
    assert "Typed-New-Password-42" not in json2.call(any_server, read_only, "change.password.user", "read_group",
                                                     {"domain": [], "fields": ["new_passwd"],
                                                      "groupby": ["new_passwd"]}).text
