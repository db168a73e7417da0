"""Clients written for Odoo 19's JSON-2, from PyPI and used as their READMEs show, work unchanged against
Odoo 11 with a key made in Preferences: odoo-client-lib 2.0.1 (protocol="json2") and odoo-json2 0.2.0;
threaded and --workers=2."""
import urllib.parse
import uuid

import odoolib
import pytest
from odoo_json2 import JSON2Client
from odoo_json2.exceptions import OdooAuthError, OdooValidationError

import json2
from both_modes import server_in_both_modes

any_server = server_in_both_modes("json2_clients")


@pytest.fixture(scope="module")
def holder(any_server):
    return json2.key_holder(any_server, "Odoo 19 client")


def odoo_client_lib(server, key):
    port = urllib.parse.urlsplit(server.url).port
    return odoolib.get_connection(hostname="127.0.0.1", protocol="json2", port=port, database=server.db,
                                  password=key)


def test_odoo_client_lib_named_and_positional_calls(any_server, holder):
    connection = odoo_client_lib(any_server, holder.key)
    assert connection.check_login()
    assert connection.get_user_context()["uid"] == holder.uid
    partners = connection.get_model("res.partner")
    name = "odoolib %s" % uuid.uuid4().hex[:8]
    # Positional arguments: the client names them from /doc-bearer/res.partner.json.
    created = partners.create({"name": name})
    assert isinstance(created, list) and len(created) == 1
    assert partners.search([("name", "=", name)]) == created
    assert partners.read(created, ["name"])["name"] == name
    assert partners.write(created, {"name": name + " renamed"}) is True
    assert partners.search_read(domain=[("id", "in", created)], fields=["name"])[0]["name"] == name + " renamed"
    assert partners.search_count([("id", "in", created)]) == 1
    assert partners.unlink(created) is True
    assert partners.search_count([("id", "in", created)]) == 0


def test_odoo_client_lib_with_a_bad_key_is_not_logged_in(any_server):
    assert odoo_client_lib(any_server, "0" * 40).check_login() is False


def test_odoo_json2_crud_and_its_errors(any_server, holder):
    client = JSON2Client(host=any_server.url, api_key=holder.key, database=any_server.db)
    name = "odoo-json2 %s" % uuid.uuid4().hex[:8]
    created = client.create("res.partner", [{"name": name}, {"name": name + " b"}])
    assert len(created) == 2
    rows = client.search_read("res.partner", [["name", "like", name]], fields=["name"], order="id")
    assert [row["name"] for row in rows] == [name, name + " b"]
    assert client.write("res.partner", created[:1], {"name": name + " a"}) is True
    assert client.env["res.partner"].read(created[:1], ["name"])[0]["name"] == name + " a"
    assert client.unlink("res.partner", created) is True
    assert client.search_read("res.partner", [["id", "in", created]]) == []
    with pytest.raises(OdooValidationError) as error:
        client.search_read("res.partner", [["no_such_field", "=", 1]])
    assert error.value.status_code == 422
    with pytest.raises(OdooAuthError):
        JSON2Client(host=any_server.url, api_key="0" * 40, database=any_server.db).search_read("res.partner", [])
