"""The XML-RPC and JSON-RPC doors, as API keys need them.

Applied once, when Odoo imports the addon; each wraps one of Odoo's functions.
- XML-RPC runs outside ``odoo.http``: note the caller's address for the
  call (logs, login cooldown, a key's last use).
- Mark the moments when the RPC layer authenticates a call's own credentials
  (``security.check``, ``security.login``, ``common.authenticate``): the only
  moments a key may stand for the password (auth_rules.key_may_authenticate).
  Odoo 11 has no equivalent of native Odoo 14+'s "interactive" flag; this is it.
- At the one place every ``object.execute(_kw)`` call passes, apply the rules
  of auth_rules to the call of a key; refuse the methods that test a password
  to every client, over RPC and from the web client.
- Once a change to key rows is committed, make every process re-read them.
"""
import logging

import odoo.http
import odoo.service.common
import odoo.service.model
import odoo.service.security
import odoo.service.wsgi_server
from odoo.modules.registry import Registry
from odoo.addons.web.controllers.main import DataSet
from odoo.tools import config

from .auth_rules import check_key_call, refuse_if_not_callable_remotely
from .current_call import (
    authenticating, current_api_key, database_of_call, left_to_odoo, serving, serving_service, take_distrusted_rows,
)
from .patching import patch

_logger = logging.getLogger(__name__)
_warned = set()  # warnings given once per process


def _remember_remote_address(wsgi_xmlrpc):
    def wrapper(environ, start_response):
        with serving(environ.get("REMOTE_ADDR", "n/a")):
            return wsgi_xmlrpc(environ, start_response)

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
        with authenticating():
            return check(*args)

    return wrapper


def _forget_api_key_after_each_call(dispatch_rpc):
    def wrapper(service_name, method, params):
        with serving_service(service_name, database_of_call(service_name, method, params)):
            return dispatch_rpc(service_name, method, params)

    return wrapper


def _check_api_key_of_the_call(execute_cr):
    def wrapper(cr, uid, obj, method, *args, **kw):
        if left_to_odoo(cr.dbname):
            return execute_cr(cr, uid, obj, method, *args, **kw)
        refuse_if_not_callable_remotely(obj, method)
        call_key = current_api_key()
        if call_key.key_id:
            check_key_call(cr, call_key, obj, method, args, kw)
        return execute_cr(cr, uid, obj, method, *args, **kw)

    return wrapper


def _distrust_rows_once_committed(signal_changes):
    """Odoo clears this process's caches when a change is made, before its
    commit, and the flag it signals with is shared by the process's threads:
    a concurrent call may signal (and reset) it, then re-read a key's row that
    the commit is about to delete, in this process or another. Once the change
    is committed, this thread clears its process's caches again and signals
    every process again, so that no key row read before the commit is trusted."""

    def wrapper(self):
        if take_distrusted_rows():
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
