"""Security e-mails leave once the request that queued them is over: its
transaction is committed by then (or rolled back, and then nothing was
queued), and its answer is ready. They are sent by a thread, so that a slow or
absent SMTP server never delays the answer; the scheduled action "API keys:
send security e-mails" sends whatever a thread could not.
"""
import logging
import threading

import odoo.service.wsgi_server
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

from .current_call import take_databases_with_notices
from .patching import patch

_logger = logging.getLogger(__name__)
NOTICES_MODEL = "res.users.apikeys.notice"


# One sender thread per database and process at a time, so that a slow SMTP server
# holds one database connection, not one per request: dbname -> whether e-mails were
# queued since that sender last looked (it then looks once more).
_senders = {}
_senders_lock = threading.Lock()


def _start_sender(dbname):
    with _senders_lock:
        if dbname in _senders:
            _senders[dbname] = True
            return
        _senders[dbname] = False
    threading.Thread(target=_sender, args=(dbname,), name="auth_apikeys e-mails", daemon=True).start()


def _sender(dbname):
    while True:
        _send_notices(dbname)
        with _senders_lock:
            if not _senders[dbname]:
                del _senders[dbname]
                return
            _senders[dbname] = False


def _send_notices(dbname):
    try:
        with api.Environment.manage(), Registry(dbname).cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})[NOTICES_MODEL]._send_queued()
    except Exception:  # the scheduled action will try again; a thread has nobody else to tell
        _logger.exception("Security e-mails of %s left to the scheduled action", dbname)


def _send_notices_after_the_response(application):
    def wrapper(environ, start_response):
        try:
            return application(environ, start_response)
        finally:
            for dbname in take_databases_with_notices():
                _start_sender(dbname)

    return wrapper


def apply():
    patch(odoo.service.wsgi_server, "application_unproxied", _send_notices_after_the_response)
