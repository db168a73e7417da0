"""The routes of Odoo 19's External JSON-2 API on Odoo 11.

``POST /json/2/<model>/<method>`` with ``Authorization: bearer <key>`` runs
one method as the key's user: the body's ``ids`` are the records, its
``context`` the context, every other key a named argument (19.0's names,
request_layer/odoo19_signatures.py). Served beside ``odoo.http``, as Odoo 11
serves XML-RPC (request_layer/json2_door.py says why): these routes are a
werkzeug map of their own, tried before Odoo's handlers.

``GET`` or ``POST /doc-bearer/index.json`` and ``/doc-bearer/<model>.json``
describe the models to any key holder (request_layer/api_description.py), and
``/doc-bearer/openapi.json`` is an OpenAPI 3.1 document of the JSON-2 endpoints
(request_layer/openapi_document.py).
"""
import werkzeug.exceptions
import werkzeug.routing
import werkzeug.wrappers

import odoo.service.wsgi_server

from ..request_layer import api_description, json2_door as door, openapi_document
from ..request_layer.patching import patch


def call_method(httprequest, model, method):
    db, call_key = _key_for(httprequest)
    body = door.read_body(httprequest)
    ids, context = body.pop("ids", []), body.pop("context", {})
    return door.call(db, call_key, model, method, ids, context, body)


def doc_index(httprequest):
    db, call_key = _key_for(httprequest)
    return door.describe(db, call_key, api_description.index)


def doc_model(httprequest, model):
    db, call_key = _key_for(httprequest)

    def document(env):
        described = api_description.model_document(env, model)
        if described is None:
            raise door.not_found("The model %s does not exist or cannot be read." % door.named(model, "asked for"))
        return described

    return door.describe(db, call_key, document)


def openapi(httprequest):
    """The OpenAPI document; `?models=res.partner,res.users` narrows it to those models."""
    db, call_key = _key_for(httprequest)
    models = httprequest.args.get("models")
    chosen = set(models.split(",")) if models else None
    url = httprequest.host_url.rstrip("/")
    return door.describe(db, call_key, lambda env: openapi_document.document(env, url, chosen))


def _key_for(httprequest):
    db = door.select_database(httprequest)
    return db, door.authenticate(httprequest, door.open_registry(db))


def did_you_mean(httprequest, **_path):
    if httprequest.path.startswith("/doc-bearer/"):
        raise door.not_found("Did you mean GET /doc-bearer/index.json or /doc-bearer/<model>.json?")
    raise door.not_found("Did you mean POST /json/2/<model>/<method>?")


ROUTES = werkzeug.routing.Map([
    werkzeug.routing.Rule("/json/2/<model>/<method>", methods=["POST"], endpoint=call_method),
    werkzeug.routing.Rule("/json/2", endpoint=did_you_mean),
    werkzeug.routing.Rule("/json/2/<path:rest>", endpoint=did_you_mean),
    werkzeug.routing.Rule("/doc-bearer/index.json", methods=["GET", "POST"], endpoint=doc_index),
    werkzeug.routing.Rule("/doc-bearer/openapi.json", methods=["GET", "POST"], endpoint=openapi),
    werkzeug.routing.Rule("/doc-bearer/<model>.json", methods=["GET", "POST"], endpoint=doc_model),
])
PREFIXES = ("/json/2/", "/doc-bearer/")


def is_json2_path(path):
    return path == "/json/2" or path.startswith(PREFIXES)


def application(environ, start_response):
    """The WSGI application of these routes."""
    httprequest = werkzeug.wrappers.Request(environ)
    try:
        endpoint, arguments = ROUTES.bind_to_environ(environ).match()
    except werkzeug.exceptions.HTTPException:
        endpoint, arguments = did_you_mean, {}
    names = [door.plain(arguments[part], "(not a name)") for part in ("model", "method") if part in arguments]
    what = "/".join([httprequest.path.split("/")[1]] + names)
    return door.serve(endpoint, httprequest, what, arguments)(environ, start_response)


def _serve_json2_first(wsgi_xmlrpc):
    """Odoo 11 tries its WSGI handlers in turn (XML-RPC, then odoo.http) inside
    its environment management: JSON-2 is tried first, outside odoo.http."""

    def wrapper(environ, start_response):
        if is_json2_path(environ.get("PATH_INFO", "")):
            return application(environ, start_response)
        return wsgi_xmlrpc(environ, start_response)

    return wrapper


def apply():
    patch(odoo.service.wsgi_server, "wsgi_xmlrpc", _serve_json2_first)
