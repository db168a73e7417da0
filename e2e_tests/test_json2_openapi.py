"""/doc-bearer/openapi.json: an OpenAPI 3.1 document of the JSON-2 endpoints for the key's user. It validates
(openapi-spec-validator), and schemathesis, run against it over real HTTP with a read-only key and with a
full-access key on this module's throw-away database, finds no 500, no traceback and no answer that
contradicts it; threaded and --workers=2."""
import json
import subprocess
from pathlib import Path

import pytest
from openapi_spec_validator import validate

import json2
from both_modes import server_in_both_modes

any_server = server_in_both_modes("json2_openapi")
MODELS = "res.partner,res.country"  # what schemathesis calls, bounded in examples and time
# schemathesis needs a newer Werkzeug than Odoo 11's: it has a virtual environment of its own (devenv/setup.sh).
SCHEMATHESIS = Path(__file__).resolve().parent.parent / ".venv-schemathesis" / "bin" / "st"
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


@pytest.fixture(scope="module")
def holder(any_server):
    return json2.key_holder(any_server, "openapi", read_only=True)


def openapi(server, key, models=None):
    path = "/doc-bearer/openapi.json" + ("?models=%s" % models if models else "")
    answer = json2.request(server, path, key=key, method="GET", headers={"Content-Type": None})
    assert answer.status == 200, answer.text
    return answer.json


def test_the_document_of_every_readable_model_validates(any_server, holder):
    document = openapi(any_server, holder.read_only)
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": "An API key made in Preferences > Account Security"}
    search = document["paths"]["/json/2/res.partner/search"]["post"]
    body = search["requestBody"]["content"]["application/json"]["schema"]
    assert list(body["properties"]) == ["domain", "offset", "limit", "order", "context"]
    assert body["required"] == ["domain"]
    write = document["paths"]["/json/2/res.partner/write"]["post"]
    assert write["requestBody"]["content"]["application/json"]["schema"]["required"] == ["ids", "vals"]
    assert "/json/2/ir.cron/search" not in document["paths"], "an employee may not read scheduled actions"


@pytest.mark.parametrize("access", ["read_only", "key"])
def test_schemathesis_finds_nothing_that_contradicts_the_document(any_server, holder, access, tmp_path):
    key = getattr(holder, access)
    schema = tmp_path / "openapi.json"
    schema.write_text(json.dumps(openapi(any_server, key, MODELS)))
    har = tmp_path / "answers.har"  # it holds the key: kept out of the artifacts
    command = [str(SCHEMATHESIS), "run", str(schema), "--url", any_server.url,
               "-H", "Authorization: bearer %s" % key, "-H", "X-Odoo-Database: %s" % any_server.db,
               "--checks", CHECKS, "--phases", "coverage,fuzzing", "--max-examples", "5", "--seed", "11",
               "--workers", "1",
               "--request-timeout", "30", "--generation-database", "none", "--no-color",
               "--report", "har", "--report-har-path", str(har)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=str(tmp_path))  # its cache there
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    answers = json.loads(har.read_text())["log"]["entries"]
    assert len(answers) > 50
    assert not [entry for entry in answers if "Traceback" in entry["response"]["content"].get("text", "")]
    assert not [entry for entry in answers if entry["response"]["status"] >= 500]
    assert key not in any_server.log()
