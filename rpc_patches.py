"""Small changes to Odoo 11's RPC layer that API keys rely on.

Applied once, when Odoo imports the addon; each wraps one of Odoo's functions.
- XML-RPC runs outside ``odoo.http``, so Odoo 11 cannot tell where a call
  comes from: remember the caller's address during the call (logs, login
  cooldown, a key's last use).
- Remember which API key authenticated the current call (key rotation); at
  the one place every ``object.execute(_kw)`` call passes, re-check a key that
  res.users.check accepted from its cache, inside the call's own transaction,
  and let a read-only key call read methods only, whatever the client sends.
- A request that is not well-formed XML-RPC (a NUL byte, say) gets a fault
  instead of a 500 error page.
- JSON-RPC errors carry the server's traceback; an AccessDenied (wrong
  password or key, cooldown) no longer does, as in Odoo 14+.
"""
import functools
import logging
import threading
import xml.parsers.expat
import xmlrpc.client

import werkzeug.wrappers

import odoo.api
import odoo.http
import odoo.service.model
import odoo.service.wsgi_server
from odoo import _
from odoo.exceptions import AccessDenied, AccessError

_logger = logging.getLogger(__name__)
_call = threading.local()

READ_METHODS = frozenset([
    "search", "search_read", "read", "search_count", "name_get", "name_search",
    "fields_get", "default_get", "read_group",
])


def remote_address():
    """Address of the client of the current web request or XML-RPC call, or 'n/a'."""
    if odoo.http.request:
        return odoo.http.request.httprequest.environ.get("REMOTE_ADDR", "n/a")
    return getattr(_call, "remote_address", "n/a")


def set_current_api_key(key_id, read_only=False, recheck=False):
    """Called by res.users.check once a key authenticated this call (None: no key).
    With `recheck`, the key was accepted from the process's cache and execute_cr
    must confirm, in the call's transaction, that its row is still valid."""
    _call.api_key = (key_id, read_only, recheck) if key_id else None


def is_object_call():
    """True during `object.execute(_kw)` over RPC: the calls that go through execute_cr."""
    return getattr(_call, "service", None) == "object"


def current_api_key_id():
    """Id of the API key that authenticated the current RPC call, or None."""
    return (getattr(_call, "api_key", None) or (None,))[0]


def _patch(module, name, wrap):
    original = getattr(module, name)
    if not getattr(original, "auth_apikeys_patch", False):
        wrapper = functools.wraps(original)(wrap(original))
        wrapper.auth_apikeys_patch = True
        setattr(module, name, wrapper)


def _remember_remote_address(wsgi_xmlrpc):
    def wrapper(environ, start_response):
        _call.remote_address = environ.get("REMOTE_ADDR", "n/a")
        try:
            return wsgi_xmlrpc(environ, start_response)
        except (xml.parsers.expat.ExpatError, ValueError) as error:
            # The error text may quote the request, credentials included: log only its kind.
            _logger.info("Malformed XML-RPC request from %s (%s)", _call.remote_address, type(error).__name__)
            fault = xmlrpc.client.dumps(xmlrpc.client.Fault(1, "Malformed XML-RPC request"), methodresponse=True)
            return werkzeug.wrappers.Response(response=fault, mimetype="text/xml")(environ, start_response)
        finally:
            del _call.remote_address

    return wrapper


def _forget_api_key_after_each_call(dispatch_rpc):
    def wrapper(service_name, method, params):
        _call.api_key, _call.service = None, service_name
        try:
            return dispatch_rpc(service_name, method, params)
        finally:
            _call.api_key = _call.service = None

    return wrapper


def _check_api_key_of_the_call(execute_cr):
    def wrapper(cr, uid, obj, method, *args, **kw):
        api_key = getattr(_call, "api_key", None)
        if api_key and api_key[2]:
            keys = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})["res.users.apikeys"]
            if not keys._still_valid_for_call(api_key[0]):
                raise AccessDenied()
        if api_key and api_key[1] and method not in READ_METHODS:
            _logger.warning("Read-only API key #%s refused %s.%s for uid %s", api_key[0], obj, method, uid)
            message = _("This API key is read-only: it cannot call %(method)s on %(model)s.")
            raise AccessError(message % {"method": method, "model": obj})
        return execute_cr(cr, uid, obj, method, *args, **kw)

    return wrapper


def _without_traceback_on_access_denied(serialize_exception):
    def wrapper(exception):
        serialized = serialize_exception(exception)
        if isinstance(exception, AccessDenied):
            serialized["debug"] = ""
        return serialized

    return wrapper


def apply():
    _patch(odoo.service.wsgi_server, "wsgi_xmlrpc", _remember_remote_address)
    _patch(odoo.http, "dispatch_rpc", _forget_api_key_after_each_call)
    _patch(odoo.service.model, "execute_cr", _check_api_key_of_the_call)
    _patch(odoo.http, "serialize_exception", _without_traceback_on_access_denied)
