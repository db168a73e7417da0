"""/doc: the JSON-2 API described for people, in the web client's session (Settings users only).

The same description as /doc-bearer (request_layer/api_description.py): the
models, their fields and methods, and for each method a curl command to copy,
with the bearer header, ready for a key of one's own.
"""
import json

import werkzeug.exceptions

from odoo import http
from odoo.http import request

from ..request_layer import api_description
from ..request_layer.odoo19_signatures import ODOO19_METHODS

EXAMPLES = {"domain": [], "vals": {"name": "New name"}, "vals_list": [{"name": "A name"}], "fields": ["display_name"],
            "groupby": ["create_date:month"], "name": "a name"}  # values shown for these parameters, and those needed


class ApiDocumentation(http.Controller):
    """The ORM's methods come first, with 19.0's names; the model's other public methods after them."""

    @http.route(["/doc", "/doc/index.html"], type="http", auth="user")
    def doc_index(self):
        env = self._settings_env()
        models = [{"model": name, "name": env[name]._description or name}
                  for name in api_description.readable_models(env)]
        return self._page("auth_apikeys.doc_index", {"models": models})

    @http.route("/doc/<string:model>", type="http", auth="user")
    def doc_model(self, model):
        env = self._settings_env()
        described = api_description.model_document(env, model)
        if described is None:
            raise werkzeug.exceptions.NotFound()
        methods = [dict(description, name=name, curl=curl_example(model, name, description))
                   for name, description in sorted(described["methods"].items(),
                                                   key=lambda item: (item[0] not in ODOO19_METHODS, item[0]))]
        fields = sorted(described["fields"].items())
        return self._page("auth_apikeys.doc_model", {"described": described, "methods": methods, "fields": fields})

    @staticmethod
    def _settings_env():
        if not request.env.user.has_group("base.group_system"):
            raise werkzeug.exceptions.Forbidden()
        return request.env

    @staticmethod
    def _page(template, values):
        values = dict(values, server_url=request.httprequest.host_url.rstrip("/"), db=request.db)
        response = request.render(template, values)
        response.headers["X-Frame-Options"] = "DENY"
        return response


def curl_example(model, method, description):
    """A curl command that calls `method` with the arguments it needs: $ODOO_URL, $ODOO_DB and $ODOO_API_KEY
    are the reader's to set."""
    body = {"ids": [1]} if "model" not in description["api"] else {}
    for name, parameter in description["parameters"].items():
        required = "default" not in parameter and parameter.get("kind") not in ("VAR_POSITIONAL", "VAR_KEYWORD")
        if required or name in EXAMPLES:
            body[name] = EXAMPLES.get(name)
    return ("curl -s \"$ODOO_URL/json/2/%s/%s\" \\\n"
            "  -H \"Authorization: bearer $ODOO_API_KEY\" \\\n"
            "  -H \"X-Odoo-Database: $ODOO_DB\" \\\n"
            "  -H \"Content-Type: application/json\" \\\n"
            "  -d '%s'") % (model, method, json.dumps(body).replace("'", "'\\''"))
