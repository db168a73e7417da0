"""JSON-2's answers when a call cannot be served: 19.0's status codes and error object, every one of them
JSON, none with a traceback or a value of the request in its message; threaded and --workers=2."""
import pytest

import json2
from both_modes import server_in_both_modes
from json2 import assert_error

any_server = server_in_both_modes("json2_errors")
PROBE = "zz\u00e9<script>probe"  # a value no message may repeat


@pytest.fixture(scope="module")
def key(any_server):
    user = any_server.logged_in_user()
    return user.web.new_api_key(user.uid, user.password, "errors")


def test_no_key_is_a_401_that_asks_for_a_bearer_key(any_server):
    answer = json2.call(any_server, None, "res.partner", "search", {"domain": []})
    assert "Bearer Authorization header" in assert_error(answer, 401, "werkzeug.exceptions.Unauthorized")
    assert answer.headers["WWW-Authenticate"].lower().strip() == "bearer"
    assert answer.json["arguments"] == [answer.json["message"], 401]


@pytest.mark.parametrize("scheme", ["bearer", "Bearer", "BEARER"])
def test_the_scheme_is_case_insensitive(any_server, key, scheme):
    answer = json2.call(any_server, None, "res.partner", "search_count", {"domain": []},
                        headers={"Authorization": "%s %s" % (scheme, key)})
    assert answer.status == 200 and answer.json > 0


def test_a_wrong_key_is_a_401(any_server):
    answer = json2.call(any_server, "0" * 40, "res.partner", "search", {"domain": []})
    assert assert_error(answer, 401) == "Invalid apikey"
    assert answer.headers["WWW-Authenticate"].lower().strip() == "bearer"


def test_unknown_model_and_method_are_404s_that_name_only_names(any_server, key):
    assert "res.nothing" in assert_error(json2.call(any_server, key, "res.nothing", "search"), 404)
    assert "'nothing'" in assert_error(json2.call(any_server, key, "res.partner", "nothing"), 404)
    for model, method in [(PROBE, "search"), ("res.partner", PROBE)]:
        message = assert_error(json2.call(any_server, key, model, method), 404)
        assert "probe" not in message and "script" not in message


@pytest.mark.parametrize("method", ["_read_from_database", "init", "check", "check_credentials", "authenticate",
                                    "check_super"])
def test_private_and_password_methods_are_403s(any_server, key, method):
    assert_error(json2.call(any_server, key, "res.users", method), 403, "odoo.exceptions.AccessError")


def test_other_paths_and_verbs_are_404s_that_say_what_to_send(any_server, key):
    for path, method in [("/json/2", "POST"), ("/json/2/res.partner", "POST"), ("/json/2/res.partner/search", "GET"),
                         ("/json/2/a/b/c", "POST")]:
        answer = json2.request(any_server, path, key=key, method=method)
        assert assert_error(answer, 404) == "Did you mean POST /json/2/<model>/<method>?"


def test_a_body_that_is_not_json_is_a_400_and_another_type_a_415(any_server, key):
    assert_error(json2.call(any_server, key, "res.partner", "search", raw=b'{"domain": [}'), 400)
    answer = json2.call(any_server, key, "res.partner", "search", raw=b"domain=x",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(answer, 415, "werkzeug.exceptions.UnsupportedMediaType")
    assert_error(json2.call(any_server, key, "res.partner", "search", raw=b"[1]"), 422)


def test_arguments_that_do_not_bind_are_422s(any_server, key):
    message = assert_error(json2.call(any_server, key, "res.partner", "search", {}), 422)
    assert message == "missing a required argument: 'domain'"
    message = assert_error(json2.call(any_server, key, "res.partner", "search", {"domain": [], "args": []}), 422)
    assert message == "got an unexpected keyword argument 'args'"
    message = assert_error(json2.call(any_server, key, "res.partner", "search", {"domain": [], PROBE: 1}), 422)
    assert "probe" not in message
    assert_error(json2.call(any_server, key, "res.partner", "read", {"ids": ["1"]}), 422)
    assert_error(json2.call(any_server, key, "res.partner", "read", {"ids": [1], "context": [PROBE]}), 422)


def test_values_the_method_cannot_take_are_422s_that_echo_nothing(any_server, key):
    """A stated difference from 19.0, which answers these with 500 and a traceback."""
    for body in [{"domain": [[PROBE, "=", 1]]}, {"domain": [["name", PROBE, 1]]}, {"domain": PROBE},
                 {"domain": [], "order": PROBE}, {"domain": [], "limit": PROBE}]:
        message = assert_error(json2.call(any_server, key, "res.partner", "search", body), 422)
        assert "probe" not in message and "probe" not in str(message), body


def test_user_errors_are_422s_and_missing_records_404s(any_server, key):
    assert_error(json2.call(any_server, key, "res.partner", "create", {"vals_list": {}}), 422)
    answer = json2.call(any_server, key, "res.partner", "write", {"ids": [2 ** 30], "vals": {"name": "x"}})
    assert_error(answer, 404, "odoo.exceptions.MissingError")


def test_access_errors_are_403s(any_server, key):
    assert_error(json2.call(any_server, key, "ir.cron", "search", {"domain": []}), 403, "odoo.exceptions.AccessError")


def test_an_unknown_database_is_a_404_and_none_chosen_too(any_server, key):
    assert "X-Odoo-Database" in assert_error(json2.call(any_server, key, "res.partner", "search", {"domain": []},
                                                        database="no_such_db_%s" % PROBE), 404)
    # The server serves one database (--db-filter): no header picks it, an empty one counts as none.
    assert json2.call(any_server, key, "res.partner", "search_count", {"domain": []}, database=False).status == 200
    answer = json2.call(any_server, key, "res.partner", "search_count", {"domain": []},
                        headers={"X-Odoo-Database": ""})
    assert answer.status == 200


def test_the_query_string_is_ignored(any_server, key):
    answer = json2.request(any_server, "/json/2/res.partner/search_count?domain=x&limit=1", {"domain": []}, key=key)
    assert answer.status == 200 and answer.json > 1


def test_refusals_are_logged_in_one_line_without_the_key(any_server, key):
    json2.call(any_server, key, "res.nothing", "search")
    json2.call(any_server, key + "0", "res.partner", "search")
    log = any_server.log()
    assert key not in log
    assert any("JSON-2" in line and "404" in line for line in log.splitlines())


def test_odoos_messages_that_repeat_a_value_of_the_request_are_not_repeated(any_server, key):
    """ir.default.set says "Invalid value for res.partner.lang: <the value>" (found by a review)."""
    answer = json2.call(any_server, key, "ir.default", "set",
                        {"model_name": "res.partner", "field_name": "lang", "value": PROBE})
    message = assert_error(answer, 422)
    assert "probe" not in answer.text and "is not repeated" in message
    # A message that quotes nothing sent comes through.
    answer = json2.call(any_server, key, "res.partner", "create", {"vals_list": {"name": False}})
    assert assert_error(answer, 422) == "Contacts require a name."
