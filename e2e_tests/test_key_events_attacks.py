"""The audit trail, the revoked-key alarm and the security e-mails (issue 17), attacked over
real HTTP: by plain users, portal users, their keys and read-only keys, and by callers who
hold only a deleted key."""
import json
import re
import threading
import uuid
import xmlrpc.client

import pytest

import json2
from key_events import (
    admin_addresses, admin_web, events, key_id_of, module_mail_server, settle, sql, user_with_address,
)
from odoo_servers import FromAddress, JsonRpcError

EVENT = "res.users.apikeys.event"
NOTICE = "res.users.apikeys.notice"


odoo = module_mail_server("events_attacks")


def outcome(call):
    """What a client sees: the result, or the fault's code and message."""
    try:
        return "result", json.dumps(call(), sort_keys=True)
    except xmlrpc.client.Fault as fault:
        return "fault", fault.faultCode, fault.faultString
    except JsonRpcError as error:
        return "error", json.dumps(error.error, sort_keys=True)


@pytest.fixture(scope="module")
def alice_and_bob(odoo):
    """Two plain users with an address; alice with a full and a read-only key, bob with a key
    (so that bob has events of his own)."""
    alice, bob = user_with_address(odoo), user_with_address(odoo)
    alice.key = alice.web.new_api_key(alice.uid, alice.password, "alice's")
    alice.read_only = alice.web.new_api_key(alice.uid, alice.password, "alice's, read only", access="read")
    bob.key = bob.web.new_api_key(bob.uid, bob.password, "bob's secret integration")
    odoo.xmlrpc("object", address="127.0.0.77").execute_kw(odoo.db, bob.uid, bob.key, "res.partner",
                                                           "search_count", [[]], {})
    bob.event_ids = [event["id"] for event in events(odoo, user_id=bob.uid)]
    assert bob.event_ids
    return alice, bob


def readers(odoo, alice):
    return {
        "web session": lambda model, method, args, kw=None: alice.web.call_kw(model, method, args, kw or {}),
        "key": lambda model, method, args, kw=None: odoo.execute_kw(alice.uid, alice.key, model, method, args, kw),
        "read-only key": lambda model, method, args, kw=None: odoo.execute_kw(
            alice.uid, alice.read_only, model, method, args, kw),
    }


# -- Attacks that worked before their fix -----------------------------------------------------------------


def test_concurrent_presentations_of_a_deleted_key_are_refused_as_a_never_existing_key(odoo):
    """The first presentation of a deleted key in a day sounds the alarm (an UPDATE of its
    row in res_users_apikeys_revoked, in a REPEATABLE READ transaction): the same key sent
    at once from several addresses (which the cooldown's per-address lock does not
    serialize) must still be refused as a never-existing key is, with False."""
    user = user_with_address(odoo)
    keys = []
    for attempt in range(3):
        name = "raced %d" % attempt
        keys.append(user.web.new_api_key(user.uid, user.password, name))
        user.web.delete_api_key(key_id_of(odoo, user.uid, name), user.password)
    never_existed = uuid.uuid4().hex + "00000000"

    def burst(key, first_address):
        barrier, answers = threading.Barrier(8), [None] * 8

        def present(slot):
            common = xmlrpc.client.ServerProxy(odoo.url + "/xmlrpc/2/common",
                                               transport=FromAddress("127.0.%d.%d" % (first_address, slot + 1)))
            barrier.wait()
            answers[slot] = outcome(lambda: common.authenticate(odoo.db, user.login, key, {}))

        threads = [threading.Thread(target=present, args=(slot,)) for slot in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return answers

    assert set(burst(never_existed, 90)) == {("result", "false")}
    for number, key in enumerate(keys):
        answers = burst(key, 91 + number)
        assert set(answers) == {("result", "false")}, answers


def test_a_stolen_key_cannot_write_lines_of_its_own_into_the_owners_security_email(odoo, smtp):
    """A key's holder names the key it rotates to: printed as it was, the name would forge the
    e-mail's own lines (who did it, from where) and add a link of its own. Each value is
    printed on one line."""
    user = user_with_address(odoo)
    stolen = user.web.new_api_key(user.uid, user.password, "nightly sync")
    smtp.wait_for(lambda m: user.email in m.rcpt_tos)
    forged = ("nightly sync, made on 2020-01-01 UTC\nBy: Administrator (admin)\nFrom: 10.0.0.1\n\n"
              "Your account is locked: unlock it at http://attacker.example/unlock\nKey: nightly sync")
    odoo.xmlrpc("object", address="127.0.0.66").execute_kw(odoo.db, user.uid, stolen, "res.users.apikeys",
                                                           "rotate", [], {"revoke": True, "name": forged})
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos and m.subject == "API key rotated")
    lines = message.text.splitlines()
    assert [line for line in lines if line.startswith("By: ")] == ["By: %s (%s)" % (user.login, user.login)]
    assert [line for line in lines if line.startswith("From: ")] == ["From: 127.0.0.66"]
    assert "http://attacker.example" not in "\n".join(
        line for line in lines if not line.startswith(("Key: ", "Replaces: ")))


def test_a_stolen_key_cannot_make_a_printed_value_read_as_other_text(odoo, smtp):
    """A right-to-left override shows the text after it reversed, and zero-width characters hide
    inside it: printed as it was, a name would read as something else than it is."""
    user = user_with_address(odoo)
    stolen = user.web.new_api_key(user.uid, user.password, "backup")
    smtp.wait_for(lambda m: user.email in m.rcpt_tos)
    disguised = "backup \u202emoc.elpmaxe\u202c \u200bsync\u2066\ufeff"
    odoo.execute_kw(user.uid, stolen, "res.users.apikeys", "rotate", [], {"name": disguised})
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos and m.subject == "API key rotated")
    key_line = [line for line in message.text.splitlines() if line.startswith("Key: ")]
    assert len(key_line) == 1 and re.match("Key: backup +moc.elpmaxe +sync +, made on ", key_line[0]), key_line
    assert not re.search("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]", message.text)


def test_a_plain_user_cannot_write_lines_of_their_own_into_the_administrators_alarm(odoo, smtp):
    """A user without an e-mail address has their key e-mails sent to the administrators,
    with their name, which they choose in Preferences: its lines must not land in the
    administrators' e-mail as the server's own."""
    user = odoo.logged_in_user()  # no e-mail address
    forged = "Intern\nBy: Administrator (admin)\nFrom: 10.0.0.1"
    user.web.call_kw("res.users", "write", [[user.uid], {"name": forged}])
    user.web.new_api_key(user.uid, user.password, "made by the intern")
    message = smtp.wait_for(lambda m: "Key: made by the intern" in m.text)
    lines = message.text.splitlines()
    assert "By: Administrator (admin)" not in lines, lines
    assert [line for line in lines if line.startswith("From: ")] == ["From: 127.0.0.1"], lines


def test_a_plain_user_learns_nothing_of_the_queued_security_emails(odoo, smtp):
    """Security e-mails waiting to be sent (SMTP refusing) are Settings users' to read:
    a plain user's session, key or read-only key gets the same answer for a queued
    notice's id as for an id that does not exist (Odoo 11's exists() and get_metadata()
    read the table past the access rights)."""
    victim = user_with_address(odoo)
    victim.web.new_api_key(victim.uid, victim.password, "warm-up")  # password confirmed
    smtp.wait_for(lambda m: victim.email in m.rcpt_tos)
    smtp.refusing = True
    try:
        victim.web.new_api_key(victim.uid, victim.password, "queued while refusing")
        notice_id = None
        for _attempt in range(100):
            found = odoo.admin(NOTICE, "search", [("email_to", "=", victim.email)])
            if found:
                notice_id = found[0]
                break
            settle(0.2)
        assert notice_id
        missing = notice_id + 100000
        attacker = odoo.logged_in_user()
        attacker.key = attacker.web.new_api_key(attacker.uid, attacker.password, "attacker's")
        attacker.read_only = attacker.web.new_api_key(attacker.uid, attacker.password, "attacker's ro",
                                                      access="read")
        told = []
        for how, read in readers(odoo, attacker).items():
            for method in ("exists", "get_metadata"):
                answers = [outcome(lambda i=i: read(NOTICE, method, [[i]])) for i in (notice_id, missing)]
                answers = [tuple(re.sub(r"\b%d\b" % i, "<id>", str(part)) for part in answer)
                           for answer, i in zip(answers, (notice_id, missing))]
                if answers[0] != answers[1]:
                    told.append((how, method, answers[0]))
        assert told == []
    finally:
        smtp.refusing = False
    sql(odoo, "UPDATE res_users_apikeys_notice SET next_attempt_at = now() at time zone 'utc'")


def test_a_key_of_an_integration_user_cannot_flood_every_administrator(odoo, smtp):
    """An integration user has no e-mail address, so its key's e-mails go to every
    administrator. Whoever holds the key may rotate it in a loop (keeping one live key):
    at most 10 e-mails an hour about one user's keys (the audit trail records the rest)."""
    integration = odoo.logged_in_user()
    key = admin_web(odoo).new_api_key(integration.uid, "admin", "integration to rotate")
    smtp.wait_for(lambda m: "Key: integration to rotate" in m.text)
    before = len([m for m in smtp.messages if m.subject == "API key rotated" and "User: %s" % integration.login
                  in m.text])
    rotations = 40
    for _rotation in range(rotations):
        key = odoo.execute_kw(integration.uid, key, "res.users.apikeys", "rotate", [], {"revoke": True})
    settle(5)
    flood = [m for m in smtp.messages if m.subject == "API key rotated" and "User: %s" % integration.login in m.text]
    assert len(flood) - before <= 10, "%d rotation e-mails to the administrators" % (len(flood) - before)


def test_a_stolen_key_rotated_into_many_revoked_keys_cannot_flood_every_administrator(odoo, smtp):
    """Each rotation with revoke leaves a revoked key, and each revoked key presented again
    alarms its owner and every administrator once a day: at most 10 alarms a day about one
    user's keys; the audit trail records every presentation."""
    user = user_with_address(odoo)
    key, revoked = user.web.new_api_key(user.uid, user.password, "rotated away"), []
    for _rotation in range(12):
        revoked.append(key)
        key = odoo.execute_kw(user.uid, key, "res.users.apikeys", "rotate", [], {"revoke": True})
    for old in revoked:
        with pytest.raises(xmlrpc.client.Fault):
            odoo.execute_kw(user.uid, old, "res.partner", "search_count", [[]])
    settle(5)
    alarms = [m for m in smtp.messages if m.subject == "A deleted API key is still being used"
              and (user.email in m.rcpt_tos or "User: %s" % user.login in m.text)]
    to_owner = [m for m in alarms if user.email in m.rcpt_tos]
    assert len(to_owner) == 10
    assert sum("This is the last e-mail today" in m.text for m in to_owner) == 1
    for address in admin_addresses(odoo):
        assert len([m for m in alarms if address in m.rcpt_tos]) == 10, address
    presented = [("user_id", "=", user.uid), ("event", "=", "revoked_key_used")]
    assert odoo.admin(EVENT, "search_count", presented) == 12
    assert odoo.admin(EVENT, "search_count", presented + [("emailed", "=", True)]) == 10


def test_a_read_only_key_cannot_grow_the_audit_trail_without_bound(odoo):
    """'Used from an address' is once a day per key and address: a read-only key sent from
    many source addresses (an IPv6 /64 holds 2**64; loopback has 127.0.0.0/8) would write
    one event per address, each in a transaction of its own. 20 addresses a day at most."""
    user = user_with_address(odoo)
    read_only = user.web.new_api_key(user.uid, user.password, "sprayer", access="read")
    key_id = key_id_of(odoo, user.uid, "sprayer")
    for host in range(1, 121):
        proxy = odoo.xmlrpc("object", address="127.0.33.%d" % host)
        proxy.execute_kw(odoo.db, user.uid, read_only, "res.partner", "search_count", [[]], {})
    used = odoo.admin(EVENT, "search_count", [("key_id", "=", key_id), ("event", "=", "used")])
    assert used == 20, "a read-only key wrote %d events in a minute" % used


# -- What held, pinned down ------------------------------------------------------------------------------


def test_other_users_events_stay_hidden_by_every_read_path(odoo, alice_and_bob):
    alice, bob = alice_and_bob
    for how, read in readers(odoo, alice).items():
        for groupby in (["user_id"], ["key_name"], ["address"], ["create_date:day"], ["event"]):
            fields = ["key_name", "address", groupby[0].split(":")[0]]
            groups = read(EVENT, "read_group", [[], fields, groupby], {"lazy": False})
            assert "bob" not in json.dumps(groups) and "127.0.0.77" not in json.dumps(groups), (how, groupby)
        seen = read(EVENT, "search_read", [[], ["user_id", "key_name", "address"]], {"order": "user_id desc"})
        assert {event["user_id"][0] for event in seen} == {alice.uid}, how
        assert read(EVENT, "name_search", [], {"name": "", "limit": 1000}) == read(
            EVENT, "name_search", [], {"name": "", "args": [("user_id", "=", alice.uid)], "limit": 1000}), how
        assert read(EVENT, "search_count", [[("key_name", "like", "bob")]]) == 0, how
        assert read(EVENT, "search_count", [[("address", "=", "127.0.0.77")]]) == 0, how
        other = read("res.users", "read", [[bob.uid], ["api_key_event_ids"]])[0]["api_key_event_ids"]
        assert other == [], how
        exported = outcome(lambda: read(EVENT, "export_data", [bob.event_ids, ["key_name", "address"]]))
        assert "bob" not in str(exported) and "127.0.0.77" not in str(exported), how


def test_a_portal_user_reads_only_their_own_events(odoo, alice_and_bob):
    alice, bob = alice_and_bob
    portal = odoo.logged_in_user(groups=["base.group_portal"])
    for args, kw in [([[]], {"fields": ["user_id", "key_name"]}), ([[]], {})]:
        assert portal.web.call_kw(EVENT, "search_read", args, kw) == []
    groups = portal.web.call_kw(EVENT, "read_group", [[], ["key_name", "user_id"], ["user_id"]])
    assert groups == []


def test_nobody_forges_an_event_by_copy_or_import(odoo, alice_and_bob):
    alice, bob = alice_and_bob
    own = events(odoo, user_id=alice.uid)[0]["id"]
    callers = dict(readers(odoo, alice),
                   admin=lambda model, method, args, kw=None: odoo.admin(model, method, *args, **(kw or {})))
    count = odoo.admin(EVENT, "search_count", [("event", "!=", "used")])  # the keys' first calls are recorded
    for how, call in callers.items():
        for method, args in [("copy", [[own]]), ("copy", [[own], {"key_name": "forged"}]),
                             ("load", [["event", "key_name", "user_id/.id"], [["deleted", "forged", str(bob.uid)]]]),
                             ("load", [[".id", "key_name"], [[str(own), "rewritten"]]])]:
            answer = outcome(lambda: call(EVENT, method, args))
            assert answer[0] != "result" or json.loads(answer[1]).get("ids") in (False, None, []), (how, method)
    assert odoo.admin(EVENT, "search_count", [("event", "!=", "used")]) == count
    assert not events(odoo, key_name="forged") and not events(odoo, key_name="rewritten")


def test_a_key_neither_redirects_nor_silences_its_owners_emails(odoo, alice_and_bob):
    alice, bob = alice_and_bob
    partner_id = odoo.admin("res.users", "read", [alice.uid], ["partner_id"])[0]["partner_id"][0]
    for how, call in readers(odoo, alice).items():
        if how == "web session":
            continue
        for model, method, args in [
            ("res.users", "write", [[alice.uid], {"email": "attacker@example.com"}]),
            ("res.partner", "write", [[partner_id], {"email": "attacker@example.com"}]),
            ("res.partner", "write", [[partner_id], {"email": False}]),
            ("res.users", "write", [[alice.uid], {"partner_id": bob.uid}]),
            ("res.partner", "create", [{"name": "x", "child_ids": [(1, partner_id, {"email": "a@example.com"})]}]),
            (NOTICE, "search", [[]]), (NOTICE, "create", [{"email_to": "a@b", "subject": "s", "body": "b"}]),
            ("ir.mail_server", "write", [[1], {"smtp_host": "attacker.example"}]),
            ("ir.config_parameter", "set_param", ["auth_apikeys.email_from", "attacker@example.com"]),
        ]:
            outcome(lambda: call(model, method, args))
    assert odoo.admin("res.users", "read", [alice.uid], ["email"])[0]["email"] == alice.email
    assert not odoo.admin("ir.config_parameter", "get_param", "auth_apikeys.email_from")


def test_a_deleted_key_is_answered_over_json2_and_execute_kw_as_a_never_existing_key(odoo, smtp):
    user = user_with_address(odoo)
    keys = {}
    for route in ("json2", "execute_kw", "jsonrpc"):
        keys[route] = user.web.new_api_key(user.uid, user.password, "deleted, for " + route)
        user.web.delete_api_key(key_id_of(odoo, user.uid, "deleted, for " + route), user.password)
    never = "f" * 8 + uuid.uuid4().hex

    def json2_answer(key):
        answer = json2.call(odoo, key, "res.partner", "search_count", {"domain": []}, address="127.0.0.88")
        return answer.status, answer.text, sorted((k, v) for k, v in answer.headers.items() if k != "Date")

    assert json2_answer(keys["json2"]) == json2_answer(never)

    def kw_answer(key):
        return outcome(lambda: odoo.xmlrpc("object", address="127.0.0.88").execute_kw(
            odoo.db, user.uid, key, "res.partner", "search_count", [[]], {}))

    assert kw_answer(keys["execute_kw"]) == kw_answer(never)

    def jsonrpc_answer(key):
        return outcome(lambda: odoo.jsonrpc("common", "login", odoo.db, user.login, key, address="127.0.0.88"))

    assert jsonrpc_answer(keys["jsonrpc"]) == jsonrpc_answer(never)
    smtp.wait_for(lambda m: user.email in m.rcpt_tos and "deleted, for json2" in m.text
                  and m.subject == "A deleted API key is still being used")
    trail = str(events(odoo, user_id=user.uid))
    log = odoo.log()
    for key in keys.values():
        assert key not in trail and key[:8] not in trail
        assert key not in log and key[:8] not in log
