"""Making and deleting keys through the Preferences wizards, as the web client calls them."""
import subprocess

import pytest

from odoo_servers import ADMIN_UID, JsonRpcError, WebClient


def own_keys(user):
    return user.web.call_kw("res.users.apikeys", "search_read", [[]], {"fields": ["name", "user_id"]})


def test_wrong_password_shows_an_error_and_makes_no_key(server, user):
    action = user.web.call_button("res.users", "api_key_wizard", [user.uid])
    assert action["res_model"] == "res.users.identitycheck"
    with pytest.raises(JsonRpcError) as error:
        user.web.confirm_password(action, "not-my-password")
    assert "Incorrect password" in str(error.value)
    assert "not-my-password" not in str(error.value.error)
    assert own_keys(user) == []


def test_key_made_through_the_wizards_is_listed_and_shown_once(server, user):
    key = user.web.new_api_key(user.uid, user.password, "Invoice sync")
    assert len(key) == 40
    listed = own_keys(user)
    assert [k["name"] for k in listed] == ["Invoice sync"]
    listed_on_user = user.web.call_kw("res.users", "read", [[user.uid], ["api_key_ids"]])[0]["api_key_ids"]
    assert listed_on_user == [listed[0]["id"]]
    # No read path returns the key or its hash.
    record = user.web.call_kw("res.users.apikeys", "read", [[listed[0]["id"]]])[0]
    assert key not in str(record) and "pbkdf2" not in str(record)


def test_password_is_asked_again_only_after_ten_minutes(server, user):
    user.web.new_api_key(user.uid, user.password, "first")
    # Confirmed a moment ago: the second key goes straight to the description.
    action = user.web.call_button("res.users", "api_key_wizard", [user.uid])
    assert action["res_model"] == "res.users.apikeys.description"


def test_deleting_asks_for_the_password_in_a_new_session(server, user):
    user.web.new_api_key(user.uid, user.password, "to delete")
    key_id = own_keys(user)[0]["id"]
    fresh = WebClient(server)
    fresh.authenticate(user.login, user.password)
    action = fresh.call_button("res.users.apikeys", "remove", [key_id])
    assert action["res_model"] == "res.users.identitycheck"
    assert own_keys(user), "nothing is deleted before the password is confirmed"
    fresh.confirm_password(action, user.password)
    assert own_keys(user) == []


def test_user_cannot_delete_another_users_key(server, user):
    admin_web = WebClient(server)
    admin_web.authenticate("admin", "admin")
    admin_web.new_api_key(ADMIN_UID, "admin", "admin's key")
    admin_key_id = admin_web.call_kw("res.users.apikeys", "search", [[("user_id", "=", ADMIN_UID)]])[0]
    user.web.new_api_key(user.uid, user.password, "warm up the identity check")
    with pytest.raises(JsonRpcError) as error:
        user.web.call_button("res.users.apikeys", "remove", [admin_key_id])
    assert error.value.error["data"]["name"] == "odoo.exceptions.MissingError"  # as if it did not exist
    assert admin_web.call_kw("res.users.apikeys", "search", [[("id", "=", admin_key_id)]]) == [admin_key_id]


def test_admin_deletes_another_users_key(server, user):
    key = user.web.new_api_key(user.uid, user.password, "revoked by admin")
    admin_web = WebClient(server)
    admin_web.authenticate("admin", "admin")
    key_ids = admin_web.call_kw("res.users", "read", [[user.uid], ["api_key_ids"]])[0]["api_key_ids"]
    admin_web.delete_api_key(key_ids[0], "admin")
    assert server.xmlrpc("common").authenticate(server.db, user.login, key, {}) is False


def test_creation_and_deletion_are_logged_with_id_and_address_never_the_key(server, user):
    key = user.web.new_api_key(user.uid, user.password, "logged")
    key_id = own_keys(user)[0]["id"]
    user.web.delete_api_key(key_id, user.password)
    log = server.log()
    assert "API key #%s created for %s (#%s) by %s (#%s) from 127.0.0.1" % (
        key_id, user.login, user.uid, user.login, user.uid) in log
    assert "API key #%s of %s (#%s) deleted by %s (#%s) from 127.0.0.1" % (
        key_id, user.login, user.uid, user.login, user.uid) in log
    assert key not in log and user.password not in log


def test_neither_key_nor_password_reaches_any_table(server, user):
    key = user.web.new_api_key(user.uid, user.password, "scanned")
    # A mistyped password, refused by the Security Control dialog, must not linger either.
    fresh = WebClient(server)
    fresh.authenticate(user.login, user.password)
    mistyped = "mistyped-%s" % user.password
    with pytest.raises(JsonRpcError):
        fresh.confirm_password(fresh.call_button("res.users", "api_key_wizard", [user.uid]), mistyped)
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--no-owner", server.db], capture_output=True, text=True, check=True
    ).stdout
    assert "scanned" in dump, "the dump must contain the key's row"
    for secret in (key, user.password, mistyped):
        assert secret not in dump
