"""The audit trail of API keys (issue 17), as administrators, users and key holders read it over RPC:
what each event records, that events outlive their keys, and that nobody rewrites them."""
import xmlrpc.client

import pytest

from key_events import (
    admin_web, events, key_id_of, module_mail_server, run_scheduled_action, sent_to, settle, sql, user_with_address,
)
from odoo_servers import ADMIN_UID, JsonRpcError

FORGET_OLD = "auth_apikeys.ir_cron_forget_old_api_key_events"
EVENT = "res.users.apikeys.event"


odoo = module_mail_server("events")


def call(odoo, address, uid, secret, model="res.partner", method="search_count", args=([],)):
    return odoo.xmlrpc("object", address=address).execute_kw(odoo.db, uid, secret, model, method, list(args), {})


def summary(trail):
    return [(event["event"], event["how"], event["address"]) for event in trail]


def test_a_keys_trail_from_made_to_deleted_outlives_it(odoo):
    user = user_with_address(odoo)
    key = user.web.new_api_key(user.uid, user.password, "trail", access="read")
    key_id = key_id_of(odoo, user.uid, "trail")
    for address in ("127.0.0.41", "127.0.0.41", "127.0.0.42", "127.0.0.41"):
        call(odoo, address, user.uid, key)
    admin_web(odoo).delete_api_key(key_id, "admin")
    trail = events(odoo, key_id=key_id)
    assert summary(trail) == [("created", False, "127.0.0.1"), ("used", False, "127.0.0.41"),
                              ("used", False, "127.0.0.42"), ("deleted", "administrator", "127.0.0.1")]
    made, deleted = trail[0], trail[-1]
    assert made["actor_id"][0] == made["user_id"][0] == user.uid
    assert made["scope"] == "rpc:read" and made["expiration_date"] and made["key_name"] == "trail"
    assert deleted["actor_id"][0] == ADMIN_UID and deleted["user_login"] == user.login
    assert not odoo.admin("res.users.apikeys", "search", [("id", "=", key_id)])
    assert key not in str(trail) and key[:8] not in str(trail)


def test_each_way_of_deleting_a_key_is_named(odoo):
    user = user_with_address(odoo)
    revoked = user.web.new_api_key(user.uid, user.password, "revoked over RPC")
    call(odoo, "127.0.0.43", user.uid, revoked, "res.users.apikeys", "revoke_current", ())
    rotated = user.web.new_api_key(user.uid, user.password, "rotated away")
    call(odoo, "127.0.0.43", user.uid, rotated, "res.users.apikeys", "rotate", ())  # keeps the old key
    user.web.new_api_key(user.uid, user.password, "of an archived user")
    odoo.admin("res.users", "write", [user.uid], {"active": False})
    by_key = {event["key_name"]: event for event in events(odoo, user_id=user.uid, event="deleted")}
    assert by_key["revoked over RPC"]["how"] == "revoke_current"
    assert by_key["of an archived user"]["how"] == "user_archived"
    assert by_key["rotated away"]["how"] == "user_archived"
    rotation = events(odoo, user_id=user.uid, event="rotated")
    assert [(e["previous_key_name"], e["key_name"]) for e in rotation] == [("rotated away", "rotated away")]
    # Reactivated, the user has no key back.
    odoo.admin("res.users", "write", [user.uid], {"active": True})
    assert not odoo.admin("res.users.apikeys", "search", [("user_id", "=", user.uid)])


def test_a_trail_that_cannot_be_written_fails_no_call_and_is_written_at_the_next_one(odoo):
    """'Used from an address' is written in a transaction of its own: when that fails (here a
    trigger refuses it; in life a full connection pool), the key's call is served all the same."""
    user = user_with_address(odoo)
    key = user.web.new_api_key(user.uid, user.password, "trail down")
    key_id = key_id_of(odoo, user.uid, "trail down")
    sql(odoo, "CREATE FUNCTION refuse_use() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.event = 'used'"
              " THEN RAISE EXCEPTION 'the trail is down'; END IF; RETURN NEW; END $$;"
              "CREATE TRIGGER refuse_use BEFORE INSERT ON res_users_apikeys_event"
              " FOR EACH ROW EXECUTE PROCEDURE refuse_use()")
    try:
        assert call(odoo, "127.0.0.43", user.uid, key) > 0
    finally:
        sql(odoo, "DROP TRIGGER refuse_use ON res_users_apikeys_event; DROP FUNCTION refuse_use()")
    assert "Use of API key #%d from 127.0.0.43 not recorded" % key_id in odoo.log()
    assert not events(odoo, key_id=key_id, event="used")
    assert call(odoo, "127.0.0.43", user.uid, key) > 0
    assert summary(events(odoo, key_id=key_id, event="used")) == [("used", False, "127.0.0.43")]


def test_a_deleted_users_events_keep_their_login(odoo):
    user = user_with_address(odoo)
    user.web.new_api_key(user.uid, user.password, "of a leaving user")
    key_id = key_id_of(odoo, user.uid, "of a leaving user")
    odoo.admin("res.users", "unlink", [user.uid])
    trail = events(odoo, key_id=key_id)
    assert summary(trail)[-1] == ("deleted", "user_deleted", "127.0.0.1")
    assert {event["user_login"] for event in trail} == {user.login} and not any(e["user_id"] for e in trail)


def test_a_cooldown_is_recorded_once_with_its_failed_attempts_and_no_key(odoo):
    odoo.set_param("auth_apikeys.login_cooldown_after", 3)
    try:
        user = user_with_address(odoo)
        common = odoo.xmlrpc("common", address="127.0.0.51")
        for attempt in range(6):  # three failures start it; three more are refused during it
            try:
                common.authenticate(odoo.db, user.login, "wrong-%d" % attempt, {})
            except xmlrpc.client.Fault as fault:
                assert "Too many failed logins" in fault.faultString
    finally:
        odoo.set_param("auth_apikeys.login_cooldown_after", 100000)
    cooldowns = events(odoo, event="cooldown", address="127.0.0.51")
    assert [(e["attempts"], e["key_id"], e["user_id"]) for e in cooldowns] == [(3, 0, False)]
    assert "wrong-" not in str(cooldowns)


@pytest.fixture(scope="module")
def alice_and_bob(odoo):
    alice, bob = user_with_address(odoo), user_with_address(odoo)
    alice.key = alice.web.new_api_key(alice.uid, alice.password, "alice's")
    alice.read_only = alice.web.new_api_key(alice.uid, alice.password, "alice's, read only", access="read")
    bob.key = bob.web.new_api_key(bob.uid, bob.password, "bob's")
    bob.event_id = events(odoo, user_id=bob.uid)[0]["id"]
    return alice, bob


def test_users_and_their_keys_read_their_own_keys_events_only(odoo, alice_and_bob):
    alice, bob = alice_and_bob
    readers = {
        "web session": lambda *args: alice.web.call_kw(EVENT, args[0], list(args[1:])),
        "password": lambda *args: odoo.execute_kw(alice.uid, alice.password, EVENT, args[0], list(args[1:])),
        "key": lambda *args: odoo.execute_kw(alice.uid, alice.key, EVENT, args[0], list(args[1:])),
        "read-only key": lambda *args: odoo.execute_kw(alice.uid, alice.read_only, EVENT, args[0], list(args[1:])),
    }
    for how, read in readers.items():
        seen = read("search_read", [], ["user_id", "key_name"])
        assert seen and {event["user_id"][0] for event in seen} == {alice.uid}, how
        assert read("search_count", [("user_id", "=", bob.uid)]) == 0, how
        assert read("read_group", [], ["user_id"], ["user_id"])[0]["user_id_count"] == len(seen), how
    # Preferences lists them.
    listed = alice.web.call_kw("res.users", "read", [[alice.uid], ["api_key_event_ids"]])[0]["api_key_event_ids"]
    assert set(listed) == {event["id"] for event in events(odoo, user_id=alice.uid)}
    assert set(odoo.admin(EVENT, "search", [("user_id", "=", bob.uid)])) >= {bob.event_id}  # administrators: all


def test_another_users_event_id_answers_as_one_that_does_not_exist(odoo, alice_and_bob):
    alice, bob = alice_and_bob
    missing = odoo.admin(EVENT, "search", [], limit=1, order="id desc")[0] + 1000
    for secret in (alice.password, alice.key):
        for method, args in [("read", [["key_name"]]), ("name_get", []), ("exists", []),
                             ("export_data", [["key_name"]])]:
            answers = [answer(odoo, alice.uid, secret, method, [[event_id]] + args).replace(str(event_id), "<id>")
                       for event_id in (bob.event_id, missing)]
            assert answers[0] == answers[1], method
            assert "bob's" not in answers[0], method


def answer(odoo, uid, secret, method, args):
    """What a client sees: the result, or the fault's message."""
    try:
        return repr(odoo.execute_kw(uid, secret, EVENT, method, args))
    except xmlrpc.client.Fault as fault:
        return fault.faultString


@pytest.mark.parametrize("who", ["user", "user's key", "administrator", "administrator's session"])
def test_nobody_makes_edits_or_deletes_an_event(odoo, alice_and_bob, who):
    alice, bob = alice_and_bob
    own = events(odoo, user_id=alice.uid)[0]["id"]
    callers = {
        "user": lambda method, args: odoo.execute_kw(alice.uid, alice.password, EVENT, method, args),
        "user's key": lambda method, args: odoo.execute_kw(alice.uid, alice.key, EVENT, method, args),
        "administrator": lambda method, args: odoo.admin(EVENT, method, *args),
        "administrator's session": lambda method, args: admin_web(odoo).call_kw(EVENT, method, args),
    }
    for method, args in [("write", [[own], {"key_name": "rewritten"}]), ("unlink", [[own]]),
                         ("create", [{"event": "deleted", "key_name": "forged"}])]:
        with pytest.raises((xmlrpc.client.Fault, JsonRpcError)):
            callers[who](method, args)
    assert events(odoo, id=own)[0]["key_name"] == "alice's"
    assert not events(odoo, key_name="forged")


def test_old_events_and_hashes_are_forgotten(odoo, smtp):
    user = user_with_address(odoo)
    key = user.web.new_api_key(user.uid, user.password, "long gone")
    key_id = key_id_of(odoo, user.uid, "long gone")
    user.web.delete_api_key(key_id, user.password)
    sql(odoo, "UPDATE res_users_apikeys_event SET create_date = create_date - interval '400 days' "
              "WHERE key_id = %d AND event = 'created'" % key_id)
    sql(odoo, "UPDATE res_users_apikeys_event SET create_date = create_date - interval '300 days' "
              "WHERE key_id = %d AND event = 'deleted'" % key_id)
    sql(odoo, "UPDATE res_users_apikeys_revoked SET revoked_on = revoked_on - interval '91 days' "
              "WHERE key_id = %d" % key_id)
    run_scheduled_action(odoo, FORGET_OLD)
    assert summary(events(odoo, key_id=key_id)) == [("deleted", "preferences", "127.0.0.1")]
    # Its hash forgotten, the key is a wrong key like any other: no alarm.
    assert odoo.xmlrpc("common").authenticate(odoo.db, user.login, key, {}) is False
    settle()
    assert not events(odoo, key_id=key_id, event="revoked_key_used")
    assert "A deleted API key is still being used" not in [m.subject for m in sent_to(smtp, user.email)]
