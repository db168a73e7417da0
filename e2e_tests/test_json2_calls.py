"""JSON-2 (POST /json/2/<model>/<method>, Odoo 19's External API) on Odoo 11: calls with 19.0's names,
as a client written for Odoo 19 sends them, with a key made in Preferences; threaded and --workers=2."""
import re
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

import json2
from both_modes import server_in_both_modes
from json2 import ok

any_server = server_in_both_modes("json2_calls")


@pytest.fixture(scope="module")
def holder(any_server):
    return json2.key_holder(any_server, "JSON-2 client")


def partner_name():
    return "JSON-2 partner %s" % uuid.uuid4().hex[:8]


def test_create_search_read_write_unlink_with_odoo19_names(any_server, holder):
    name = partner_name()
    created = ok(any_server, holder.key, "res.partner", "create", {"vals_list": {"name": name}})
    assert isinstance(created, list) and len(created) == 1, "19.0's create answers a list of ids for a dict too"
    more = ok(any_server, holder.key, "res.partner", "create",
              {"vals_list": [{"name": name + " b"}, {"name": name + " c"}]})
    assert len(more) == 2
    domain = [["name", "like", name]]
    assert sorted(ok(any_server, holder.key, "res.partner", "search", {"domain": domain, "order": "id"})) == \
        sorted(created + more)
    second = {"domain": domain, "limit": 1, "offset": 1, "order": "id"}
    assert ok(any_server, holder.key, "res.partner", "search", second) == [more[0]]
    assert ok(any_server, holder.key, "res.partner", "search_count", {"domain": domain}) == 3
    assert ok(any_server, holder.key, "res.partner", "search_count", {"domain": domain, "limit": 2}) == 2
    rows = ok(any_server, holder.key, "res.partner", "search_read",
              {"domain": domain, "fields": ["name"], "order": "id"})
    assert [row["name"] for row in rows] == [name, name + " b", name + " c"]
    assert ok(any_server, holder.key, "res.partner", "write",
              {"ids": created, "vals": {"name": name + " a"}}) is True
    assert ok(any_server, holder.key, "res.partner", "read", {"ids": created, "fields": ["name"]}) == [
        {"id": created[0], "name": name + " a"}]
    found = ok(any_server, holder.key, "res.partner", "name_search",
               {"name": name + " a", "domain": [["id", "in", created + more]], "operator": "=", "limit": 5})
    assert found == [[created[0], name + " a"]]
    copied = ok(any_server, holder.key, "res.partner", "copy", {"ids": created, "default": {"name": name + " d"}})
    assert isinstance(copied, list) and len(copied) == 1, "a recordset comes back as its ids"
    assert ok(any_server, holder.key, "res.partner", "unlink", {"ids": created + more + copied}) is True
    assert ok(any_server, holder.key, "res.partner", "search_count", {"domain": domain}) == 0


def test_an_override_that_names_its_parameter_otherwise_takes_19_names(any_server, holder):
    """Odoo 11's res.users.write is write(self, values): clients still send `vals`."""
    signature = "<p>Sent by JSON-2 %s</p>" % uuid.uuid4().hex[:6]
    assert ok(any_server, holder.key, "res.users", "write", {"ids": [holder.uid], "vals": {"signature": signature}})
    assert ok(any_server, holder.key, "res.users", "read",
              {"ids": [holder.uid], "fields": ["signature"]})[0]["signature"] == signature


def test_context_get_says_who_the_caller_is(any_server, holder):
    context = ok(any_server, holder.key, "res.users", "context_get")
    assert context["uid"] == holder.uid and "lang" in context and "tz" in context


def test_ids_to_a_model_method_is_refused(any_server, holder):
    answer = json2.call(any_server, holder.key, "res.partner", "create", {"ids": [0], "vals_list": {"name": "x"}})
    assert "cannot call res.partner.create with ids" in json2.assert_error(answer, 422)
    assert ok(any_server, holder.key, "res.partner", "search_count",
              {"domain": [["name", "=", "x"], ["create_uid", "=", holder.uid]]}) == 0


def test_fields_and_dates_come_back_as_19_writes_them(any_server, holder):
    fields = ok(any_server, holder.key, "res.partner", "fields_get",
                {"allfields": ["name", "create_date", "date"], "attributes": ["type", "string"]})
    assert fields["create_date"] == {"type": "datetime", "string": "Created on"}
    [partner_id] = ok(any_server, holder.key, "res.partner", "create",
                      {"vals_list": {"name": partner_name(), "date": "2026-01-31"}})
    [row] = ok(any_server, holder.key, "res.partner", "read", {"ids": [partner_id], "fields": ["date", "create_date"]})
    assert row["date"] == "2026-01-31"
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\Z", row["create_date"])


def test_the_body_context_is_the_call_context(any_server, holder):
    """As 19.0: the context sent is the context; none sent, none applies (active_test among them)."""
    [partner_id] = ok(any_server, holder.key, "res.partner", "create",
                      {"vals_list": {"name": partner_name(), "active": False}})
    domain = [["id", "=", partner_id]]
    assert ok(any_server, holder.key, "res.partner", "search", {"domain": domain}) == []
    assert ok(any_server, holder.key, "res.partner", "search",
              {"domain": domain, "context": {"active_test": False}}) == [partner_id]


def test_a_failed_call_writes_nothing(any_server, holder):
    """One transaction per call: the first record of a batch is not kept when the second fails."""
    name = partner_name()
    answer = json2.call(any_server, holder.key, "res.partner", "create",
                        {"vals_list": [{"name": name}, {"name": name, "parent_id": 2 ** 30}]})
    json2.assert_error(answer, 422, "odoo.exceptions.ValidationError")
    assert ok(any_server, holder.key, "res.partner", "search_count", {"domain": [["name", "=", name]]}) == 0


def test_concurrent_writes_of_one_record_are_retried_not_lost(any_server, holder):
    """Odoo 11's RPC layer retries a call that met a serialization failure: so does JSON-2."""
    [partner_id] = ok(any_server, holder.key, "res.partner", "create", {"vals_list": {"name": partner_name()}})

    def write(number):
        return json2.call(any_server, holder.key, "res.partner", "write",
                          {"ids": [partner_id], "vals": {"comment": "write %d" % number}})

    for _round in range(5):  # until writes have met: each round is 24 writes, 8 at a time
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(write, range(24)))
        assert [answer.status for answer in answers] == [200] * 24, [answer.text for answer in answers]
        if "SERIALIZATION_FAILURE, retry" in any_server.log():
            return
    raise AssertionError("no two writes met in five rounds: nothing was retried")
