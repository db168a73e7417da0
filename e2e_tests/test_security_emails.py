"""Security e-mails (issue 17), through Odoo's own outgoing mail server to a real SMTP server:
who is told, what they read, and that mail never blocks or loses a key operation."""
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor

import pytest

from key_events import (
    admin_addresses, admin_web, description, events, key_id_of, mail_server, module_mail_server, run_scheduled_action,
    sent_to, settle, sql, user_with_address,
)
from odoo_servers import APPS_TEMPLATE_DB, JsonRpcError, OdooServer, copy_template
from smtp_server import point_odoo_at

SEND_EMAILS = "auth_apikeys.ir_cron_send_api_key_emails"
WARN_OF_EXPIRY = "auth_apikeys.ir_cron_warn_of_expiring_api_keys"
CLEAN_UP = "auth_apikeys.ir_cron_delete_expired_api_keys"
PREFERENCES_LINK = "/web#action=base.action_res_users_my&id=%d"  # the user's id: the web client's Preferences


odoo = module_mail_server("emails")


def assert_tells_nothing_secret(message, key):
    raw = message.raw.decode("ascii", "replace")
    assert key not in raw and key[:8] not in raw
    assert "pbkdf2" not in raw


def test_a_key_made_in_preferences_emails_its_user(odoo, smtp):
    user = user_with_address(odoo)
    name = description()
    key = user.web.new_api_key(user.uid, user.password, name)
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos)
    assert message.subject == "New API key on your account"
    made_on = odoo.admin("res.users.apikeys", "read", [key_id_of(odoo, user.uid, name)], ["create_date"])[0]
    for line in ["An API key was made for your account.", "Key: %s, made on %s UTC" % (name, made_on["create_date"]),
                 "By: %s (%s)" % (user.login, user.login), "From: 127.0.0.1", "When: ", PREFERENCES_LINK % user.uid]:
        assert line in message.text
    assert_tells_nothing_secret(message, key)


def test_a_key_an_administrator_makes_for_a_user_emails_that_user(odoo, smtp):
    user = user_with_address(odoo)
    key = admin_web(odoo).new_api_key(user.uid, "admin", "made for you")
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos)
    assert "By: Administrator (admin)" in message.text and "Key: made for you" in message.text
    assert_tells_nothing_secret(message, key)


def test_a_user_without_an_address_is_reported_to_the_administrators(odoo, smtp):
    integration = odoo.logged_in_user()  # no e-mail address
    key = admin_web(odoo).new_api_key(integration.uid, "admin", "integration without address")
    administrators = admin_addresses(odoo)
    assert administrators
    message = smtp.wait_for(lambda m: "Key: integration without address" in m.text)
    assert set(message.rcpt_tos) <= administrators
    assert "User: %s (%s)" % (integration.login, integration.login) in message.text
    assert "/web#action=base.action_res_users&id=%d&view_type=form" % integration.uid in message.text  # their form
    assert_tells_nothing_secret(message, key)


def test_a_rotation_sends_one_email_naming_both_keys(odoo, smtp):
    user = user_with_address(odoo)
    old = user.web.new_api_key(user.uid, user.password, "nightly sync")
    smtp.wait_for(lambda m: user.email in m.rcpt_tos)
    new = odoo.execute_kw(user.uid, old, "res.users.apikeys", "rotate", [], {"revoke": True})
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos and m.subject == "API key rotated")
    assert "Replaces: nightly sync" in message.text
    settle()
    assert [m.subject for m in sent_to(smtp, user.email)] == ["New API key on your account", "API key rotated"]
    assert_tells_nothing_secret(message, old)
    assert_tells_nothing_secret(message, new)


def test_only_a_deletion_by_someone_else_is_emailed(odoo, smtp):
    user = user_with_address(odoo)
    user.web.new_api_key(user.uid, user.password, "mine to delete")
    user.web.new_api_key(user.uid, user.password, "deleted by the administrator")
    user.web.delete_api_key(key_id_of(odoo, user.uid, "mine to delete"), user.password)
    admin_web(odoo).delete_api_key(key_id_of(odoo, user.uid, "deleted by the administrator"), "admin")
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos and m.subject == "API key deleted")
    assert "Key: deleted by the administrator" in message.text and "By: Administrator (admin)" in message.text
    settle()
    assert [m.subject for m in sent_to(smtp, user.email)].count("API key deleted") == 1


@pytest.mark.parametrize("outage", ["down", "refusing"])
def test_an_smtp_outage_neither_fails_nor_slows_a_key_and_the_email_follows(odoo, smtp, outage):
    user = user_with_address(odoo)
    user.web.new_api_key(user.uid, user.password, "warm-up")  # the password confirmed: time the key alone
    smtp.wait_for(lambda m: user.email in m.rcpt_tos)
    if outage == "down":
        smtp.stop()
    else:
        smtp.refusing = True
    try:
        started = time.monotonic()
        key = user.web.new_api_key(user.uid, user.password, "made during an outage")
        took = time.monotonic() - started
        assert odoo.xmlrpc("common").authenticate(odoo.db, user.login, key, {}) == user.uid
        queued = wait_for_an_attempt(odoo, "%" + user.email)
    finally:
        smtp.refusing = False
        smtp.start() if outage == "down" else None
    assert took < 5, "making a key took %.1f s while the SMTP server was %s" % (took, outage)
    assert queued["state"] == "queued" and queued["attempts"] >= 1
    assert len(sent_to(smtp, user.email)) == 1
    # Retried a minute later: here, the retry is moved to now and the scheduled action run.
    sql(odoo, "UPDATE res_users_apikeys_notice SET next_attempt_at = now() at time zone 'utc'")
    run_scheduled_action(odoo, SEND_EMAILS)
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos and "made during an outage" in m.text)
    assert_tells_nothing_secret(message, key)
    assert not odoo.admin("res.users.apikeys.notice", "search", [("email_to", "=", user.email)])  # deleted once sent


def test_a_slow_smtp_server_does_not_slow_a_key_down(odoo, smtp):
    user = user_with_address(odoo)
    user.web.new_api_key(user.uid, user.password, "warm-up")
    smtp.wait_for(lambda m: user.email in m.rcpt_tos)
    smtp.delay = 10
    try:
        started = time.monotonic()
        user.web.new_api_key(user.uid, user.password, "made while the server is slow")
        took = time.monotonic() - started
        message = smtp.wait_for(lambda m: user.email in m.rcpt_tos and "made while the server is slow" in m.text)
    finally:
        smtp.delay = 0
    assert took < 5, "making a key took %.1f s while the SMTP server took 10 s a message" % took
    assert time.monotonic() - started >= 10 and "Key: made while the server is slow" in message.text


def test_a_slow_smtp_server_holds_one_database_connection_whatever_the_key_operations(odoo, smtp):
    """One sender per database and server process: requests that queue e-mails while the SMTP
    server is slow do not each keep a connection busy (a pool of 64 would run out)."""
    users = [user_with_address(odoo) for _user in range(6)]
    smtp.delay = 3
    try:
        with ThreadPoolExecutor(len(users)) as pool:
            list(pool.map(lambda user: user.web.new_api_key(user.uid, user.password, "while slow"), users))
        sending = []  # each request is answered: transactions waiting on the SMTP server, sampled
        for _sample in range(10):
            sending.append(int(sql(odoo, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                         " AND state = 'idle in transaction'")))
            time.sleep(0.2)
        for user in users:
            smtp.wait_for(lambda m, to=user.email: to in m.rcpt_tos and "Key: while slow" in m.text, timeout=60)
    finally:
        smtp.delay = 0
    assert max(sending) == 1, "up to %d transactions waited on the SMTP server at once" % max(sending)


def test_odoos_own_scheduler_sends_what_failed_within_5_minutes(smtp):
    """No test runs the scheduled action here: Odoo's cron thread does, every minute."""
    server = OdooServer(copy_template("emails_cron"), cron_threads=1)
    try:
        point_odoo_at(server, smtp)
        user = user_with_address(server)
        smtp.stop()
        try:
            user.web.new_api_key(user.uid, user.password, "sent by the scheduler")
            wait_for_an_attempt(server, user.email)
        finally:
            smtp.start()
        failed_at = time.monotonic()
        smtp.wait_for(lambda m: user.email in m.rcpt_tos and "sent by the scheduler" in m.text, timeout=300)
        assert time.monotonic() - failed_at < 300
    finally:
        server.stop()


def wait_for_an_attempt(odoo, email_to, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        domain = [("email_to", "=like", email_to), ("attempts", ">", 0)]
        notices = odoo.admin("res.users.apikeys.notice", "search_read", domain, ["state", "attempts"])
        if notices:
            return notices[0]
        time.sleep(0.2)
    raise AssertionError("no failed attempt to send the e-mail within %ss" % timeout)


def test_an_address_odoo_cannot_write_holds_up_no_other_email(odoo, smtp):
    """Any user may give themself an address with an accent, which Odoo 11 cannot put in a
    message header: their e-mail is given up, with the reason, and everyone else's still leaves."""
    accented = odoo.logged_in_user()
    odoo.execute_kw(accented.uid, accented.password, "res.users", "write",
                    [[accented.uid], {"email": "jos\u00e9@ex\u00e4mple.test"}])
    accented.web.new_api_key(accented.uid, accented.password, "accented address")
    other = user_with_address(odoo)
    other.web.new_api_key(other.uid, other.password, "after the accented address")
    smtp.wait_for(lambda m: other.email in m.rcpt_tos and "Key: after the accented address" in m.text)
    given_up = odoo.admin("res.users.apikeys.notice", "search_read",
                          [("email_to", "=", "jos\u00e9@ex\u00e4mple.test")], ["state", "last_error"])
    assert [(notice["state"], bool(notice["last_error"])) for notice in given_up] == [("failed", True)]


def test_plain_users_cannot_read_the_queued_emails(odoo, smtp):
    user = user_with_address(odoo)
    with pytest.raises(JsonRpcError) as refused:
        user.web.call_kw("res.users.apikeys.notice", "search_read", [[]])
    assert "not allowed to access" in str(refused.value)
    key = user.web.new_api_key(user.uid, user.password, "reader of e-mails")
    for secret in (user.password, key):
        with pytest.raises(xmlrpc.client.Fault) as fault:
            odoo.execute_kw(user.uid, secret, "res.users.apikeys.notice", "search_read", [[]])
        assert "not allowed to access" in fault.value.faultString


def test_expiry_warnings_7_days_and_1_day_before(odoo, smtp):
    user = user_with_address(odoo)
    user.web.new_api_key(user.uid, user.password, "expiring", duration="30")
    key_id = key_id_of(odoo, user.uid, "expiring")
    smtp.wait_for(lambda m: user.email in m.rcpt_tos)
    # Made 24 days ago, expires in 6 days: the 7-day warning is due.
    sql(odoo, "UPDATE res_users_apikeys SET create_date = create_date - interval '24 days', "
              "expiration_date = (now() at time zone 'utc') + interval '6 days' WHERE id = %d" % key_id)
    run_scheduled_action(odoo, WARN_OF_EXPIRY)
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos and "expires in 7 day(s)" in m.subject)
    assert "Key: expiring" in message.text
    run_scheduled_action(odoo, WARN_OF_EXPIRY)  # once only
    sql(odoo, "UPDATE res_users_apikeys SET expiration_date = (now() at time zone 'utc') + interval '20 hours' "
              "WHERE id = %d" % key_id)
    run_scheduled_action(odoo, WARN_OF_EXPIRY)
    smtp.wait_for(lambda m: user.email in m.rcpt_tos and "expires in 1 day(s)" in m.subject)
    run_scheduled_action(odoo, WARN_OF_EXPIRY)
    settle()
    assert [m.subject for m in sent_to(smtp, user.email)][1:] == [
        "API key expires in 7 day(s)", "API key expires in 1 day(s)"]


def test_a_warning_already_past_when_the_key_is_made_is_not_sent(odoo, smtp):
    user = user_with_address(odoo)
    user.web.new_api_key(user.uid, user.password, "short-lived", duration="7")  # made when its 7-day warning is due
    run_scheduled_action(odoo, WARN_OF_EXPIRY)
    settle()
    assert [m.subject for m in sent_to(smtp, user.email)] == ["New API key on your account"]


def test_the_clean_up_deletes_expired_keys_and_tells_their_users(odoo, smtp):
    user = user_with_address(odoo)
    user.web.new_api_key(user.uid, user.password, "to expire")
    key_id = key_id_of(odoo, user.uid, "to expire")
    sql(odoo, "UPDATE res_users_apikeys SET expiration_date = (now() at time zone 'utc') - interval '1 minute' "
              "WHERE id = %d" % key_id)
    run_scheduled_action(odoo, CLEAN_UP)
    message = smtp.wait_for(lambda m: user.email in m.rcpt_tos and m.subject == "API key expired")
    assert "Key: to expire" in message.text
    assert not odoo.admin("res.users.apikeys", "search", [("id", "=", key_id)])
    assert [e["how"] for e in events(odoo, key_id=key_id, event="expired")] == ["cleanup"]


def test_a_deleted_key_presented_again_is_refused_as_any_wrong_key_and_sounds_the_alarm(odoo, smtp):
    user = user_with_address(odoo)
    key = user.web.new_api_key(user.uid, user.password, "forgotten script")
    key_id = key_id_of(odoo, user.uid, "forgotten script")
    user.web.delete_api_key(key_id, user.password)
    common = odoo.xmlrpc("common", address="127.0.0.31")
    never_existed = "0" * 40
    assert common.authenticate(odoo.db, user.login, key, {}) is False
    assert common.authenticate(odoo.db, user.login, never_existed, {}) is False
    with pytest.raises(xmlrpc.client.Fault) as deleted_fault:
        odoo.xmlrpc("object", address="127.0.0.31").execute_kw(odoo.db, user.uid, key, "res.partner", "search", [[]])
    with pytest.raises(xmlrpc.client.Fault) as never_fault:
        odoo.xmlrpc("object", address="127.0.0.31").execute_kw(odoo.db, user.uid, never_existed, "res.partner",
                                                               "search", [[]])
    assert deleted_fault.value.faultString == never_fault.value.faultString
    alarm = smtp.wait_for(lambda m: user.email in m.rcpt_tos and m.subject == "A deleted API key is still being used")
    assert "is still being used from 127.0.0.31" in alarm.text and "Key: forgotten script" in alarm.text
    for address in admin_addresses(odoo):  # and each administrator
        smtp.wait_for(lambda m, to=address: to in m.rcpt_tos and m.subject == alarm.subject
                      and "Key: forgotten script" in m.text)
    assert_tells_nothing_secret(alarm, key)
    presented = events(odoo, key_id=key_id, event="revoked_key_used")
    assert [e["address"] for e in presented] == ["127.0.0.31"]
    settle()
    assert [m.subject for m in sent_to(smtp, user.email)].count(alarm.subject) == 1  # once a day per key


def test_a_deleted_key_the_server_had_verified_sounds_the_alarm_at_its_first_refusal(odoo, smtp):
    user = user_with_address(odoo)
    key = user.web.new_api_key(user.uid, user.password, "cached script")
    key_id = key_id_of(odoo, user.uid, "cached script")
    script = odoo.xmlrpc("object", address="127.0.0.32")
    assert script.execute_kw(odoo.db, user.uid, key, "res.partner", "search_count", [[]], {}) > 0
    admin_web(odoo).delete_api_key(key_id, "admin")
    with pytest.raises(xmlrpc.client.Fault):
        script.execute_kw(odoo.db, user.uid, key, "res.partner", "search_count", [[]], {})
    assert [e["address"] for e in events(odoo, key_id=key_id, event="revoked_key_used")] == ["127.0.0.32"]
    smtp.wait_for(lambda m: user.email in m.rcpt_tos and m.subject == "A deleted API key is still being used")


def test_a_forged_key_with_a_deleted_keys_index_is_not_recognised(odoo, smtp):
    user = user_with_address(odoo)
    key = user.web.new_api_key(user.uid, user.password, "index only")
    key_id = key_id_of(odoo, user.uid, "index only")
    user.web.delete_api_key(key_id, user.password)
    forged = key[:8] + ("0" * 32 if key[8:] != "0" * 32 else "1" * 32)
    assert odoo.xmlrpc("common").authenticate(odoo.db, user.login, forged, {}) is False
    settle()
    assert not events(odoo, key_id=key_id, event="revoked_key_used")
    assert "A deleted API key is still being used" not in [m.subject for m in sent_to(smtp, user.email)]


def test_with_mail_installed_the_emails_leave_the_same_way(smtp):
    if not APPS_TEMPLATE_DB:
        pytest.skip("no apps template: the apps are tested in the Python 3.11 leg, unless AUTH_APIKEYS_APPS=0")
    server = mail_server("emails_apps", smtp, APPS_TEMPLATE_DB)
    try:
        user = user_with_address(server)
        key = user.web.new_api_key(user.uid, user.password, "with mail installed")
        message = smtp.wait_for(lambda m: user.email in m.rcpt_tos)
        assert "Key: with mail installed" in message.text
        assert_tells_nothing_secret(message, key)
    finally:
        server.stop()
