"""/doc-bearer, 19.0's documentation routes: clients name positional arguments from them. Any key holder gets
the models their user may read, with their fields and public methods only; threaded and --workers=2."""
import pytest

import json2
from both_modes import server_in_both_modes
from json2 import assert_error

any_server = server_in_both_modes("json2_doc")


@pytest.fixture(scope="module")
def holder(any_server):
    return json2.key_holder(any_server, "docs", read_only=True)


def document(server, key, path, method="GET"):
    answer = json2.request(server, path, key=key, method=method, headers={"Content-Type": None})
    assert answer.status == 200, answer.text
    return answer.json


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_the_index_lists_modules_and_the_models_the_user_may_read(any_server, holder, method):
    index = document(any_server, holder.key, "/doc-bearer/index.json", method)
    assert index["modules"].index("base") < index["modules"].index("web") < index["modules"].index("auth_apikeys")
    models = {entry["model"]: entry for entry in index["models"]}
    assert "res.partner" in models and "ir.cron" not in models, "an employee may not read scheduled actions"
    partner = models["res.partner"]
    assert partner["fields"]["name"] == {"string": "Name"}
    assert {"search", "create", "write", "read", "unlink"} <= set(partner["methods"])
    assert not [name for name in partner["methods"] if name.startswith("_") or name == "init"]
    assert "check" not in models["res.users"]["methods"]


def test_a_model_document_names_the_parameters_json2_binds_in_order(any_server, holder):
    partner = document(any_server, holder.key, "/doc-bearer/res.partner.json")
    assert partner["model"] == "res.partner" and partner["fields"]["name"]["type"] == "char"
    assert partner["fields"]["name"]["module"] == "base"
    methods = partner["methods"]
    assert list(methods["search"]["parameters"]) == ["domain", "offset", "limit", "order"]
    assert methods["search"]["signature"] == "(domain, offset=0, limit=None, order=None)"
    assert methods["search"]["api"] == ["model"] and methods["write"]["api"] == []
    assert list(methods["create"]["parameters"]) == ["vals_list"] and "model" in methods["create"]["api"]
    assert list(methods["write"]["parameters"]) == ["vals"]
    assert list(methods["read"]["parameters"]) == ["fields", "load"]
    assert methods["read"]["parameters"]["load"] == {"default": "_classic_read"}


def test_read_only_keys_read_the_documents_and_no_key_does_not(any_server, holder):
    assert document(any_server, holder.read_only, "/doc-bearer/res.users.json")["model"] == "res.users"
    assert_error(json2.request(any_server, "/doc-bearer/index.json", method="GET"), 401)
    assert_error(json2.request(any_server, "/doc-bearer/res.partner.json", key="0" * 40, method="GET"), 401)


def test_models_the_user_may_not_read_look_like_models_that_do_not_exist(any_server, holder):
    hidden = json2.request(any_server, "/doc-bearer/ir.cron.json", key=holder.key, method="GET")
    missing = json2.request(any_server, "/doc-bearer/no.such.model.json", key=holder.key, method="GET")
    assert assert_error(hidden, 404).replace("ir.cron", "X") == assert_error(missing, 404).replace("no.such.model", "X")
