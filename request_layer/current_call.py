"""The call being served, as API keys need to know it: who sent it, for which
database, through which door, and which key authenticated it.

XML-RPC and JSON-2 run outside ``odoo.http``, so Odoo 11 cannot tell where
such a call comes from: the doors note it here for the call's duration, in
the serving thread. Nothing here imports the rest of the addon.
"""
import collections
import contextlib
import threading

import odoo.http
import odoo.service.db
from odoo.modules.registry import Registry

_call = threading.local()
# The key of the current call. With `recheck`, the key was accepted from the process's
# cache: the door must confirm, in the call's own transaction, that its row is still valid.
CallKey = collections.namedtuple("CallKey", "key_id user_id read_only recheck")
NO_KEY = CallKey(None, None, False, False)
RPC_HTTP_PATHS = ("/jsonrpc",)  # XML-RPC and JSON-2 never go through odoo.http, so they have no request
DOORS_THAT_RECHECK_KEYS = ("object", "json2")  # XML-RPC/JSON-RPC object.execute(_kw), JSON-2


@contextlib.contextmanager
def serving(address):
    """A call served outside odoo.http (XML-RPC, JSON-2) from `address`."""
    _call.remote_address, _call.database = address, None
    try:
        yield
    finally:
        del _call.remote_address, _call.database


@contextlib.contextmanager
def serving_service(service, database):
    """One RPC service call (`object`, `common` ... or `json2`) for `database`; its key is forgotten after it."""
    _call.api_key, _call.service, _call.database = None, service, database  # the database kept for a fault
    try:
        yield
    finally:
        _call.api_key = _call.service = None


@contextlib.contextmanager
def authenticating():
    """While the RPC layer checks the credentials the call came with."""
    _call.authenticating = True
    try:
        yield
    finally:
        _call.authenticating = False


def is_authenticating():
    return getattr(_call, "authenticating", False)


def remote_address():
    """Address of the client of the current web request or RPC call, or 'n/a'."""
    if odoo.http.request:
        return odoo.http.request.httprequest.environ.get("REMOTE_ADDR", "n/a")
    return getattr(_call, "remote_address", "n/a")


def is_rpc_call():
    """True for XML-RPC, /jsonrpc and JSON-2; False for every web-client route (/web/login, sessions ...)."""
    request = odoo.http.request
    return not request or request.httprequest.path in RPC_HTTP_PATHS


def door_rechecks_key():
    """True during a call whose door re-checks a cached key in the call's own transaction (see CallKey)."""
    return getattr(_call, "service", None) in DOORS_THAT_RECHECK_KEYS


def set_current_api_key(call_key):
    """Called once a key authenticated this call (a CallKey)."""
    _call.api_key = call_key


def current_api_key():
    """The CallKey of the key that authenticated the current call, or NO_KEY."""
    return getattr(_call, "api_key", None) or NO_KEY


def current_api_key_id():
    """Id of the API key that authenticated the current call, or None."""
    return current_api_key().key_id


def current_api_key_user_id():
    """Id of the user whose API key authenticated the current call, or None."""
    return current_api_key().user_id


def distrust_rows_once_committed():
    """Called when this thread deletes a key or archives a user (see res.users.apikeys._distrust_rows)."""
    _call.distrusted_rows = True


def take_distrusted_rows():
    """True, once, if this thread changed key rows since it last asked."""
    distrusted, _call.distrusted_rows = getattr(_call, "distrusted_rows", False), False
    return distrusted


def notices_queued_for(dbname):
    """Called when this thread queues a security e-mail for `dbname` (see after_response)."""
    if not hasattr(_call, "notices_for"):
        _call.notices_for = set()
    _call.notices_for.add(dbname)


def take_databases_with_notices():
    """The databases this thread queued security e-mails for since it last asked: asked after
    every request, so a request that queued none allocates and writes nothing."""
    databases = getattr(_call, "notices_for", None)
    if not databases:
        return ()
    _call.notices_for = set()
    return databases


def left_to_odoo(dbname):
    """True for a database whose registry has loaded without this addon. The addon
    is loaded server-wide (README), so its patches see every database's calls:
    they leave those to plain Odoo 11. A call for no database, or for one not
    loaded yet, is the addon's. No query."""
    registry = Registry.registries.get(dbname) if isinstance(dbname, str) else None
    return registry is not None and registry.ready and "res.users.apikeys" not in registry


def database_exists(db):
    """True for the name of a database of this server's PostgreSQL (a loaded one costs no query)."""
    return isinstance(db, str) and (db in Registry.registries or db in odoo.service.db.list_dbs(True))


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
    """True while serving a web request or an RPC call for a database without the addon."""
    request = odoo.http.request
    return left_to_odoo(database_of_request(request) if request else getattr(_call, "database", None))
