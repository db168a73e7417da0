"""No traceback to any client, and no error that quotes the call back.

Odoo 11 answers a call whose arguments trip its code (a domain on an unknown
field, extra positional arguments, a bad ``read_group`` spec, a string that
cannot be encoded, nesting too deep) with the traceback, and puts the
exception's arguments in the JSON-RPC error (a password among them, if the
client sent one), logged at ERROR; an unknown route under ``/json...`` answers
a 404 whose ``debug`` holds a traceback; any other error answers XML-RPC with
the traceback as the fault's text. Here an error of the client's arguments
answers "invalid arguments" and logs its traceback at WARNING without the
exceptions' messages; any other error answers without a traceback (the log
keeps it), except in Odoo's ``--dev`` mode.
"""
import logging
import xmlrpc.client

import psycopg2
import werkzeug.exceptions

import odoo.http
import odoo.service.model
import odoo.service.wsgi_server
from odoo import _
from odoo.exceptions import AccessDenied, AccessError, MissingError, RedirectWarning, UserError, except_orm
from odoo.tools import config

from .current_call import call_left_to_odoo, remote_address
from .errors import InvalidArguments
from .patching import patch
from .safe_logging import log_traceback_without_messages

_logger = logging.getLogger(__name__)

# What a call's arguments raise when Odoo's code trips over them (Odoo 11 checks some with assert).
CLIENT_ERRORS = (
    ValueError, TypeError, KeyError, IndexError, AttributeError, AssertionError, RecursionError,
    psycopg2.DataError, psycopg2.ProgrammingError,
)
# What Odoo answers with a message of its own, meant for the client: in JSON-RPC errors, in XML-RPC faults.
PLAIN_ERRORS = (except_orm, AccessDenied, RedirectWarning, werkzeug.exceptions.HTTPException,
                odoo.http.SessionExpiredException)
PLAIN_FAULTS = (UserError, RedirectWarning, MissingError, AccessError, AccessDenied)
SERVER_ERROR = "Odoo Server Error"


def invalid_arguments(what):
    """In an except block: log the traceback (no message: it may quote the call), return the plain error."""
    log_traceback_without_messages(_logger, logging.WARNING, "Invalid arguments for %s from %s", what,
                                   remote_address())
    return InvalidArguments(_("Invalid arguments: the call cannot be served as sent."))


def _invalid_arguments_in_execute(execute_cr):
    """Inside the RPC layer, before Odoo logs the error at ERROR with its message."""

    def wrapper(cr, uid, obj, method, *args, **kw):
        try:
            return execute_cr(cr, uid, obj, method, *args, **kw)
        except CLIENT_ERRORS:
            if call_left_to_odoo():
                raise
            raise invalid_arguments("%s.%s" % (obj, method)) from None

    return wrapper


def _invalid_arguments_in_json_requests(handle_exception):
    """Every JSON route: the web client's calls, its login, /jsonrpc."""

    def wrapper(self, exception):
        if isinstance(exception, CLIENT_ERRORS) and not call_left_to_odoo():
            exception = invalid_arguments(self.httprequest.path)
        return handle_exception(self, exception)

    return wrapper


def _no_traceback_in_json_errors(serialize_exception):
    def wrapper(exception):
        serialized = serialize_exception(exception)
        if not (config["dev_mode"] or call_left_to_odoo()):
            serialized["debug"] = ""
            if not isinstance(exception, PLAIN_ERRORS):  # its text and arguments may quote the call
                serialized["message"], serialized["arguments"] = SERVER_ERROR, [SERVER_ERROR]
        return serialized

    return wrapper


def _no_traceback_in_faults(fault):
    """Odoo 11 sends the traceback as the fault's text for every error it has no message for."""

    def wrap(handle_exception):
        def wrapper(exception):
            if isinstance(exception, PLAIN_FAULTS) or call_left_to_odoo():
                return handle_exception(exception)
            if isinstance(exception, except_orm):  # ValidationError ...: its message is for the client
                return handle_exception(UserError(exception.name))
            return xmlrpc.client.dumps(fault, allow_none=None)

        return wrapper

    return wrap


def apply():
    patch(odoo.service.model, "execute_cr", _invalid_arguments_in_execute)
    patch(odoo.http.JsonRequest, "_handle_exception", _invalid_arguments_in_json_requests)
    patch(odoo.http, "serialize_exception", _no_traceback_in_json_errors)
    patch(odoo.service.wsgi_server, "xmlrpc_handle_exception_int",
          _no_traceback_in_faults(xmlrpc.client.Fault(odoo.service.wsgi_server.RPC_FAULT_CODE_APPLICATION_ERROR,
                                                      SERVER_ERROR)))
    patch(odoo.service.wsgi_server, "xmlrpc_handle_exception_string",
          _no_traceback_in_faults(xmlrpc.client.Fault(SERVER_ERROR, "")))
