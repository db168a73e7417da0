"""What API keys need to know about the RPC call being served.

Applied once, when Odoo imports the addon; each wraps one of Odoo's functions.
- XML-RPC runs outside ``odoo.http``, so Odoo 11 cannot tell where a call
  comes from: remember the caller's address during the call (logs, login
  cooldown, a key's last use).
- Mark the moments when the RPC layer authenticates a call's own credentials
  (``security.check``, ``security.login``, ``common.authenticate``): the only
  moments a key may stand for the password. Odoo 11 has no equivalent of
  native Odoo 14+'s "interactive" flag; this is it.
- Remember which API key authenticated the current call (rotation); at the
  one place every ``object.execute(_kw)`` call passes, re-check a key that
  res.users.check accepted from its cache, inside the call's own transaction,
  and let a read-only key call read methods only, whatever the client sends.
- Methods that test a password (``res.users.check`` …) cannot be called by
  clients, neither over RPC nor from the web client.
"""
import collections
import functools
import logging
import threading

import odoo.api
import odoo.http
import odoo.service.common
import odoo.service.model
import odoo.service.security
import odoo.service.wsgi_server
from odoo import _
from odoo.modules.registry import Registry
from odoo.addons.web.controllers.main import DataSet
from odoo.exceptions import AccessDenied, AccessError
from odoo.tools import config

_logger = logging.getLogger(__name__)
_call = threading.local()
CallKey = collections.namedtuple("CallKey", "key_id user_id read_only recheck")  # the key of the current call
NO_KEY = CallKey(None, None, False, False)
_warned = set()  # warnings given once per process

RPC_HTTP_PATHS = ("/jsonrpc",)  # XML-RPC never goes through odoo.http, so it has no request
READ_METHODS = frozenset([
    "search", "search_read", "read", "search_count", "name_get", "name_search",
    "fields_get", "default_get", "read_group",
])
# What a read-only key may call beyond reading: nothing that widens what it can do.
READ_ONLY_KEY_METHODS = {"res.users.apikeys": frozenset(["rotate", "revoke_current"])}
# Public in Odoo 11 for historical reasons, but each one tests a password (of
# any user, for `check` and `authenticate`) or the master password: private
# as in Odoo 14+, so that no client can guess through them.
NOT_CALLABLE_REMOTELY = {"res.users": frozenset(["authenticate", "check", "check_credentials", "check_super"])}
# Worth a password: auth_signup's token sets one. A key's call never reads it
# nor names it (a domain would bisect it), whatever the path: secret_fields.py
# names every secret and models/base.py keeps them from keys; this scan is a backstop.
KEY_FORBIDDEN_FIELDS = frozenset(["signup_token"])
# No Odoo call nests or weighs this much; a key's call beyond is refused unread.
MAX_CALL_DEPTH, MAX_CALL_ITEMS = 100, 10 ** 6


def remote_address():
    """Address of the client of the current web request or XML-RPC call, or 'n/a'."""
    if odoo.http.request:
        return odoo.http.request.httprequest.environ.get("REMOTE_ADDR", "n/a")
    return getattr(_call, "remote_address", "n/a")


def is_rpc_call():
    """True for XML-RPC and /jsonrpc; False for every web-client route (/web/login, sessions ...)."""
    request = odoo.http.request
    return not request or request.httprequest.path in RPC_HTTP_PATHS


def key_may_authenticate():
    """True only while the RPC layer checks the credentials a call came with,
    over XML-RPC or /jsonrpc. Anywhere else (change_password, the password
    dialog, web logins, any addon's own password check) a key is no password."""
    return getattr(_call, "authenticating", False) and is_rpc_call()


def set_current_api_key(key_id, user_id, read_only=False, recheck=False):
    """Called by res.users.check once a key of `user_id` authenticated this call.
    With `recheck`, the key was accepted from the process's cache and execute_cr
    must confirm, in the call's transaction, that its row is still valid."""
    _call.api_key = CallKey(key_id, user_id, read_only, recheck)


def is_object_call():
    """True during `object.execute(_kw)` over RPC: the calls that go through execute_cr."""
    return getattr(_call, "service", None) == "object"


def current_api_key_id():
    """Id of the API key that authenticated the current RPC call, or None."""
    return (getattr(_call, "api_key", None) or NO_KEY).key_id


def current_api_key_user_id():
    """Id of the user whose API key authenticated the current RPC call, or None."""
    return (getattr(_call, "api_key", None) or NO_KEY).user_id


def left_to_odoo(dbname):
    """True for a database whose registry has loaded without this addon. The addon
    is loaded server-wide (README), so its patches see every database's calls:
    they leave those to plain Odoo 11. A call for no database, or for one not
    loaded yet, is the addon's. No query."""
    registry = Registry.registries.get(dbname) if isinstance(dbname, str) else None
    return registry is not None and registry.ready and "res.users.apikeys" not in registry


def database_of_call(service, method, params):
    """The database an RPC call names (object.*, common.login/authenticate), or None."""
    if (service == "object" or (service == "common" and method in ("login", "authenticate"))) and (
            isinstance(params, (list, tuple)) and params):
        return params[0]
    return None


def database_of_request(request):
    """The database a JSON request is for: the one a /jsonrpc call names, else its web session's."""
    if request.httprequest.path == "/jsonrpc":
        params = getattr(request, "params", None) or {}
        return database_of_call(params.get("service"), params.get("method"), params.get("args"))
    return request.db


def call_left_to_odoo():
    """True while serving a web request or an XML-RPC call for a database without the addon."""
    request = odoo.http.request
    return left_to_odoo(database_of_request(request) if request else getattr(_call, "database", None))


def names_key_forbidden_field(args, kw):
    """True if a string anywhere in the call (dict keys too) names a field of
    KEY_FORBIDDEN_FIELDS. A walk bounded in depth and size, not repr(): a call
    nested too deep or too large is refused plainly instead of exhausting the stack."""
    from .malformed_requests import MalformedRequest  # it imports this module

    stack, items = [(args, 0), (kw, 0)], 0
    while stack:
        value, depth = stack.pop()
        items += 1
        if depth > MAX_CALL_DEPTH or items > MAX_CALL_ITEMS:
            raise MalformedRequest(_("Malformed call: arguments nested deeper than %(depth)s levels or more "
                                     "than %(items)s values.") % {"depth": MAX_CALL_DEPTH, "items": MAX_CALL_ITEMS})
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value)
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, (list, tuple, set, frozenset)):
            stack.extend((item, depth + 1) for item in value)
        elif not isinstance(value, (bool, int, float, type(None))):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            if any(name in text for name in KEY_FORBIDDEN_FIELDS):
                return True
    return False


def refuse_if_not_callable_remotely(model, method):
    if method in NOT_CALLABLE_REMOTELY.get(model, ()):
        raise AccessError(_("%(model)s.%(method)s cannot be called remotely.") % {"model": model, "method": method})


def patch(module, name, wrap):
    """Replace `module.name` by `wrap(original)`, once per `wrap` (the registry may load twice)."""
    original = getattr(module, name)
    applied = getattr(original, "auth_apikeys_patches", frozenset())
    if wrap.__name__ not in applied:
        wrapper = functools.wraps(original)(wrap(original))
        wrapper.auth_apikeys_patches = applied | {wrap.__name__}
        setattr(module, name, wrapper)


def _remember_remote_address(wsgi_xmlrpc):
    def wrapper(environ, start_response):
        _call.remote_address, _call.database = environ.get("REMOTE_ADDR", "n/a"), None
        try:
            return wsgi_xmlrpc(environ, start_response)
        finally:
            del _call.remote_address, _call.database

    return wrapper


def _warn_if_forwarded_address_ignored(application_unproxied):
    """Behind a proxy that Odoo does not trust, every client has the proxy's
    address: one bad client would start the login cooldown for all of them."""

    def wrapper(environ, start_response):
        if "HTTP_X_FORWARDED_FOR" in environ and "forwarded" not in _warned and not (
            config["proxy_mode"] and "HTTP_X_FORWARDED_HOST" in environ
        ):
            _warned.add("forwarded")
            _logger.warning(
                "Requests carry X-Forwarded-For but Odoo ignores it (it needs --proxy-mode and an "
                "X-Forwarded-Host header): every client has the proxy's address %s, for the login "
                "cooldown too", environ.get("REMOTE_ADDR"),
            )
        return application_unproxied(environ, start_response)

    return wrapper


def _authenticates_the_call(check):
    def wrapper(*args):
        _call.authenticating = True
        try:
            return check(*args)
        finally:
            _call.authenticating = False

    return wrapper


def _forget_api_key_after_each_call(dispatch_rpc):
    def wrapper(service_name, method, params):
        _call.api_key, _call.service = None, service_name
        _call.database = database_of_call(service_name, method, params)  # kept for the fault, if any
        try:
            return dispatch_rpc(service_name, method, params)
        finally:
            _call.api_key = _call.service = None

    return wrapper


def _check_api_key_of_the_call(execute_cr):
    from .models.res_users_apikeys import row_trusted, use_due  # applied once the models are loaded

    def wrapper(cr, uid, obj, method, *args, **kw):
        if left_to_odoo(cr.dbname):
            return execute_cr(cr, uid, obj, method, *args, **kw)
        refuse_if_not_callable_remotely(obj, method)
        api_key = getattr(_call, "api_key", None)
        if api_key and api_key.recheck and not (
            row_trusted(Registry(cr.dbname), api_key.key_id) and not use_due(cr.dbname, api_key.key_id)
        ):
            keys = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["res.users.apikeys"]
            if not keys._still_valid_for_call(api_key):
                raise AccessDenied()
        if api_key and names_key_forbidden_field(args, kw):
            raise AccessError(_("An API key cannot read or search sign-up and password reset tokens."))
        if api_key and api_key.read_only and method not in READ_METHODS | READ_ONLY_KEY_METHODS.get(obj, frozenset()):
            message = _("This API key is read-only: it cannot call %(method)s on %(model)s.")
            raise AccessError(message % {"method": method, "model": obj})
        return execute_cr(cr, uid, obj, method, *args, **kw)

    return wrapper


def distrust_rows_once_committed():
    """Called when this thread deletes a key or archives a user (see res.users.apikeys._distrust_rows)."""
    _call.distrusted_rows = True


def _distrust_rows_once_committed(signal_changes):
    """Odoo clears this process's caches when a change is made, before its
    commit, and the flag it signals with is shared by the process's threads:
    a concurrent call may signal (and reset) it, then re-read a key's row that
    the commit is about to delete, in this process or another. Once the change
    is committed, this thread clears its process's caches again and signals
    every process again, so that no key row read before the commit is trusted."""

    def wrapper(self):
        if getattr(_call, "distrusted_rows", False):
            _call.distrusted_rows = False
            self.cache.clear()
            self.cache_invalidated = True
        return signal_changes(self)

    return wrapper


def _refuse_methods_not_callable_remotely(call_kw):
    def wrapper(self, model, method, args, kwargs):
        if not left_to_odoo(odoo.http.request.db):
            refuse_if_not_callable_remotely(model, method)
        return call_kw(self, model, method, args, kwargs)

    return wrapper


def apply():
    patch(odoo.service.wsgi_server, "application_unproxied", _warn_if_forwarded_address_ignored)
    patch(odoo.service.wsgi_server, "wsgi_xmlrpc", _remember_remote_address)
    patch(odoo.service.security, "check", _authenticates_the_call)
    patch(odoo.service.security, "login", _authenticates_the_call)
    patch(odoo.service.common, "exp_authenticate", _authenticates_the_call)
    patch(odoo.http, "dispatch_rpc", _forget_api_key_after_each_call)
    patch(odoo.service.model, "execute_cr", _check_api_key_of_the_call)
    patch(DataSet, "_call_kw", _refuse_methods_not_callable_remotely)
    patch(Registry, "signal_changes", _distrust_rows_once_committed)
