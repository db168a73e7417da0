"""Malformed or refused RPC requests get a plain answer: no traceback, no echo
of the request, no credential in the log.

Odoo 11 logs a JSON body it cannot parse verbatim (the password or key
inside), answers a body that is not UTF-8, a call of the wrong shape, an
unknown database or method with a traceback, and logs every refused JSON-RPC
call with a traceback at ERROR. Each wrapper below closes one of these; the
calls themselves are checked by their shape only, and no message quotes what
the client sent (it may have put a password anywhere).
"""
import inspect
import json
import logging
import re
import xmlrpc.client

import werkzeug.exceptions
import werkzeug.wrappers

import odoo.api
import odoo.http
import odoo.service.common
import odoo.service.db
import odoo.service.model
import odoo.service.wsgi_server
from odoo import _
from odoo.addons.web.controllers.main import DataSet
from odoo.exceptions import AccessDenied, except_orm
from odoo.modules.registry import Registry

from .current_call import database_exists, database_of_call, database_of_request, left_to_odoo, remote_address
from .errors import MalformedRequest
from .patching import patch

_logger = logging.getLogger(__name__)

SERVICES = {"common": odoo.service.common, "db": odoo.service.db, "object": odoo.service.model}
MAX_LOGIN_LENGTH = 4096  # Odoo logs the login of every attempt: no megabyte lines
DB_PUBLIC_METHODS = ("db_exist", "list", "list_lang", "server_version")  # the others take the master password first


def check_call_shape(service, method, params):
    """Refuse an RPC call whose service, method or arguments are of the wrong kind
    before Odoo trips over them. Credentials are left to res.users."""
    if service not in SERVICES or not isinstance(method, str) or not isinstance(params, (list, tuple)):
        raise MalformedRequest(_("Malformed call: unknown service or method, or arguments that are not a list."))
    if service == "object":
        _check_object_call(method, params)
    else:
        function = getattr(SERVICES[service], "exp_" + method, None)
        if function is None:
            raise MalformedRequest(_("Malformed call: the service %s has no such method.") % service)
        _check_arguments(function, params[1:] if service == "db" and method not in DB_PUBLIC_METHODS else params)
        if service == "common" and method in ("login", "authenticate"):
            _check_login_call(params)


def _check_object_call(method, params):
    """execute(db, uid, password, model, method, *args) and
    execute_kw(db, uid, password, model, method, args, kwargs=None)."""
    shapes = {"execute": 5, "execute_kw": 6}
    if method not in shapes or len(params) < shapes[method] or (method == "execute_kw" and len(params) > 7):
        raise MalformedRequest(_("Malformed call: object.execute or object.execute_kw with the wrong arguments."))
    _check_database(params[0])
    if isinstance(params[1], bool) or not isinstance(params[1], int) or not 0 < params[1] < 2 ** 31:
        raise MalformedRequest(_("Malformed call: the user id must be a positive integer of 32 bits."))
    if not isinstance(params[3], str) or not isinstance(params[4], str):
        raise MalformedRequest(_("Malformed call: the model and the method must be strings."))
    if method == "execute_kw" and not (
        isinstance(params[5], (list, tuple)) and (len(params) < 7 or isinstance(params[6], (dict, type(None))))
    ):
        raise MalformedRequest(_("Malformed call: execute_kw takes a list of arguments and a dictionary."))


def _check_login_call(params):
    """login(db, login, password) and authenticate(db, login, password, user_agent_env)."""
    _check_database(params[0])
    if not isinstance(params[1], str) or len(params[1]) > MAX_LOGIN_LENGTH:
        raise MalformedRequest(_("Malformed call: the login must be a string of at most %s characters.")
                               % MAX_LOGIN_LENGTH)
    if len(params) > 3 and not isinstance(params[3], (dict, type(None), bool)):
        raise MalformedRequest(_("Malformed call: the user agent environment must be a dictionary."))


def _check_arguments(function, params):
    try:
        inspect.signature(function).bind(*params)
    except TypeError:
        raise MalformedRequest(_("Malformed call: wrong number of arguments."))


def _check_database(db):
    """A database that exists: Odoo 11 answers any other name with a connection traceback."""
    if not database_exists(db):
        raise MalformedRequest(_("Malformed call: no such database."))


def _loadeddatabase_of_call(service, method, params):
    """The existing database the call names, once its registry is loaded, or None. A call
    that arrives while the server loads that registry waits here, as Odoo's own code would
    a moment later: the addon's rules apply to it once it can tell whether they should."""
    db = database_of_call(service, method, params)
    if not database_exists(db):
        return None
    Registry(db)
    return db


def _check_method_exists(env, model, method):
    """Odoo 11 answers a model or method that does not exist with a KeyError's or an AttributeError's traceback."""
    if not isinstance(model, str) or not isinstance(method, str) or model not in env.registry:
        raise MalformedRequest(_("Malformed call: no such model."))
    if not callable(getattr(type(env[model]), method, None)):
        raise MalformedRequest(_("Malformed call: the model %s has no such method.") % model)


def _json_body_problem(httprequest):
    """Why the body of a JSON request cannot be served, or None."""
    try:
        body = json.loads(httprequest.get_data().decode("utf-8"))
    except UnicodeDecodeError:
        return "not UTF-8"
    except (ValueError, RecursionError):
        return "not JSON"
    if not isinstance(body, dict) or not isinstance(body.get("params", {}), dict):
        return "not a JSON-RPC call"
    if httprequest.path == "/jsonrpc" and set(body.get("params", {})) - {"context"} != {"service", "method", "args"}:
        return "not a service call"
    return None


def _json_error(message):
    """A JSON-RPC error shaped like Odoo's own, with HTTP status 400."""
    data = {"name": "werkzeug.exceptions.BadRequest", "message": message, "debug": "", "arguments": [message],
            "exception_type": "user_error"}
    body = json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": 400, "message": message, "data": data}})
    return werkzeug.wrappers.Response(body, status=400, mimetype="application/json")


def _refuse_malformed_json(json_request_init):
    """JSONP is refused too: it carries the whole call, credentials included, in
    the URL (logged by every server and proxy) or in the web session's file."""

    def wrapper(self, httprequest):
        problem = "JSONP is not served" if "jsonp" in httprequest.args else _json_body_problem(httprequest)
        if problem:
            _logger.info("Malformed JSON request to %s from %s: %s, %s bytes", httprequest.path,
                         httprequest.environ.get("REMOTE_ADDR"), problem, len(httprequest.get_data()))
            raise werkzeug.exceptions.BadRequest(response=_json_error("Malformed JSON-RPC request: %s" % problem))
        return json_request_init(self, httprequest)

    return wrapper


class RedactJsonpQueries(logging.Filter):
    """werkzeug logs each request line with its query string: a JSONP call
    carries its request there, credentials included. Keep the path only."""

    def filter(self, record):
        if isinstance(record.msg, str) and "jsonp=" in record.msg:
            record.msg = re.sub(r"\?\S*", "?<query not logged>", record.msg)
        return True


def _quiet_refusals(handle_exception):
    def wrapper(self, exception):
        if not isinstance(exception, (AccessDenied, MalformedRequest)) or left_to_odoo(database_of_request(self)):
            return handle_exception(self, exception)
        self._failed = exception  # no commit, as Odoo does for every error
        _logger.info("%s: refused a call from %s: %s", self.httprequest.path, remote_address(), exception.args[0])
        error = {"code": 200, "message": "Odoo Server Error", "data": odoo.http.serialize_exception(exception)}
        return self._json_response(error=error)

    return wrapper


def _without_traceback_for_expected_errors(serialize_exception):
    """A refusal or a message for the user (UserError, AccessError ...) is no bug:
    its traceback only shows the server's code to whoever sent the call."""

    def wrapper(exception):
        serialized = serialize_exception(exception)
        request = odoo.http.request
        if isinstance(exception, (AccessDenied, except_orm)) and not (request and left_to_odoo(
                database_of_request(request))):
            serialized["debug"] = ""
        return serialized

    return wrapper


def _fault_on_malformed_xmlrpc(wsgi_xmlrpc):
    """Odoo turns every error of a call into a fault: what still escapes is a
    body it could not read (no length, not XML-RPC, a fault sent as a call)."""

    def wrapper(environ, start_response):
        try:
            return wsgi_xmlrpc(environ, start_response)
        except Exception as error:
            # The error's text may quote the request, credentials included: log only its kind.
            _logger.info("Malformed XML-RPC request from %s (%s)", environ.get("REMOTE_ADDR"), type(error).__name__)
            fault = xmlrpc.client.dumps(xmlrpc.client.Fault(1, "Malformed XML-RPC request"), methodresponse=True)
            return werkzeug.wrappers.Response(response=fault, mimetype="text/xml")(environ, start_response)

    return wrapper


def _check_call_shape_first(dispatch_rpc):
    def wrapper(service_name, method, params):
        if not left_to_odoo(_loadeddatabase_of_call(service_name, method, params)):
            check_call_shape(service_name, method, params)
        return dispatch_rpc(service_name, method, params)

    return wrapper


def _check_method_exists_in_execute(execute_cr):
    def wrapper(cr, uid, obj, method, *args, **kw):
        if not left_to_odoo(cr.dbname):
            _check_method_exists(odoo.api.Environment(cr, uid, {}), obj, method)
        return execute_cr(cr, uid, obj, method, *args, **kw)

    return wrapper


def _check_method_exists_in_call_kw(call_kw):
    def wrapper(self, model, method, args, kwargs):
        if not left_to_odoo(odoo.http.request.db):
            _check_method_exists(odoo.http.request.env, model, method)
        return call_kw(self, model, method, args, kwargs)

    return wrapper


def apply():
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(existing, RedactJsonpQueries) for existing in werkzeug_logger.filters):
        werkzeug_logger.addFilter(RedactJsonpQueries())
    patch(odoo.service.wsgi_server, "wsgi_xmlrpc", _fault_on_malformed_xmlrpc)
    patch(odoo.http.JsonRequest, "__init__", _refuse_malformed_json)
    patch(odoo.http.JsonRequest, "_handle_exception", _quiet_refusals)
    patch(odoo.http, "serialize_exception", _without_traceback_for_expected_errors)
    patch(odoo.http, "dispatch_rpc", _check_call_shape_first)
    patch(odoo.service.model, "execute_cr", _check_method_exists_in_execute)
    patch(DataSet, "_call_kw", _check_method_exists_in_call_kw)
