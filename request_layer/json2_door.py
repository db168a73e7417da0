"""The JSON-2 door (Odoo 19's External API): how a call is received, whom it
is for, and how it is answered. The routes are in ``controllers/json2.py``.

It is served beside ``odoo.http``, as Odoo 11 serves XML-RPC: ``odoo.http``
would turn every ``application/json`` request into JSON-RPC, keep a web
session for it and set its cookie on the answer, and answer errors in HTML.
Here no session exists at all: a cookie cannot authenticate a call, and no
answer sets one. Every answer is JSON; an error is 19.0's object (``name``,
``message``, ``arguments``, ``context``, ``debug``), without a traceback (the
server log has it) and without a value of the request in its message.
"""
import inspect
import json
import logging
import re
import threading

import psycopg2
import werkzeug.wrappers

import odoo
import odoo.http
import odoo.service.model
from odoo.exceptions import AccessDenied, AccessError, MissingError, UserError, except_orm
from odoo.modules.registry import Registry

from .auth_rules import (
    bearer_token, check_key_may_call, check_key_still_valid, refuse_if_not_callable_remotely, refuse_private_method,
)
from .client_errors import CLIENT_ERRORS
from .current_call import database_exists, left_to_odoo, remote_address, serving, serving_service, \
    set_current_api_key
from .errors import LoginCooldownError
from .odoo19_signatures import ArgumentsDoNotBind, bind, signature_of
from .safe_logging import log_traceback_without_messages

_logger = logging.getLogger(__name__)

SAFE_NAME = re.compile(r"[A-Za-z0-9_.]{1,128}\Z")  # a name a message may repeat
MAX_BODY = 64 * 1024 * 1024  # bytes


class Json2Error(Exception):
    """An answer other than 200: its status, 19.0's exception name, a message that quotes nothing of the request."""

    def __init__(self, status, name, message, headers=None):
        super(Json2Error, self).__init__(message)
        self.status, self.name, self.message, self.headers = status, name, message, headers or {}


def plain(name, what):
    """`name` if a message may repeat it, else a generic word for it."""
    return name if isinstance(name, str) and SAFE_NAME.match(name) else what


def named(name, what):
    """The same, quoted."""
    return "'%s'" % name if plain(name, None) else what


def json_response(value, status=200, headers=None):
    """19.0's JSON answer: UTF-8, non-ASCII as is, dates as Odoo writes them, anything else as its text."""
    try:
        body = json.dumps(value, ensure_ascii=False, default=_json_default).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in a value: escaped, still valid JSON
        body = json.dumps(value, default=_json_default).encode("ascii")
    response = werkzeug.wrappers.Response(body, status=status, headers=headers or {},
                                          content_type="application/json; charset=utf-8")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"  # answers carry records: no cache keeps them
    return response


def _json_default(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "strftime"):
        return odoo.fields.Datetime.to_string(value) if hasattr(value, "hour") else odoo.fields.Date.to_string(value)
    return str(value)


def error_response(error):
    """19.0's error object, its keys in 19.0's order."""
    arguments = [error.message, error.status] if error.name.startswith("werkzeug.") else [error.message]
    body = {"name": error.name, "message": error.message, "arguments": arguments, "context": {}, "debug": ""}
    return json_response(body, status=error.status, headers=error.headers)


def unauthorized(message):
    return Json2Error(401, "werkzeug.exceptions.Unauthorized", message, {"WWW-Authenticate": "Bearer"})


def not_found(message):
    return Json2Error(404, "werkzeug.exceptions.NotFound", message)


def unprocessable(message):
    return Json2Error(422, "werkzeug.exceptions.UnprocessableEntity", message)


# -- What the request asks --

def read_body(httprequest):
    """The body's JSON object; {} for no body. 415 for another content type, 400 for what is not JSON."""
    if httprequest.content_length and httprequest.content_length > MAX_BODY:
        raise Json2Error(413, "werkzeug.exceptions.RequestEntityTooLarge", "The request body is too large.")
    data = httprequest.get_data()
    if not data:
        return {}
    if httprequest.mimetype != "application/json":
        raise Json2Error(415, "werkzeug.exceptions.UnsupportedMediaType",
                         "The request body must be JSON, sent with Content-Type: application/json.",
                         {"Accept": "application/json"})
    try:
        body = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise Json2Error(400, "werkzeug.exceptions.BadRequest", "could not parse the body as json")
    if not isinstance(body, dict):
        raise unprocessable("The request body must be a JSON object of named arguments.")
    return body


def select_database(httprequest):
    """The database named by X-Odoo-Database (empty counts as absent), else the one this server serves."""
    name = httprequest.headers.get("X-Odoo-Database") or None
    if name is not None:
        if not (odoo.http.db_filter([name], httprequest=httprequest) and database_exists(name)):
            raise not_found("No such database: check the X-Odoo-Database header.")
        return name
    served = odoo.http.db_list(True, httprequest)
    if len(served) != 1:
        raise not_found("No database is selected: send its name in the X-Odoo-Database header.")
    return served[0]


def open_registry(db):
    """The database's registry, up to date with the other processes' changes (revoked keys first)."""
    try:
        registry = Registry(db)
    except (AttributeError, psycopg2.OperationalError, psycopg2.ProgrammingError):  # as odoo.http: not Odoo's
        raise not_found("No such database: check the X-Odoo-Database header.")
    if left_to_odoo(db):
        raise not_found("This database does not serve JSON-2 (auth_apikeys is not installed there).")
    return registry.check_signaling()


def authenticate(httprequest, registry):
    """The CallKey of the bearer key: 401 without one or for anything else, 429 in a cooldown."""
    token = bearer_token(httprequest)
    if token is None:
        raise unauthorized("User not authenticated, use an API Key with a Bearer Authorization header.")
    try:
        return registry["res.users"]._check_bearer_key(token)
    except LoginCooldownError as error:
        raise Json2Error(429, "werkzeug.exceptions.TooManyRequests", error.args[0],
                         {"Retry-After": str(error.seconds_left or 1)})
    except AccessDenied:
        raise unauthorized("Invalid apikey")


# -- The call --

def call(db, call_key, model, method, ids, context, kwargs):
    """Run one method as the key's user; a recordset comes back as its ids."""

    def run(env):
        _check_key(lambda: check_key_still_valid(env.cr, call_key))
        records = _records(env, model, method, ids, context)
        check_key_may_call(call_key, model, method, (ids, context), kwargs)
        result = _bound(records, model, method, kwargs, ids)()
        return result.ids if isinstance(result, odoo.models.BaseModel) else result

    return run_as_key(db, call_key, run)


def describe(db, call_key, describer):
    """`describer(env)` as the key's user, for the documentation routes (read-only keys too)."""

    def run(env):
        _check_key(lambda: check_key_still_valid(env.cr, call_key))
        return describer(env)

    return run_as_key(db, call_key, run)


def run_as_key(db, call_key, run):
    """Answer JSON with `run(env)`, run as the key's user in one transaction:
    committed on success, rolled back on any error, retried on serialization
    failures (as Odoo 11's own RPC layer, through odoo.service.model.check)."""
    threading.current_thread().dbname, threading.current_thread().uid = db, call_key.user_id
    with serving_service("json2", db):
        set_current_api_key(call_key)
        with Registry(db).manage_changes():
            return odoo.service.model.check(_in_transaction)(db, call_key, run)


def _in_transaction(db, call_key, run):
    with Registry(db).cursor() as cr:
        env = odoo.api.Environment(cr, call_key.user_id, {})
        return json_response(run(env))  # serialized inside the transaction: its errors roll it back


def _check_key(check):
    """The key's rules (auth_rules); a key whose row changed or went since this process verified it is a 401."""
    try:
        check()
    except LoginCooldownError:
        raise
    except AccessDenied:
        raise unauthorized("Invalid apikey")


def _records(env, model, method, ids, context):
    if not isinstance(model, str) or model not in env.registry:
        raise not_found("The model %s does not exist." % named(model, "asked for"))
    refuse_private_method(method)
    refuse_if_not_callable_remotely(model, method)
    function = getattr(type(env[model]), method, None)
    if not (inspect.isfunction(function) or inspect.ismethod(function)):
        raise not_found("The method %s of %s does not exist." % (named(method, "asked for"), named(model, "it")))
    if not (isinstance(ids, list) and all(_is_id(record_id) for record_id in ids)) and not _is_id(ids):
        raise unprocessable("ids must be a list of record ids.")
    if not isinstance(context, dict):
        raise unprocessable("context must be a JSON object.")
    # The context sent replaces the call's, as in 19.0.
    return env[model].with_context(context).browse(ids)  # pylint: disable=context-overridden


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 31


def _bound(records, model, method, kwargs, ids):
    _signature, _caller, model_level = signature_of(records, method)
    if model_level and ids:
        raise unprocessable("cannot call %s.%s with ids" % (plain(model, "the model"), plain(method, "this method")))
    try:
        return bind(records, method, kwargs)
    except ArgumentsDoNotBind as error:
        if error.problem == "missing":
            raise unprocessable("missing a required argument: %s" % named(error.name, "one of the method's"))
        raise unprocessable("got an unexpected keyword argument %s" % named(error.name, "(not a name)"))


# -- Errors --

def serve(endpoint, httprequest, what, arguments):
    """Answer `httprequest` with `endpoint(httprequest, **arguments)`: every
    error answers JSON, none with a traceback; a refusal logs one line."""
    with serving(httprequest.environ.get("REMOTE_ADDR", "n/a")):
        try:
            return endpoint(httprequest, **arguments)
        except Exception as exception:
            return answer_error(exception, "%s %s" % (httprequest.method, what), values_sent(httprequest))


def answer_error(exception, what, sent=()):
    """The answer to `exception`, raised while serving `what`, and its line in the
    log; Odoo's message for the user, unless it repeats one of the `sent` values."""
    if isinstance(exception, Json2Error):
        return _refused(exception, what)
    message = _message(exception, sent)
    if isinstance(exception, MissingError):
        return _refused(Json2Error(404, "odoo.exceptions.MissingError", message), what)
    if isinstance(exception, (AccessError, AccessDenied)):
        name = "odoo.exceptions." + type(exception).__name__
        return _refused(Json2Error(403, name, message or "Access Denied"), what)
    if isinstance(exception, (UserError, except_orm)):
        return _refused(Json2Error(422, "odoo.exceptions." + type(exception).__name__, message), what)
    if isinstance(exception, psycopg2.OperationalError) and exception.pgcode in \
            odoo.service.model.PG_CONCURRENCY_ERRORS_TO_RETRY:
        return _refused(Json2Error(409, "odoo.exceptions.ConcurrencyError",
                                   "The records were changed by another call at the same time: try again."), what)
    if isinstance(exception, CLIENT_ERRORS):
        log_traceback_without_messages(_logger, logging.WARNING, "JSON-2: %s from %s: invalid arguments", what,
                                       remote_address())
        return error_response(unprocessable("Invalid arguments: the method cannot take them."))
    _logger.exception("JSON-2: %s from %s: server error", what, remote_address())
    return error_response(Json2Error(500, "werkzeug.exceptions.InternalServerError",
                                     "Internal Server Error: the server log has the details."))


def _refused(error, what):
    _logger.info("JSON-2: %s from %s: %s %s", what, remote_address(), error.status, error.name.rsplit(".", 1)[-1])
    return error_response(error)


def _message(exception, sent):
    """Odoo's own message for the user (its except_orm carry (message, value)),
    or a generic one if it repeats a value the client sent (a password, say)."""
    message = exception.name if isinstance(exception, except_orm) else (exception.args or [""])[0]
    if not isinstance(message, str):
        return ""
    if any(value in message for value in sent):
        return "The call was refused; Odoo's message is not repeated: it quotes a value of the request."
    return message


def values_sent(httprequest, limit=10000):
    """The strings of the request body's values (not its keys: names) of 3 characters or more."""
    try:
        stack = [json.loads(httprequest.get_data().decode("utf-8"))]
    except (ValueError, RecursionError):
        return []
    values, seen = [], 0
    while stack and seen < limit:
        value, seen = stack.pop(), seen + 1
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str) and len(value) >= 3:
            values.append(value)
    return values
