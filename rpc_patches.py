"""Two small changes to Odoo 11's RPC layer that key authentication relies on.

Applied once, when Odoo imports the addon; both wrap Odoo's own functions.
- XML-RPC runs outside ``odoo.http``, so Odoo 11 cannot tell where a call
  comes from: remember the caller's address for the duration of the call
  (logs, login cooldown).
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

import odoo.http
import odoo.service.wsgi_server

_logger = logging.getLogger(__name__)
_call = threading.local()


def remote_address():
    """Address of the client of the current web request or XML-RPC call, or 'n/a'."""
    if odoo.http.request:
        return odoo.http.request.httprequest.environ.get("REMOTE_ADDR", "n/a")
    return getattr(_call, "remote_address", "n/a")


def _remember_remote_address(wsgi_xmlrpc):
    @functools.wraps(wsgi_xmlrpc)
    def wrapper(environ, start_response):
        _call.remote_address = environ.get("REMOTE_ADDR", "n/a")
        try:
            return wsgi_xmlrpc(environ, start_response)
        except (xml.parsers.expat.ExpatError, ValueError) as error:
            _logger.info("Malformed XML-RPC request from %s: %s", _call.remote_address, error)
            fault = xmlrpc.client.dumps(xmlrpc.client.Fault(1, "Malformed XML-RPC request"), methodresponse=True)
            return werkzeug.wrappers.Response(response=fault, mimetype="text/xml")(environ, start_response)
        finally:
            del _call.remote_address

    wrapper.auth_apikeys_patch = True
    return wrapper


def _without_traceback_on_access_denied(serialize_exception):
    @functools.wraps(serialize_exception)
    def wrapper(exception):
        serialized = serialize_exception(exception)
        if isinstance(exception, odoo.exceptions.AccessDenied):
            serialized["debug"] = ""
        return serialized

    wrapper.auth_apikeys_patch = True
    return wrapper


def apply():
    if not getattr(odoo.service.wsgi_server.wsgi_xmlrpc, "auth_apikeys_patch", False):
        odoo.service.wsgi_server.wsgi_xmlrpc = _remember_remote_address(odoo.service.wsgi_server.wsgi_xmlrpc)
    if not getattr(odoo.http.serialize_exception, "auth_apikeys_patch", False):
        odoo.http.serialize_exception = _without_traceback_on_access_denied(odoo.http.serialize_exception)
